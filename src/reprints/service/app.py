"""The HTTP service over an index: FastAPI, run by uvicorn (``reprints serve INDEX``).

Writes (POST /documents) are serialised by the index's lock and run in one DuckDB
transaction each; lookups use their own cursors and queries the index's in-memory snapshot,
both of the last committed state, so queries are answered while an add runs. A rejected
request writes nothing. With ``--workers N`` queries are answered by forked processes
(``reprints.service.workers``); everything else stays in this process.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from reprints import __version__
from reprints.index.store import Index, documents_from_dicts
from reprints.service.workers import QueryWorkers

TOKEN_ENV = "REPRINTS_TOKEN"


@dataclass(frozen=True)
class Limits:
    # Whole request body, in bytes (a batch of documents included).
    max_body_bytes: int = 10_000_000
    # One document's or query's text, in code points.
    max_text_chars: int = 1_000_000
    # Documents in one POST /documents.
    max_batch: int = 1000


class DocumentIn(BaseModel):
    """Other fields (title, …) are kept as the document's metadata, as in a scan."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(..., min_length=1, max_length=1000, description="Your id for the document.")
    text: str = Field(..., description="The text; offsets are code points into it.")
    source: Optional[str] = Field(None, max_length=1000, description="Outlet or series (boilerplate is per source).")
    date: Optional[str] = Field(None, max_length=100, description="ISO 8601 date preferred.")
    url: Optional[str] = Field(None, max_length=4000)


class AddRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(..., min_length=1, description="One document or a batch.")


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., description="Text to match against the index (not added).")
    source: Optional[str] = Field(None, max_length=1000)


