"""Schemathesis: requests generated from the OpenAPI schema never make the server fail, and
every response matches the schema."""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from servicekit import TOKEN  # noqa: E402
from reprints.index import Index  # noqa: E402
from reprints.service.app import Limits, create_app  # noqa: E402

EXAMPLES = int(os.environ.get("REPRINTS_FUZZ_EXAMPLES", 30))  # per operation: bounded, a few seconds in all
# CI runs the same examples every time; REPRINTS_FUZZ_RANDOM=1 explores new ones (to hunt for failures).
DERANDOMIZE = os.environ.get("REPRINTS_FUZZ_RANDOM", "") not in ("1", "true", "yes")


def test_api_never_fails(tmp_path, wire_rows):
    from schemathesis import checks
    from schemathesis.specs.openapi.checks import response_schema_conformance

    index = Index(tmp_path / "ix.duckdb")
    index.add(wire_rows)
    app = create_app(index, TOKEN, Limits(max_body_bytes=100_000, max_text_chars=20_000, max_batch=5))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/documents", "/query", "/health"}
    tried = 0
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=DERANDOMIZE)  # by default the same examples on every run: CI results are repeatable
        def run(case):
            nonlocal tried
            tried += 1
            response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
            assert response.status_code < 500, (case.path, case.body, response.status_code, response.text[:300])
            case.validate_response(response, checks=[checks.not_a_server_error, response_schema_conformance])

        run()
    assert tried >= len(operations)
    # whatever was added, the index is still consistent
    assert index.stats()["documents"] >= len(wire_rows)
    index.close()
