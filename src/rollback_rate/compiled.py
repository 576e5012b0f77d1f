"""The compiled core: which modules are compiled to C, and the switch back to their source.

An import spends most of its time in a few modules of ordinary typed Python: decoding
and record building, the stack rules, the rows they make. `setup.py` compiles exactly
these with Cython in pure-Python mode when Cython and a C compiler are there; the very
same files stay the fallback, so there is one copy of the rules and a machine without a
compiler loses only speed. With `ROLLBACK_RATE_PURE_PYTHON=1` (read when the package is
imported) they are imported from their source even where compiled: the test suite runs
both builds, and a suspected compiler bug can be ruled out in one command.

This module imports nothing of the package: `setup.py` reads `MODULES` from it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType

# Dotted names below `rollback_rate`, the hottest first (a profile of `import`).
MODULES = (
    "events.fast",
    "events.readers",
    "attribution.writer",
    "attribution.stack",
    "attribution.compact_stack",
    "attribution.projection",
    "store.sqlite",
    "store.log",
    "store.bulk",
    "timeutil",
    "metrics.betadist",  # a report's credible intervals
)
PURE_ENV = "ROLLBACK_RATE_PURE_PYTHON"


def pure_requested() -> bool:
    return os.environ.get(PURE_ENV, "").strip().lower() not in ("", "0", "false", "no")


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds the package's compiled modules as source files, ahead of their extension."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        leaf = fullname.rpartition(".")[2]
        for folder in path or sys.path:
            source = os.path.join(folder, leaf + ".py")
            if os.path.isfile(source):
                return importlib.util.spec_from_file_location(fullname, source)
        return None


def prefer_source() -> None:
    """Import the compiled modules from their `.py` files from now on (idempotent)."""
    if not any(isinstance(finder, _SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst(f"rollback_rate.{name}" for name in MODULES))


def compiled_modules() -> list[str]:
    """The names of `MODULES` that are, or would be, imported from a compiled extension."""
    return list(_extensions())


def stale_extensions() -> list[str]:
    """The compiled modules whose source changed after they were built (an edit that an
    editable install's extension would shadow): `scripts/bootstrap` rebuilds them."""
    stale = []
    for name, built in _extensions().items():
        source = os.path.join(os.path.dirname(built), name.rpartition(".")[2] + ".py")
        if os.path.isfile(source) and os.path.getmtime(source) > os.path.getmtime(built):
            stale.append(name)
    return stale


def _extensions() -> dict[str, str]:
    """Each of `MODULES` that imports from a compiled extension, and that file's path."""
    found = {}
    for name in MODULES:
        spec = importlib.util.find_spec(f"rollback_rate.{name}")
        if (
            spec is not None
            and spec.origin is not None
            and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
        ):
            found[name] = spec.origin
    return found
