"""Build of the compiled inner loops (src/reprints/_native.pyx); everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize([Extension("reprints._native", ["src/reprints/_native.pyx"], extra_compile_args=["-O3"])],
                            compiler_directives={"language_level": "3"}))
