"""Per-stream attribution: which deployments were rolled back, when, and by what."""

from rollback_rate.attribution.live import live_versions
from rollback_rate.attribution.projection import Projector, rebuild_all, refresh_streams
from rollback_rate.attribution.stack import StreamEvent, StreamState, apply

__all__ = [
    "Projector",
    "StreamEvent",
    "StreamState",
    "apply",
    "live_versions",
    "rebuild_all",
    "refresh_streams",
]
