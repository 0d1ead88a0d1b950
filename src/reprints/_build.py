"""The compiled modules, and the check that each was built from the source installed beside it.

``pip install`` (setup.py) compiles the modules below and records a SHA-256 digest of each
source in ``reprints/_build_info.py``, generated at build time. On import, a compiled module
whose source beside it no longer has the recorded digest (a source edited after an editable
build) is refused, with the command that rebuilds it. The check compares contents, not file
times, so it cannot fire on a correct install, whatever order an installer writes files in.

``_native`` (Cython) has no pure-Python fallback: its loops would run 10-50x slower
interpreted, and a second implementation of each would have to be kept in step (the tests keep
plain-Python references only to check it). A machine without a C compiler installs a wheel.
``stages.align`` is plain Python compiled as it is, so without a build the same file runs
interpreted (about 1.5x slower alignment), and nothing is lost but speed.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# module -> its source, relative to the package folder
COMPILED = {"reprints._native": "_native.pyx", "reprints.stages.align": "stages/align.py"}
REBUILD = "reinstall reprints (`pip install .`, or `make` / `pip install -e .` in a clone)"


class BuildError(ImportError):
    """A compiled module is missing or older than its source."""


def source_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def recorded_digests() -> dict[str, str]:
    try:
        from reprints import _build_info
    except ImportError:
        return {}
    return dict(_build_info.SOURCE_SHA256)


def check_build() -> None:
    """Raise `BuildError` if a compiled module is missing (``_native``) or stale (any)."""
    recorded = None
    for module, source in COMPILED.items():
        spec = importlib.util.find_spec(module)
        origin = spec.origin if spec is not None else None
        if origin is None or origin.endswith((".py", ".pyc", ".pyx")):
            if module == "reprints._native":
                raise BuildError(f"{module} is not compiled: {REBUILD}; on a machine without a C compiler, "
                                 "install a wheel of reprints")
            continue
        path = PACKAGE_DIR / source
        if not path.exists():
            continue  # installed without its source: nothing it could be older than
        if recorded is None:
            recorded = recorded_digests()
        if recorded.get(source) != source_digest(path):
            raise BuildError(f"{origin} was not compiled from {path} (the source changed after the build): {REBUILD}")
