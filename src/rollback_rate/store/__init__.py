"""The append-only event log and the database it lives in."""

from rollback_rate.store.appended import AppendResult, NewEvent, StreamKey
from rollback_rate.store.database import Database, default_url, open_database, redact
from rollback_rate.store.log import append_events, count_recorded, ensure_streams

__all__ = [
    "AppendResult",
    "Database",
    "NewEvent",
    "StreamKey",
    "append_events",
    "count_recorded",
    "default_url",
    "ensure_streams",
    "open_database",
    "redact",
]
