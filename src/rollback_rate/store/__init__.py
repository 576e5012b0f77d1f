"""The append-only event log and the database it lives in."""

from rollback_rate.store.database import Database, default_url, open_database
from rollback_rate.store.log import AppendResult, append_events, ensure_streams

__all__ = [
    "AppendResult",
    "Database",
    "append_events",
    "default_url",
    "ensure_streams",
    "open_database",
]
