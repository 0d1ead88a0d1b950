"""Build of the compiled parts; everything else is in pyproject.toml.

* ``reprints._native`` (src/reprints/_native.pyx): the inner loops written for Cython.
* ``reprints.stages.align``: the aligner, plain Python, compiled as it is (about 1.5x faster for
  its grouping of seeds into passages). Without a build, Python runs the same file interpreted.

Each build records the SHA-256 of every compiled source in ``reprints/_build_info.py``, which
``reprints._build.check_build`` compares on import (see there).
"""

import importlib.util
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

PACKAGE = Path(__file__).resolve().parent / "src" / "reprints"
_spec = importlib.util.spec_from_file_location("_reprints_build", PACKAGE / "_build.py")
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

digests = {source: build.source_digest(PACKAGE / source) for source in build.COMPILED.values()}
(PACKAGE / "_build_info.py").write_text(
    '"""Written by setup.py at build time: the SHA-256 of each compiled source."""\n\n'
    f"SOURCE_SHA256 = {digests!r}\n", encoding="utf-8")

setup(ext_modules=cythonize(
    [Extension(module, [f"src/reprints/{source}"], extra_compile_args=["-O3"])
     for module, source in build.COMPILED.items()],
    compiler_directives={"language_level": "3"}))
