"""The compiled modules are checked against their sources by content (reprints._build)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

from reprints import _build


def test_the_installed_build_matches_its_sources():
    _build.check_build()  # raises if stale
    assert set(_build.recorded_digests()) == set(_build.COMPILED.values())


def test_a_source_changed_after_the_build_is_refused(tmp_path, monkeypatch):
    spec = importlib.util.find_spec("reprints.stages.align")
    if spec.origin.endswith(".py"):
        pytest.skip("reprints.stages.align runs interpreted in this install: nothing compiled to be stale")
    for source in _build.COMPILED.values():
        target = tmp_path / source
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_build.PACKAGE_DIR / source, target)
    monkeypatch.setattr(_build, "PACKAGE_DIR", tmp_path)
    _build.check_build()  # same contents, whatever the file times: accepted
    (tmp_path / "stages/align.py").write_text((tmp_path / "stages/align.py").read_text() + "\n# edited\n")
    with pytest.raises(_build.BuildError, match="source changed after the build"):
        _build.check_build()


def test_a_missing_native_module_is_named(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "reprints._native" else real(name))
    with pytest.raises(_build.BuildError, match="reprints._native is not compiled.*wheel"):
        _build.check_build()
