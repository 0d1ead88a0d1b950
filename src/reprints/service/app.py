"""The HTTP service over an index: FastAPI, run by uvicorn (``reprints serve INDEX``).

Writes (POST /documents) are serialised by the index's lock and run in one DuckDB
transaction each; lookups use their own cursors and queries the index's in-memory snapshot,
both of the last committed state, so queries are answered while an add runs. A rejected
request writes nothing. With ``--workers N`` queries are answered by forked processes
(``reprints.service.workers``); everything else stays in this process.
"""

from __future__ import annotations

import asyncio
import http
import ipaddress
import json
import logging
import os
import re
import secrets
from typing import Any, Optional

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from reprints import __version__
from reprints.config import MAX_QUERY_LIMIT, QUERY_LIMIT
from reprints.index.store import Index, documents_from_dicts
from reprints.records import doc_id_problem
from reprints.service.limits import Limits  # noqa: F401  (part of this module's API)
from reprints.service.workers import QueryWorkers

TOKEN_ENV = "REPRINTS_TOKEN"


# The id rule (records.doc_id_problem) as a JSON Schema pattern, for the OpenAPI schema only: the
# endpoint applies doc_id_problem itself, so that a refused id is named with the reason.
ID_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"


class DocumentIn(BaseModel):
    """Other fields (title, …) are kept as the document's metadata, as in a scan."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(..., min_length=1, max_length=1000,
                    description="Your id for the document: not blank, no control characters (records.doc_id_problem).",
                    json_schema_extra={"pattern": ID_PATTERN})
    text: str = Field(..., description="The text; offsets are code points into it. It must hold a letter or a digit.",
                      json_schema_extra={"pattern": "[^\\W_]"})
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
    limit: int = Field(QUERY_LIMIT, ge=0, le=MAX_QUERY_LIMIT,
                       description="At most this many matching documents (best first); `candidates` counts all.")


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
    """The bearer token: the first line of ``token_file`` (stripped) if given, else the
    REPRINTS_TOKEN variable. A token file whose first line is blank is an error."""
    if token_file:
        with open(token_file, encoding="utf-8-sig") as fh:  # -sig: a byte-order mark is no part of the token
            token = fh.readline().strip()
        if not token:
            raise ValueError(f"token file {token_file}: the first line is empty (it must hold the token)")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


log = logging.getLogger("uvicorn.error")

_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape that may stand for a lone surrogate ("\ud800"): only bodies holding one are
# parsed here to repair them (a valid pair such as "\ud83d\ude00" matches too and is left alone).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
SURROGATE_NOTE = "lone UTF-16 surrogates replaced by U+FFFD"


class SafeJSONResponse(JSONResponse):
    """JSON that always encodes: a lone surrogate left in a string (from an index written by
    an older version, say) is sent as U+FFFD instead of failing the response."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
            return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _error(status: int, error: str, detail: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return SafeJSONResponse(status_code=status, content={"error": error, "detail": detail}, headers=headers)


def _shown(text: str) -> str:
    """``text`` fit to be sent back in JSON: a lone surrogate is written as its escape (\\ud800)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def replace_surrogates(value: Any) -> tuple[Any, list[tuple[tuple, int, str]]]:
    """``value`` (parsed JSON) with every lone surrogate in its strings and keys replaced by
    U+FFFD, one code point for one, so offsets into the texts are unchanged; and the
    (path, count, string as it was) of each string that had any."""
    notes: list[tuple[tuple, int, str]] = []

    def fix(text: str, path: tuple) -> str:
        if text.isascii():
            return text
        fixed, n = _SURROGATE.subn("\ufffd", text)
        if n:
            notes.append((path, n, text))
        return fixed

    root = [value]
    stack: list[tuple[Any, Any, tuple]] = [(root, 0, ())]  # (container, key, path): iterative, any depth
    while stack:
        container, key, path = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = fix(item, path)
        elif isinstance(item, list):
            stack.extend((item, k, path + (k,)) for k in range(len(item)))
        elif isinstance(item, dict):
            if not all(k.isascii() for k in item):
                fixed = {fix(k, path + (k,)): v for k, v in item.items()}
                item.clear()
                item.update(fixed)
            stack.extend((item, k, path + (k,)) for k in item)
    notes.sort(key=lambda note: [(0, part, "") if isinstance(part, int) else (1, 0, part) for part in note[0]])
    return root[0], notes


def _where(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{_shown(part)}" if out else _shown(part))
    return out or "body"


def surrogate_warnings(notes: list[tuple[tuple, int, str]]) -> list[str]:
    return [f"{_where(path)}: {n} lone UTF-16 surrogate{'s' if n > 1 else ''} replaced by U+FFFD "
            "(one code point for one: offsets are unchanged)" for path, n, _ in notes]


REPAIRED_KEY = "reprints.repaired"  # in the ASGI scope: what the gate repaired in the body (replace_surrogates' notes)


if hasattr(asyncio, "timeout_at"):
    async def _receive_by(receive, deadline: float):
        async with asyncio.timeout_at(deadline):
            return await receive()
else:  # Python 3.10
    async def _receive_by(receive, deadline: float):
        return await asyncio.wait_for(receive(), max(0.0, deadline - asyncio.get_running_loop().time()))


class RequestGate:
    """ASGI middleware, before any endpoint runs, in this order:

    1. the bearer token, from the headers (every path but ``public``): 401 before a byte of
       the body is read, so a client without the token cannot make the server hold a body;
    2. ``Content-Length`` over the limit: 413, also before reading;
    3. the body, read within ``body_timeout`` seconds of the headers (408 and the connection is
       closed: a body that trickles in cannot hold a connection) and at most ``max_bytes``
       bytes (413 while reading a chunked body);
    4. a POST/PUT/PATCH body that is not UTF-8 gets 400, one that is not JSON 415;
    5. lone surrogates written as JSON escapes ("\\ud800") are replaced by U+FFFD (a text
       with one could not be sent back as UTF-8); the endpoints report it in ``warnings``,
       and POST /documents refuses an id that had one (``records.doc_id_problem``).

    The body is read once and handed on. (Plain ASGI, not Starlette's ``BaseHTTPMiddleware``,
    which costs about a millisecond a request.)"""

    def __init__(self, app, max_bytes: int, body_timeout: float = 60.0, token: str | None = None,
                 public: frozenset[str] = frozenset()):
        self.app = app
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout
        self.token = token.encode("utf-8") if token is not None else None
        self.public = public

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        ctype = ""
        size = None
        authorization = b""
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = -1
            elif name == b"content-type" and not ctype:  # the first one, as Starlette reads it
                ctype = value.decode("latin-1")
            elif name == b"authorization" and not authorization:
                authorization = value
        if self.token is not None and scope.get("path") not in self.public and not token_matches(authorization, self.token):
            return await _error(401, "missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
        if size is not None:
            if size < 0:
                return await _error(400, "bad Content-Length")(scope, receive, send)
            if size > self.max_bytes:
                return await _error(413, "request body too large",
                                    f"{size} bytes; the limit is {self.max_bytes}")(scope, receive, send)
        deadline = asyncio.get_running_loop().time() + self.body_timeout
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            try:
                return await self.app(scope, self._limited(receive, deadline), send)
            except _TooLarge:
                return await _error(413, "request body too large",
                                    f"the limit is {self.max_bytes} bytes")(scope, receive, send)
            except _TooSlow:
                return await self._too_slow(scope, receive, send)
        chunks, seen = [], 0
        while True:
            try:
                message = await _receive_by(receive, deadline)
            except _TIMEOUT:
                return await self._too_slow(scope, receive, send)
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
        if _SURROGATE_ESCAPE.search(body):
            body = self._repair(scope, body)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _repair(scope, body: bytes) -> bytes:
        try:
            value, notes = replace_surrogates(json.loads(body))
            repaired = json.dumps(value, ensure_ascii=False).encode("utf-8") if notes else body
        except (ValueError, RecursionError):  # malformed or nested too deeply: the endpoint answers it
            return body
        if notes:
            scope[REPAIRED_KEY] = notes
        return repaired

    async def _too_slow(self, scope, receive, send):
        log.warning("%s: request body not received within %s s; connection closed",
                    _client(scope), self.body_timeout)
        await _error(408, "request body not received in time", f"the limit is {self.body_timeout} s",
                     headers={"Connection": "close"})(scope, receive, send)

    def _limited(self, receive, deadline: float):
        seen, complete = 0, False

        async def limited():
            nonlocal seen, complete
            if complete:  # the body is in: waiting for a disconnect has no deadline
                return await receive()
            try:
                message = await _receive_by(receive, deadline)
            except _TIMEOUT:
                raise _TooSlow() from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
                complete = not message.get("more_body", False)
            return message

        return limited


def _client(scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "client"


def token_matches(authorization: bytes, token: bytes) -> bool:
    """``Authorization: Bearer TOKEN`` (the scheme in any case), compared in constant time."""
    scheme, _, credentials = authorization.partition(b" ")
    return scheme.lower() == b"bearer" and secrets.compare_digest(credentials.strip(), token)


_TIMEOUT = (TimeoutError, asyncio.TimeoutError)  # distinct classes before Python 3.11


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


def create_app(index: Index, token: str | None = None, limits: Limits | None = None,
               workers: "QueryWorkers | None" = None) -> FastAPI:
    """The app. With ``workers`` (forked query processes, ``reprints serve --workers N``) POST
    /query is answered by them; everything else runs in this process. The connection limits of
    ``limits`` (connections, header time and size, keep-alive) are the server's: see
    ``uvicorn_config``."""
    limits = limits or Limits()
    app = FastAPI(title="reprints", version=__version__,
                  description="Find reprinted passages: add documents to an index, query text against it.")
    bearer = HTTPBearer(auto_error=False)
    token_bytes = token.encode("utf-8") if token is not None else None

    # The gate (RequestGate) checks the token before the body is read; this dependency says so
    # in the OpenAPI schema and checks again.
    async def auth(credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer)) -> None:
        if token_bytes is None:
            return
        if credentials is None or credentials.scheme.lower() != "bearer" or not secrets.compare_digest(
                credentials.credentials.encode("latin-1"), token_bytes):  # the header's bytes, as Starlette read them
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

    public = frozenset(p for p in ("/health", app.openapi_url, app.docs_url, app.redoc_url,
                                   app.swagger_ui_oauth2_redirect_url) if p)
    app.add_middleware(RequestGate, max_bytes=limits.max_body_bytes, body_timeout=limits.body_timeout,
                       token=token, public=public)

    errors = {401: {"model": ErrorOut}, 503: {"model": ErrorOut}}  # any path but the open ones: token; any: too many connections
    responses = {**errors, 400: {"model": ErrorOut}, 408: {"model": ErrorOut}, 413: {"model": ErrorOut},
                 415: {"model": ErrorOut}, 422: {"model": ErrorOut}}

    # OpenAPI links: how an answer leads to the next request (and schemathesis' stateful tests)
    def link(operation: str, parameter: str, expression: str) -> dict[str, Any]:
        return {"operationId": operation, "parameters": {parameter: expression}}

    added_links = {200: {"links": {"GetAddedDocument": link("get_document", "doc_id", "$response.body#/added_ids/0")}}}
    query_links = {200: {"links": {"GetMatchedDocument": link("get_document", "doc_id", "$response.body#/matches/0/doc_id"),
                                   "GetMatchedCluster": link("get_cluster", "cluster_id",
                                                             "$response.body#/matches/0/passages/0/cluster_id")}}}
    document_links = {200: {"links": {"GetCluster": link("get_cluster", "cluster_id",
                                                         "$response.body#/clusters/0/cluster_id")}}}

    def check_text(text: str, where: str) -> None:
        if len(text) > limits.max_text_chars:
            raise HTTPException(413, f"{where}: text of {len(text)} characters; the limit is {limits.max_text_chars}")

    @app.get("/health", operation_id="health", responses={503: {"model": ErrorOut}})
    def health() -> dict[str, Any]:
        """Liveness: the index is readable."""
        con = index.reader()
        try:
            n = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            con.close()
        return {"status": "ok", "documents": int(n), "version": __version__}

    @app.post("/documents", dependencies=[Depends(auth)], responses={**responses, **added_links},
              operation_id="add_documents")
    def add_documents(body: AddRequest, request: Request) -> dict[str, Any]:
        """Add one document or a batch, in one transaction. Known id with the same text: unchanged;
        with another text: replaced. A batch with any unusable document is rejected whole.
        Lone surrogates in the texts are replaced by U+FFFD (listed in ``warnings``)."""
        if len(body.documents) > limits.max_batch:
            raise HTTPException(413, f"{len(body.documents)} documents; the limit is {limits.max_batch} per request")
        repaired = request.scope.get(REPAIRED_KEY) or []
        # an id as sent: one with a lone surrogate reached the model repaired by the gate
        sent = {path[1]: original for path, _, original in repaired
                if len(path) == 3 and path[0] == "documents" and path[2] == "id"}
        bad_ids = [{"doc_id": _shown(doc_id), "reason": problem, "index": k}
                   for k, doc_id in ((k, sent.get(k, d.id)) for k, d in enumerate(body.documents))
                   if (problem := doc_id_problem(doc_id))]
        if bad_ids:
            return _error(422, "unusable document ids; nothing was added", bad_ids)
        for k, d in enumerate(body.documents):
            check_text(d.text, f"documents[{k}]")
        rows = [d.model_dump(exclude_none=True) for d in body.documents]
        docs, skips = documents_from_dicts(rows, index.config)
        if skips:
            return _error(422, "unusable documents; nothing was added",
                          [{"doc_id": None if s.doc_id is None else _shown(s.doc_id), "reason": s.reason} for s in skips])
        if repaired:  # what the gate repaired, recorded with each document as a scan records it
            for k in sorted({path[1] for path, _, _ in repaired if len(path) > 1 and path[0] == "documents"}):
                if isinstance(k, int) and k < len(docs):
                    docs[k].warning = f"{docs[k].warning}; {SURROGATE_NOTE}" if docs[k].warning else SURROGATE_NOTE
        result = index.add_documents(docs, [], workers=1)
        if workers is not None:
            workers.refresh()  # new query processes with the new snapshot, before answering
        out = result.to_dict()
        out["added_ids"] = result.added
        if repaired:
            out["warnings"] = surrogate_warnings(repaired)
        return out

    if workers is None:
        @app.post("/query", dependencies=[Depends(auth)], responses={**responses, **query_links},
                  operation_id="query")
        def query(body: QueryRequest, request: Request) -> dict[str, Any]:
            """Indexed documents sharing passages with the text, without adding it. Lone
            surrogates in the text are replaced by U+FFFD (listed in ``warnings``)."""
            check_text(body.text, "text")
            answer = index.query(body.text, body.source, body.limit)
            repaired = request.scope.get(REPAIRED_KEY)
            if repaired:
                answer["warnings"] = surrogate_warnings(repaired)
            # Plain JSON types already: sent as they are, without FastAPI's per-value encoding pass.
            return SafeJSONResponse(answer)
    else:
        @app.post("/query", dependencies=[Depends(auth)], responses={**responses, **query_links},
                  operation_id="query")
        async def query(body: QueryRequest, request: Request) -> dict[str, Any]:
            """Indexed documents sharing passages with the text, without adding it. Lone
            surrogates in the text are replaced by U+FFFD (listed in ``warnings``)."""
            check_text(body.text, "text")
            answer = await workers.query(body.text, body.source, body.limit)
            repaired = request.scope.get(REPAIRED_KEY)
            if repaired:  # the answer is one JSON object: the list goes in before its closing brace
                answer = answer[:-1] + b',"warnings":' + json.dumps(surrogate_warnings(repaired)).encode("ascii") + b"}"
            return Response(answer, media_type="application/json")

    @app.get("/documents/{doc_id:path}", dependencies=[Depends(auth)], operation_id="get_document",
             responses={**errors, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}, **document_links})
    def get_document(doc_id: str, text: bool = True) -> dict[str, Any]:
        """A document, its passages (with the other side) and its cluster memberships."""
        found = index.document(doc_id, with_text=text)
        if found is None:
            raise HTTPException(404, f"no document with id {doc_id!r}")
        return found

    @app.get("/clusters/{cluster_id}", dependencies=[Depends(auth)], operation_id="get_cluster",
             responses={**errors, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    def get_cluster(cluster_id: int) -> dict[str, Any]:
        """The member spans of a reprint cluster, origin first."""
        rows = index.cluster(cluster_id)
        if rows is None:
            raise HTTPException(404, f"no cluster {cluster_id}")
        return {"cluster_id": cluster_id, "members": rows}

    def openapi() -> dict[str, Any]:
        """FastAPI's schema with this server's limits in it (checked by the endpoints: 413)."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            models = schema["components"]["schemas"]
            for name in ("DocumentIn", "QueryRequest"):
                models[name]["properties"]["text"]["maxLength"] = limits.max_text_chars
            models["AddRequest"]["properties"]["documents"]["maxItems"] = limits.max_batch
        return app.openapi_schema

    app.openapi = openapi
    return app


# --- the server's connection limits ------------------------------------------------------


def _raw_response(status: int, error: str, detail: Any = None) -> bytes:
    """A whole HTTP/1.1 error response, for the protocol to write itself (then it closes)."""
    body = json.dumps({"error": error, "detail": detail}).encode("utf-8")
    return (f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode("latin-1") + body


async def _over_capacity(scope, receive, send):
    if scope["type"] == "http":
        await _error(503, "too many open connections; try again later",
                     headers={"Connection": "close", "Retry-After": "1"})(scope, receive, send)


def guarded_protocol(limits: Limits, base: type | None = None) -> type:
    """uvicorn's HTTP protocol (httptools where installed, else h11) with the service's
    connection limits, which uvicorn does not have or answers in plain text:

    * a connection opened while ``max_connections`` are already open gets 503 (JSON) to its
      request and is closed; the others go on as before;
    * a request's headers must be complete within ``header_timeout`` seconds of the connection's
      opening, or of the end of the previous response on a kept-alive connection (which
      includes sending any rest of a body the server answered without reading): else 408 if
      the client had sent something, and the connection is closed;
    * request line and headers over ``max_header_bytes``: 431, closed (httptools has no limit
      of its own; with h11, uvicorn's fallback, h11's own limit of 16 kB answers 400);
    * malformed HTTP gets uvicorn's 400 as JSON.
    """
    if base is None:
        from uvicorn.protocols.http.auto import AutoHTTPProtocol as base

    class GuardedHTTPProtocol(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._header_timer = None
            self._header_data = False  # bytes arrived since the timer was armed
            self._in_headers = False  # httptools: a request begun whose headers are not complete
            self._header_bytes = 0

        def connection_made(self, transport):
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                log.warning("%d open connections (the limit is %d): answering 503",
                            len(self.connections), limits.max_connections)
                self.app = _over_capacity
            self._arm_headers()

        def connection_lost(self, exc):
            self._disarm_headers()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle
            self._header_data = True
            super().data_received(data)
            if self.cycle is not cycle:  # a request's headers are complete
                self._disarm_headers()
            if self._in_headers:  # counted after parsing: at most one read (64 kB) over the limit is held
                self._header_bytes += len(data)
                if self._header_bytes > limits.max_header_bytes and not self.transport.is_closing():
                    log.warning("request headers over %d bytes: answering 431", limits.max_header_bytes)
                    self.transport.write(_raw_response(431, "request headers too large",
                                                       f"the limit is {limits.max_header_bytes} bytes"))
                    self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                self._arm_headers()  # no pipelined request under way: the next one's headers are due

        if hasattr(base, "on_message_begin") and hasattr(base, "on_headers_complete"):  # httptools
            def on_message_begin(self) -> None:
                super().on_message_begin()
                self._in_headers, self._header_bytes = True, 0

            def on_headers_complete(self) -> None:
                self._in_headers = False
                super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            if not self.transport.is_closing():
                self.transport.write(_raw_response(400, "invalid HTTP request", msg))
                self.transport.close()

        def _arm_headers(self) -> None:
            self._disarm_headers()
            self._header_data = False
            self._header_timer = self.loop.call_later(limits.header_timeout, self._headers_timed_out)

        def _disarm_headers(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_timed_out(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
                return
            if self._header_data:  # a request was begun: say why it ends
                log.warning("request headers not received within %s s: answering 408", limits.header_timeout)
                self.transport.write(_raw_response(408, "request headers not received in time",
                                                   f"the limit is {limits.header_timeout} s"))
            self.transport.close()

    return GuardedHTTPProtocol


def uvicorn_config(app, limits: Limits | None = None, host: str = "127.0.0.1", port: int = 8000,
                   log_level: str = "info", **kwargs):
    """The uvicorn configuration ``serve`` runs ``app`` with: ``limits``' connection limits in
    the HTTP protocol (``guarded_protocol``) and its keep-alive timeout."""
    import uvicorn

    limits = limits or Limits()
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=guarded_protocol(limits),
                          timeout_keep_alive=limits.keep_alive_timeout, **kwargs)


def serve(index_path: str, host: str = "127.0.0.1", port: int = 8000, token_file: str | None = None,
          limits: Limits | None = None, log_level: str = "info", workers: int = 0) -> None:
    """Open the index and serve it until interrupted. ``workers`` > 0: that many forked
    processes answer queries (see ``reprints.service.workers``); 0: all in this process."""
    import uvicorn

    token = read_token(token_file)
    if token is None and not is_loopback(host):
        raise PermissionError(f"refusing to listen on {host} without a token: set {TOKEN_ENV} or --token-file "
                              "(without one only loopback addresses are allowed)")
    limits = limits or Limits()
    index = Index(index_path)
    pool = None
    try:
        if workers > 0:
            pool = QueryWorkers(index, workers)
            pool.refresh()  # builds the query snapshot and forks the workers before serving
        app = create_app(index, token, limits, pool)
        uvicorn.Server(uvicorn_config(app, limits, host=host, port=port, log_level=log_level)).run()
    finally:
        if pool is not None:
            pool.close()
        index.close()
