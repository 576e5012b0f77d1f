"""Shared helpers for the source adapter tests: fixture loading and fixed options.

Every fixture is a payload its sender really emits (tests/sources/fixtures/ORIGINS.md says
where each comes from).  A test that needs a scenario the published example does not show
loads the fixture through :func:`changed`, which names each field it touches and requires
the reason, so a reader sees exactly where a test departs from the real payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rollback_rate.sources import SourceOptions

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

#: A path into a payload: ``"a.b.0.c"``, or a tuple when a key holds dots
#: (``("metadata", "annotations", "deployment.kubernetes.io/revision")``).
FieldPath = str | tuple[str | int, ...]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _steps(path: FieldPath) -> list[str | int]:
    parts = path.split(".") if isinstance(path, str) else list(path)
    return [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]


def _parent(payload: Any, path: FieldPath) -> tuple[Any, str | int]:
    *walk, last = _steps(path)
    target = payload
    for step in walk:
        target = target[step]
    return target, last


def changed(
    name: str,
    *,
    because: str,
    replace: Mapping[FieldPath, Any] | None = None,
    add: Mapping[FieldPath, Any] | None = None,
    drop: Iterable[FieldPath] = (),
) -> Any:
    """Fixture ``name`` with named fields replaced, added or dropped, for the stated reason.

    ``replace`` and ``drop`` only touch fields the real payload has, and ``add`` only fields
    it lacks, so a typo cannot silently invent a field the sender never sends.
    """
    if not because.strip():
        raise ValueError("say why the real payload is changed")
    payload = load(name)
    for path, value in (replace or {}).items():
        target, key = _parent(payload, path)
        if isinstance(target, dict) and key not in target:
            raise KeyError(f"{name} has no {path!r} to replace")
        target[key] = value
    for path, value in (add or {}).items():
        target, key = _parent(payload, path)
        if key in target:
            raise KeyError(f"{name} already has {path!r}; replace it instead")
        target[key] = value
    for path in drop:
        target, key = _parent(payload, path)
        del target[key]
    return payload


OPTIONS = SourceOptions(now=NOW)
