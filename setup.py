"""Build of the compiled parts; everything else is in pyproject.toml.

* ``reprints._native`` (src/reprints/_native.pyx): the inner loops written for Cython.
* ``reprints.stages.align``: the aligner, plain Python, compiled as it is (about 1.5x faster for
  its grouping of seeds into passages). Without a build, Python runs the same file interpreted.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("reprints._native", ["src/reprints/_native.pyx"], extra_compile_args=["-O3"]),
     Extension("reprints.stages.align", ["src/reprints/stages/align.py"], extra_compile_args=["-O3"])],
    compiler_directives={"language_level": "3"}))
