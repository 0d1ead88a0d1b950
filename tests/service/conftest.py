from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

from servicekit import WIRE  # noqa: E402


@pytest.fixture(scope="session")
def wire_rows() -> list[dict]:
    return [json.loads(line) for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
