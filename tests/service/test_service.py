"""The HTTP service, against a real uvicorn server on loopback."""

from __future__ import annotations

import json

import httpx
import pytest

from servicekit import TOKEN, AddGate, LiveServer, queries_during_add
from reprints.index import Index, store
from reprints.service.app import Limits, create_app, is_loopback, read_token, serve

LIMITS = Limits(max_body_bytes=300_000, max_text_chars=100_000, max_batch=50)


@pytest.fixture
def live(tmp_path, wire_rows):
    index = Index(tmp_path / "ix.duckdb")
    index.add(wire_rows[:12])
    with LiveServer(create_app(index, TOKEN, LIMITS)) as server:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as client:
            yield server, client, index
    index.close()


def _count(client) -> int:
    return client.get("/health").json()["documents"]


def test_health_openapi_and_auth(live):
    server, client, _ = live
    assert client.get("/health").json()["status"] == "ok"
    schema = httpx.get(server.url + "/openapi.json").json()
    assert {"/documents", "/query", "/documents/{doc_id}", "/clusters/{cluster_id}", "/health"} <= set(schema["paths"])
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        r = httpx.post(server.url + "/query", json={"text": "x"}, headers=headers)
        assert r.status_code == 401 and r.json()["error"]
    r = httpx.get(server.url + "/documents/nw-port-strike")
    assert r.status_code == 401


def test_add_query_get(live, wire_rows):
    _, client, _ = live
    before = _count(client)
    r = client.post("/documents", json={"documents": wire_rows[12:]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == len(wire_rows) - 12 and body["documents"] == len(wire_rows) == before + body["added"]
    # the same again: unchanged
    again = client.post("/documents", json={"documents": wire_rows[12:13]}).json()
    assert again["unchanged"] == 1 and again["added"] == 0
    # one document alone, changed text: replaced
    row = dict(wire_rows[12], text=wire_rows[12]["text"] + "\n\nUpdated at noon.")
    replaced = client.post("/documents", json={"documents": [row]}).json()
    assert replaced["replaced"] == [row["id"]]

    source = next(r for r in wire_rows if r["id"] == "nw-port-strike")
    q = client.post("/query", json={"text": source["text"][:1500]})
    assert q.status_code == 200
    found = q.json()
    assert "nw-port-strike" in {m["doc_id"] for m in found["matches"]}
    assert _count(client) == len(wire_rows)  # queries add nothing

    doc = client.get("/documents/nw-port-strike").json()
    assert doc["text"] == source["text"] and doc["passages"]
    cid = doc["clusters"][0]["cluster_id"]
    cluster = client.get(f"/clusters/{cid}").json()
    assert any(m["doc_id"] == "nw-port-strike" for m in cluster["members"])


def test_errors_are_clear_json_and_write_nothing(live):
    server, client, _ = live
    before = _count(client)
    h = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    cases = [
        (b'{"documents": [', 400, "malformed JSON"),
        (b'{"text": "caf\xe9"}', 400, "UTF-8"),
        (json.dumps({"documents": [{"text": "no id here"}]}).encode(), 422, "invalid"),
        (json.dumps({"documents": [{"id": "x"}]}).encode(), 422, "invalid"),
        (json.dumps({"documents": []}).encode(), 422, "invalid"),
        (json.dumps({"documents": [{"id": "big", "text": "word " * 70_000}]}).encode(), 413, "too large"),
        (json.dumps({"documents": [{"id": "long", "text": "w" * 100_001}]}).encode(), 413, "limit"),
        (json.dumps({"documents": [{"id": "e1", "text": "fine text here"}, {"id": "e2", "text": "   "}]}).encode(),
         422, "nothing was added"),
        (json.dumps({"documents": [{"id": f"n{k}", "text": "t"} for k in range(51)]}).encode(), 413, "limit"),
    ]
    for body, status, words in cases:
        r = httpx.post(server.url + "/documents", content=body, headers=h)
        assert r.status_code == status, (body[:60], r.status_code, r.text)
        payload = r.json()
        assert words.lower() in (payload["error"] + json.dumps(payload.get("detail"))).lower(), payload
    # chunked body over the limit, without a Content-Length
    def chunks():
        yield b'{"documents": [{"id": "c", "text": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}]}'
    r = httpx.post(server.url + "/documents", content=chunks(), headers=h)
    assert r.status_code == 413
    r = httpx.post(server.url + "/query", content=b"text=abc", headers={**h, "Content-Type": "text/plain"})
    assert r.status_code == 415
    assert _count(client) == before
    assert client.get("/documents/e1").status_code == 404
    r = client.get("/documents/no-such-document")
    assert r.status_code == 404 and "no document" in r.json()["error"]
    assert client.get("/clusters/99999").status_code == 404
    assert client.get("/clusters/not-a-number").status_code == 422
    # unknown paths and methods: the same JSON error shape (found by schemathesis: "/clusters/")
    for method, path, status in (("GET", "/clusters/", 404), ("GET", "/no-such-path", 404), ("DELETE", "/query", 405)):
        r = client.request(method, path)
        assert r.status_code == status and r.json()["error"], (method, path, r.text)


def test_queries_are_answered_while_an_add_runs(tmp_path, wire_rows, monkeypatch):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "index"))
    from test_index_kill import _variants

    index = Index(tmp_path / "ix.duckdb")
    index.add(wire_rows)
    batch = _variants(wire_rows, per_story=4)
    source = next(r for r in wire_rows if r["id"] == "nw-port-strike")
    old_answer = index.query(source["text"])
    # The add is held at every point it passes (each stage boundary, and after its COMMIT), and
    # queries are answered while it is held there.
    gate = AddGate(store.ADD_POINTS)
    monkeypatch.setattr(store, "on_stage", gate)
    with LiveServer(create_app(index, TOKEN, Limits(max_batch=1000))) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}

        def never_half_visible(client, point, answer):  # reads see the last committed state
            committed = point == "committed"
            assert client.get("/health").json()["documents"] == len(wire_rows) + (len(batch) if committed else 0), point
            if committed:
                assert answer == index.query(source["text"]) != old_answer
            else:
                assert answer == old_answer, point

        response, answered_during = queries_during_add(server.url, headers, batch, source["text"], "nw-port-strike",
                                                       gate, per_point=2, check=never_half_visible)
        assert response.status_code == 200, response.text
        assert gate.passed == list(store.ADD_POINTS)
        assert answered_during == 2 * len(store.ADD_POINTS)
        assert httpx.get(server.url + "/health").json()["documents"] == len(wire_rows) + len(batch)
        new_answer = httpx.post(server.url + "/query", json={"text": source["text"]}, headers=headers).json()
        assert new_answer == index.query(source["text"]) and new_answer != old_answer
    index.close()


def test_refuses_non_loopback_without_token(tmp_path, monkeypatch):
    monkeypatch.delenv("REPRINTS_TOKEN", raising=False)
    with pytest.raises(PermissionError):
        serve(str(tmp_path / "ix.duckdb"), host="0.0.0.0", port=0)
    assert not (tmp_path / "ix.duckdb").exists()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    monkeypatch.setenv("REPRINTS_TOKEN", "from-env")
    assert read_token() == "from-env"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert read_token(str(token_file)) == "from-file"
