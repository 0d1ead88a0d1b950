"""The versions of reprints and of what it runs on, for ``reprints --version`` and run.json."""

from __future__ import annotations

import platform
from importlib import metadata

from reprints._version import __version__

REQUIRED = ("numpy", "pyarrow", "duckdb", "pandas", "typer", "rich")
OPTIONAL = ("pyspark", "fastapi", "uvicorn")  # the spark and service extras


def dependency_versions(optional: bool = True) -> dict[str, str]:
    """Installed version of each dependency (read from package metadata: nothing is imported)."""
    found = {}
    for name in REQUIRED + (OPTIONAL if optional else ()):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def version_text() -> str:
    lines = [f"reprints {__version__}", f"python {platform.python_version()} ({platform.platform()})"]
    lines += [f"{name} {version}" for name, version in dependency_versions().items()]
    return "\n".join(lines)
