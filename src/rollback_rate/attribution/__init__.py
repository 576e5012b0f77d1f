"""Per-stream attribution: which deployments were rolled back, when, and by what.

The names below are imported on first use (PEP 562): the read model needs only the pure
rules (`stack`, `corrections`), and a command that only reads must not load the
projection's writer (issue 13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rollback_rate.lazy import lazy_exports

if TYPE_CHECKING:
    from rollback_rate.attribution.budget import STATE_BUDGET, StateBudget
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
    **dict.fromkeys(("STATE_BUDGET", "StateBudget"), "rollback_rate.attribution.budget"),
    **dict.fromkeys(("ChangeLog", "StreamChanges"), "rollback_rate.attribution.changes"),
    "StreamState": "rollback_rate.attribution.compact_stack",
    **dict.fromkeys(("Projector", "rebuild_all", "refresh_streams"),
                    "rollback_rate.attribution.projection"),
    **dict.fromkeys(("Deployed", "FixedForward", "Orphaned", "Outcome", "RolledBack",
                     "StreamEvent", "apply", "stream_event"), "rollback_rate.attribution.stack"),
}  # fmt: skip


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "STATE_BUDGET",
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
