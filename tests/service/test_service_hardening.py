"""The service under hostile or careless clients (issue 13), against a real uvicorn server on
loopback run as ``reprints serve`` runs it (``uvicorn_config``: the service's connection limits).

No assertion is on wall time: a timeout under test is set small and the test waits for the
server's answer or close; the socket timeouts are only guards against a hang."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from servicekit import TOKEN, LiveServer, wait_until
from reprints.index import Index
from reprints.service.app import Limits, create_app, read_token, serve

GUARD = 30.0  # seconds: only a hang guard; every test here is answered long before
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def index(tmp_path, wire_rows):
    ix = Index(tmp_path / "ix.duckdb")
    ix.add(wire_rows[:12])
    yield ix
    ix.close()


def serve_app(index, limits: Limits = Limits(), workers=None) -> LiveServer:
    return LiveServer(create_app(index, TOKEN, limits, workers), limits)


# --- raw HTTP, to send what a careful client would not ------------------------------------


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=GUARD)
    sock.settimeout(GUARD)
    return sock


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response (status, headers, body); the body by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    size = int(headers.get("content-length", 0))
    while len(body) < size:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        body += chunk
    return status, headers, body


def until_closed(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection (waits for the close, up to the guard)."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- 5: lone surrogates ------------------------------------------------------------------


@pytest.mark.parametrize("processes", [0, 2])
def test_lone_surrogates_are_replaced_and_reported(index, wire_rows, processes):
    from reprints.service.workers import QueryWorkers

    source = next(r for r in wire_rows if r["id"] == "nw-port-strike")["text"][:1500]
    workers = None
    if processes:
        workers = QueryWorkers(index, processes)
        workers.refresh()
    try:
        with serve_app(index, workers=workers) as server, \
                httpx.Client(base_url=server.url, headers=AUTH, timeout=GUARD) as client:
            # a lone surrogate, as a JSON escape, inside the passage that matches (was a plain-text 500)
            text = source[:700] + "\ud800" + source[700:]
            r = client.post("/query", content=json.dumps({"text": text}).encode("ascii"),
                            headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            r.content.decode("utf-8")  # strict: valid UTF-8
            answer = r.json()
            repaired = source[:700] + "\ufffd" + source[700:]
            assert answer.pop("warnings") == ["text: 1 lone UTF-16 surrogate replaced by U+FFFD "
                                              "(one code point for one: offsets are unchanged)"]
            assert answer["length"] == len(text) == len(repaired)
            # the same answer, offsets included, as for the text with U+FFFD sent as such
            assert answer == client.post("/query", json={"text": repaired}).json()
            # in the source too (was a 422: pydantic refuses such a string)
            body = json.dumps({"text": text, "source": "Wire \udc00\udc00"}).encode("ascii")
            r = client.post("/query", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 200, r.text
            warnings = r.json()["warnings"]
            assert [w.split(":")[0] for w in warnings] == ["source", "text"] and "2 lone" in warnings[0]
            passages = [p for m in answer["matches"] if m["doc_id"] == "nw-port-strike" for p in m["passages"]]
            assert passages and any(p["begin"] <= 700 < p["end"] for p in passages)
            assert "\ufffd" in "".join(p["text"] for p in passages)
            for p in passages:  # the query's side, at its offsets
                assert p["text"] == repaired[p["begin"]:p["end"]]
            # no warning when there is nothing to repair (a valid pair written as escapes included)
            clean = client.post("/query", content=json.dumps({"text": source + " \U0001F600"}).encode("ascii"),
                                headers={"Content-Type": "application/json"}).json()
            assert "warnings" not in clean
    finally:
        if workers is not None:
            workers.close()


def test_documents_with_lone_surrogates(index, wire_rows):
    before = index.stats()["documents"]
    with serve_app(index) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=GUARD) as client:
        h = {"Content-Type": "application/json"}
        text = "Harbour pilots \ud83d walked out at dawn, the union said, closing the port to ships " * 3
        doc = {"id": "sur-1", "text": text, "source": "Wire\udc00", "title\ud800": "t\ud800"}
        r = client.post("/documents", content=json.dumps({"documents": [doc]}).encode("ascii"), headers=h)
        assert r.status_code == 200, r.text
        r.content.decode("utf-8")
        out = r.json()
        assert out["added_ids"] == ["sur-1"]
        assert [w.split(":")[0] for w in out["warnings"]] == [
            "documents[0].source", "documents[0].text", "documents[0].title\\ud800", "documents[0].title\ufffd"]
        got = client.get("/documents/sur-1").json()
        assert got["text"] == text.replace("\ud83d", "\ufffd") and len(got["text"]) == len(text)
        assert got["source"] == "Wire\ufffd" and got["meta"] == {"title\ufffd": "t\ufffd"}
        con = index.reader()
        try:
            warning = con.execute("SELECT warning FROM documents WHERE doc_id = 'sur-1'").fetchone()[0]
        finally:
            con.close()
        assert "U+FFFD" in warning
        # an id with a lone surrogate is refused by name (an id is never changed silently)
        bad = {"id": "x\ud800y", "text": "Some words to index here."}
        r = client.post("/documents", content=json.dumps({"documents": [bad]}).encode("ascii"), headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["detail"] == [{"doc_id": "x\\ud800y", "reason": "id contains the lone surrogate U+D800",
                                       "index": 0}]
        assert client.get("/health").json()["documents"] == before + 1


# --- 9: the id rule ----------------------------------------------------------------------


def test_ids_that_could_not_be_fetched_are_refused(index):
    before = index.stats()["documents"]
    with serve_app(index) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=GUARD) as client:
        good = {"id": "fine-id", "text": "Harbour pilots walked out at dawn."}
        for doc_id, reason in (("a\nb", "U+000A"), ("tab\there", "U+0009"), ("   ", "empty id"),
                               ("nel\u0085", "U+0085"), ("del\x7f", "U+007F")):
            r = client.post("/documents", json={"documents": [good, {"id": doc_id, "text": "Some words here."}]})
            assert r.status_code == 422, (doc_id, r.text)
            body = r.json()
            assert "nothing was added" in body["error"]
            assert body["detail"] == [{"doc_id": doc_id, "reason": body["detail"][0]["reason"], "index": 1}]
            assert reason in body["detail"][0]["reason"]
        assert client.get("/health").json()["documents"] == before
        assert client.get("/documents/fine-id").status_code == 404
        # an id the rule allows can be fetched back, whatever it holds
        odd = "über/α β?#%"
        assert client.post("/documents", json={"documents": [{"id": odd, "text": "Harbour pilots walked out."}]}
                           ).status_code == 200
        from urllib.parse import quote
        assert client.get("/documents/" + quote(odd, safe="")).json()["doc_id"] == odd


# --- 6: the token before the body; limits on connections and time -------------------------


def test_token_is_checked_before_the_body_is_read(index):
    limits = Limits(max_body_bytes=10_000_000)
    with serve_app(index, limits) as server:
        for auth in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            for framing in ({"Content-Length": "9900000"}, {"Transfer-Encoding": "chunked"}):
                sock = connect(server.port)
                try:
                    # headers only: the body never comes, and the server must not wait for it
                    sock.sendall(request_head("POST", "/documents", {"Content-Type": "application/json",
                                                                     **framing, **auth}))
                    status, headers, body = read_response(sock)
                    assert status == 401, (auth, framing, body)
                    assert headers["www-authenticate"] == "Bearer" and json.loads(body)["error"]
                finally:
                    sock.close()
        # unknown paths too: nothing but /health and the schema is open without the token
        assert httpx.post(server.url + "/no-such-path", content=b"{}").status_code == 401
        assert httpx.get(server.url + "/health").status_code == 200
        assert httpx.get(server.url + "/openapi.json").status_code == 200
        # with the token, a Content-Length over the limit is refused before the body too
        sock = connect(server.port)
        try:
            sock.sendall(request_head("POST", "/documents", {"Content-Type": "application/json",
                                                             "Content-Length": "10000001", **AUTH}))
            assert read_response(sock)[0] == 413
        finally:
            sock.close()


def test_a_body_that_trickles_is_cut_off(index):
    limits = Limits(body_timeout=3.0)  # long enough that the request sent in time below is never cut off
    with serve_app(index, limits) as server:
        sock = connect(server.port)
        try:
            sock.sendall(request_head("POST", "/query", {"Content-Type": "application/json",
                                                         "Content-Length": "1000", **AUTH}) + b'{"text": "')
            status, headers, body = read_response(sock)  # the rest never comes
            assert status == 408 and headers["connection"] == "close"
            assert "in time" in json.loads(body)["error"]
            assert until_closed(sock) == b""
        finally:
            sock.close()
        # a body sent in time is answered as before
        assert httpx.post(server.url + "/query", json={"text": "harbour pilots"}, headers=AUTH).status_code == 200


def test_slow_or_huge_headers_are_cut_off(index):
    limits = Limits(header_timeout=3.0, max_header_bytes=4096)  # a stalled test process up to 3 s still sends in time
    with serve_app(index, limits) as server:
        # headers begun and never finished: 408, closed
        sock = connect(server.port)
        try:
            sock.sendall(b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            status, headers, body = read_response(sock)
            assert status == 408 and json.loads(body)["error"] == "request headers not received in time"
            assert until_closed(sock) == b""
        finally:
            sock.close()
        # a connection that sends nothing: closed without a word
        sock = connect(server.port)
        try:
            assert sock.recv(65536) == b""
        finally:
            sock.close()
        # the rest of a body the server answered without reading (401) is due as the next
        # request's headers are: it cannot hold the connection by trickling in
        sock = connect(server.port)
        try:
            sock.sendall(request_head("POST", "/documents", {"Content-Type": "application/json",
                                                             "Content-Length": "1000000"}))
            assert read_response(sock)[0] == 401
            sock.sendall(b"x" * 10)
            assert until_closed(sock).startswith(b"HTTP/1.1 408 ")
        finally:
            sock.close()
        # headers past the limit: 431, closed (uvicorn's httptools parser has no limit of its own)
        sock = connect(server.port)
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Filler: " + b"a" * 8000 + b"\r\n")
            status, headers, body = read_response(sock)
            assert status == 431 and "too large" in json.loads(body)["error"]
            assert until_closed(sock) == b""
        finally:
            sock.close()
        # malformed HTTP: uvicorn's 400, as JSON like every other error
        sock = connect(server.port)
        try:
            sock.sendall(b"NOT HTTP AT ALL\x00\r\n\r\n")
            status, headers, body = read_response(sock)
            assert status == 400 and headers["content-type"] == "application/json" and json.loads(body)["error"]
        finally:
            sock.close()
        # a well-formed client is served as before, keep-alive included
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=GUARD) as client:
            for _ in range(3):
                assert client.get("/health").status_code == 200


def test_connections_over_the_cap_get_503(index):
    limits = Limits(max_connections=3, header_timeout=GUARD * 2, keep_alive_timeout=GUARD * 2)
    with serve_app(index, limits) as server:
        held = []
        try:
            for _ in range(3):  # each served once, so the server has surely taken it, then kept open
                sock = connect(server.port)
                sock.sendall(request_head("GET", "/health", {}))
                assert read_response(sock)[0] == 200
                held.append(sock)
            sock = connect(server.port)
            try:
                sock.sendall(request_head("GET", "/health", {}))
                status, headers, body = read_response(sock)
                assert status == 503 and "too many open connections" in json.loads(body)["error"]
                assert until_closed(sock) == b""
            finally:
                sock.close()
            # the held connections are still served
            held[0].sendall(request_head("GET", "/health", {}))
            assert read_response(held[0])[0] == 200
            # one closes: a new connection is served again (once the server has seen the close)
            held.pop().close()

            def served() -> bool:
                with connect(server.port) as sock:
                    sock.sendall(request_head("GET", "/health", {}))
                    return read_response(sock)[0] == 200

            wait_until(served, "a connection under the cap was refused")
        finally:
            for sock in held:
                sock.close()


# --- --token-file ------------------------------------------------------------------------


def test_token_file_first_line(tmp_path, monkeypatch):
    monkeypatch.delenv("REPRINTS_TOKEN", raising=False)
    path = tmp_path / "token"
    for content, token in (("first\nsecond line\n", "first"), ("  spaced  \r\n", "spaced"),
                           ("\ufeffwith-bom\n", "with-bom"), ("no-newline", "no-newline")):
        path.write_text(content, encoding="utf-8")
        assert read_token(str(path)) == token, content
    for content in ("", "\n", "   \nsecret-on-line-two\n"):
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ValueError, match="first line is empty"):
            read_token(str(path))
        # serve refuses before opening (or creating) the index
        with pytest.raises(ValueError, match="first line is empty"):
            serve(str(tmp_path / "never.duckdb"), token_file=str(path))
        assert not (tmp_path / "never.duckdb").exists()


# --- the schema says what the endpoints check (found by schemathesis) --------------------


def test_schema_states_limits_rules_and_links(index):
    import re

    limits = Limits(max_text_chars=20_000, max_batch=5)
    with serve_app(index, limits) as server:
        schema = httpx.get(server.url + "/openapi.json").json()
    models = schema["components"]["schemas"]
    text = models["DocumentIn"]["properties"]["text"]
    assert text["maxLength"] == 20_000 and models["QueryRequest"]["properties"]["text"]["maxLength"] == 20_000
    assert models["AddRequest"]["properties"]["documents"]["maxItems"] == 5
    assert re.search(text["pattern"], "no. 5") and not re.search(text["pattern"], "  ?! _ ")
    id_pattern = re.compile(models["DocumentIn"]["properties"]["id"]["pattern"])
    from reprints.records import doc_id_problem
    for doc_id in ("a", "a b", " x ", "über/α", "a\nb", "\t", " ", "x\x85", "x\x7f"):
        assert bool(id_pattern.fullmatch(doc_id)) == (doc_id_problem(doc_id) is None), doc_id
    links = schema["paths"]["/documents"]["post"]["responses"]["200"]["links"]
    assert links["GetAddedDocument"]["operationId"] == "get_document"
    assert {op["operationId"] for path in schema["paths"].values() for op in path.values()} == {
        "health", "add_documents", "query", "get_document", "get_cluster"}
