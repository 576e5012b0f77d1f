"""Per-stream attribution: which deployments were rolled back, when, and by what."""

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
