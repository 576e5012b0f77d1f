"""Names a package exports but imports on first use (PEP 562).

A command that only reads must not pay for the write path, the HTTP service or the other
backend's driver at start-up (issue 13). A package keeps its public names and its
`__all__`, lists where each lives, and lets this module load it when first asked for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def where(module: str, *names: str) -> dict[str, str]:
    """`names`, each mapped to the `module` that defines it."""
    return dict.fromkeys(names, module)


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], Iterable[str]]]:
    """The `__getattr__` and `__dir__` of `package`, which imports each name in `exports`
    from its module when first asked for and keeps it, so later lookups are plain."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
