"""Build hook: compile the hot modules named in `rollback_rate/compiled.py` with Cython.

Everything else about the package is declared in pyproject.toml. The modules stay plain
Python files, shipped as well: where Cython or a C compiler is missing, or
`ROLLBACK_RATE_PURE_PYTHON=1` is set at build time, the package installs without
extensions and runs the same code from source, only slower.
"""

from __future__ import annotations

import os
import runpy
import sys

from setuptools import Extension, setup

SOURCE = "src/rollback_rate"
COMPILED = runpy.run_path(f"{SOURCE}/compiled.py")


def compiled_extensions() -> list[Extension]:
    if COMPILED["pure_requested"]():
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("rollback-rate: Cython is not installed; building pure Python", file=sys.stderr)
        return []
    extensions = [
        # optional: a failed C compile leaves that module to run from source.
        Extension(f"rollback_rate.{name}", [f"{SOURCE}/{name.replace('.', '/')}.py"], optional=True)
        for name in COMPILED["MODULES"]
    ]
    return cythonize(
        extensions,
        build_dir="build/cython",
        compiler_directives={"language_level": "3"},
        nthreads=CORES,
        quiet=True,
    )


CORES = os.cpu_count() or 1
# The C files compile side by side, one per core (pip runs build_ext without -j).
setup(ext_modules=compiled_extensions(), options={"build_ext": {"parallel": CORES}})
