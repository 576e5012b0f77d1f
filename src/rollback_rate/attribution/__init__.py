"""Per-stream attribution: which deployments were rolled back, when, and by what.

The names below are imported on first use (PEP 562): the read model needs only the pure
rules (`stack`, `corrections`), and a command that only reads must not load the
projection's writer (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports, where

if TYPE_CHECKING:
    from rollback_rate.attribution.budget import StateBudget
    from rollback_rate.attribution.changes import ChangeLog, StreamChanges
    from rollback_rate.attribution.compact_stack import StreamState
    from rollback_rate.attribution.projection import Projector, rebuild_all, refresh_streams
    from rollback_rate.attribution.stack import (
        Deployed,
        FixedForward,
        Orphaned,
        Outcome,
        RolledBack,
        StreamEvent,
        apply,
        stream_event,
    )

_LAZY = {
    **where("rollback_rate.attribution.budget", "StateBudget"),
    **where("rollback_rate.attribution.changes", "ChangeLog", "StreamChanges"),
    **where("rollback_rate.attribution.compact_stack", "StreamState"),
    **where("rollback_rate.attribution.projection", "Projector", "rebuild_all", "refresh_streams"),
    **where(
        "rollback_rate.attribution.stack",
        "Deployed",
        "FixedForward",
        "Orphaned",
        "Outcome",
        "RolledBack",
        "StreamEvent",
        "apply",
        "stream_event",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "ChangeLog",
    "Deployed",
    "FixedForward",
    "Orphaned",
    "Outcome",
    "Projector",
    "RolledBack",
    "StateBudget",
    "StreamChanges",
    "StreamEvent",
    "StreamState",
    "apply",
    "rebuild_all",
    "refresh_streams",
    "stream_event",
]