class ErrorOut(BaseModel):
    error: str
    detail: Any = None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None = None) -> str | None:
    """The bearer token: from ``token_file`` if given, else the REPRINTS_TOKEN variable."""
    if token_file:
        with open(token_file, encoding="utf-8") as fh:
            token = fh.read().strip()
        if not token:
            raise ValueError(f"token file {token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def _error(status: int, error: str, detail: Any = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, "detail": detail})


class BodyCheck:
    """ASGI middleware, before any endpoint runs: a body larger than the limit gets 413 (on
    Content-Length, and while reading a chunked body); a POST/PUT/PATCH body that is not UTF-8
    gets 400, one that is not JSON 415. The body is read once and handed on. (Plain ASGI, not
    Starlette's ``BaseHTTPMiddleware``, which costs about a millisecond a request.)"""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ctype = ""
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    return await _error(400, "bad Content-Length")(scope, receive, send)
                if size > self.max_bytes:
                    return await _error(413, "request body too large",
                                        f"{size} bytes; the limit is {self.max_bytes}")(scope, receive, send)
            elif name == b"content-type" and not ctype:  # the first one, as Starlette reads it
                ctype = value.decode("latin-1")
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            try:
                return await self.app(scope, self._limited(receive), send)
            except _TooLarge:
                return await _error(413, "request body too large",
                                    f"the limit is {self.max_bytes} bytes")(scope, receive, send)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return await _error(413, "request body too large",
                                    f"the limit is {self.max_bytes} bytes")(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as err:
            return await _error(400, "request body is not valid UTF-8",
                                f"invalid byte at position {err.start}")(scope, receive, send)
        if body and "json" not in ctype.lower():
            return await _error(415, "send JSON (Content-Type: application/json)")(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limited(self, receive):
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        return limited


class _TooLarge(Exception):
    pass


def create_app(index: Index, token: str | None = None, limits: Limits | None = None,
               workers: "QueryWorkers | None" = None) -> FastAPI:
    """The app. With ``workers`` (forked query processes, ``reprints serve --workers N``) POST
    /query is answered by them; everything else runs in this process."""
    limits = limits or Limits()
    app = FastAPI(title="reprints", version=__version__,
                  description="Find reprinted passages: add documents to an index, query text against it.")
    bearer = HTTPBearer(auto_error=False)

    async def auth(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> None:
        if token is None:
            return
        if credentials is None or credentials.scheme.lower() != "bearer" or not secrets.compare_digest(
                credentials.credentials.encode("utf-8", "surrogatepass"), token.encode("utf-8")):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        for e in errors:
            if e.get("type") == "json_invalid":
                return _error(400, "malformed JSON", e.get("ctx", {}).get("error") or e.get("msg"))
        clean = [{"loc": list(e.get("loc", [])), "msg": e.get("msg"), "type": e.get("type")} for e in errors]
        return _error(422, "invalid request", clean)

    # Starlette's own HTTPException (the base of FastAPI's): unknown paths (404, e.g.
    # "/clusters/" with an empty id) and methods (405) get the same JSON error shape.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = _error(exc.status_code, str(exc.detail))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    app.add_middleware(BodyCheck, max_bytes=limits.max_body_bytes)

    responses = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 413: {"model": ErrorOut},
                 422: {"model": ErrorOut}}

    def check_text(text: str, where: str) -> None:
        if len(text) > limits.max_text_chars:
            raise HTTPException(413, f"{where}: text of {len(text)} characters; the limit is {limits.max_text_chars}")

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness: the index is readable."""
        con = index.reader()
        try:
            n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            con.close()
        return {"status": "ok", "documents": int(n), "version": __version__}

    @app.post("/documents", dependencies=[Depends(auth)], responses=responses)
    def add_documents(request: AddRequest) -> dict[str, Any]:
        """Add one document or a batch, in one transaction. Known id with the same text: unchanged;
        with another text: replaced. A batch with any unusable document is rejected whole."""
        if len(request.documents) > limits.max_batch:
            raise HTTPException(413, f"{len(request.documents)} documents; the limit is {limits.max_batch} per request")
        for k, d in enumerate(request.documents):
            check_text(d.text, f"documents[{k}]")
        rows = [d.model_dump(exclude_none=True) for d in request.documents]
        docs, skips = documents_from_dicts(rows, index.config)
        if skips:
            return _error(422, "unusable documents; nothing was added",
                          [{"doc_id": s.doc_id, "reason": s.reason} for s in skips])
        result = index.add_documents(docs, [], workers=1)
        if workers is not None:
            workers.refresh()  # new query processes with the new snapshot, before answering
        out = result.to_dict()
        out["added_ids"] = result.added
        return out

    if workers is None:
        @app.post("/query", dependencies=[Depends(auth)], responses=responses)
        def query(request: QueryRequest) -> dict[str, Any]:
            """Indexed documents sharing passages with the text, without adding it."""
            check_text(request.text, "text")
            # Plain JSON types already: sent as they are, without FastAPI's per-value encoding pass.
            return JSONResponse(index.query(request.text, request.source))
    else:
        @app.post("/query", dependencies=[Depends(auth)], responses=responses)
        async def query(request: QueryRequest) -> dict[str, Any]:
            """Indexed documents sharing passages with the text, without adding it."""
            check_text(request.text, "text")
            return Response(await workers.query(request.text, request.source), media_type="application/json")

    @app.get("/documents/{doc_id:path}", dependencies=[Depends(auth)], responses={404: {"model": ErrorOut}, 401: {"model": ErrorOut}})
    def get_document(doc_id: str, text: bool = True) -> dict[str, Any]:
        """A document, its passages (with the other side) and its cluster memberships."""
        found = index.document(doc_id, with_text=text)
        if found is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return found

    @app.get("/clusters/{cluster_id}", dependencies=[Depends(auth)], responses={404: {"model": ErrorOut}, 401: {"model": ErrorOut}})
    def get_cluster(cluster_id: int) -> dict[str, Any]:
        """The member spans of a reprint cluster, origin first."""
        rows = index.cluster(cluster_id)
        if rows is None:
            raise HTTPException(404, f"no cluster {cluster_id}")
        return {"cluster_id": cluster_id, "members": rows}

    return app


def serve(index_path: str, host: str = "127.0.0.1", port: int = 8000, token_file: str | None = None,
          limits: Limits | None = None, log_level: str = "info", workers: int = 0) -> None:
    """Open the index and serve it until interrupted. ``workers`` > 0: that many forked
    processes answer queries (see ``reprints.service.workers``); 0: all in this process."""
    import uvicorn

    token = read_token(token_file)
    if token is None and not is_loopback(host):
        raise PermissionError(f"refusing to listen on {host} without a token: set {TOKEN_ENV} or --token-file "
                              "(without one only loopback addresses are allowed)")
    index = Index(index_path)
    pool = None
    try:
        if workers > 0:
            pool = QueryWorkers(index, workers)
            pool.refresh()  # builds the query snapshot and forks the workers before serving
        uvicorn.run(create_app(index, token, limits, pool), host=host, port=port, log_level=log_level)
    finally:
        if pool is not None:
            pool.close()
        index.close()
