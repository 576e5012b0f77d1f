"""Which version each stream holds live, read from the attribution state.

Reconcilers (``sync mlflow``) compare an external system's idea of "what is deployed now"
with ours.  Ours is the top of each stream's stack in ``streams.stack``: the projection
already keeps it up to date inside every ingest transaction, so reading it is one cheap
query and needs no replay of the event log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, select

from rollback_rate.store.schema import events, streams


def live_versions(
    conn: Connection, models: Iterable[str] | None = None
) -> dict[tuple[str, str], str | None]:
    """Map ``(model, environment)`` to the live version, for every known stream.

    ``models`` limits the answer to those model names (None: all).  A stream whose stack
    is empty (only rollbacks were ever recorded, or everything was rolled back) maps to
    None rather than being left out, so a caller can tell "known stream, nothing live"
    from "never heard of it".
    """
    query = select(streams.c.model, streams.c.environment, streams.c.stack)
    if models is not None:
        wanted = sorted(set(models))
        if not wanted:
            return {}
        query = query.where(streams.c.model.in_(wanted))
    result: dict[tuple[str, str], str | None] = {}
    for model, environment, stack in conn.execute(query):
        entries = orjson.loads(stack) if stack else []
        result[(model, environment)] = str(entries[-1][0]) if entries else None
    return result


@dataclass(frozen=True)
class StreamPosition:
    """Where a stream stands: its live version and the last event attributed to it."""

    live: str | None
    last_ts: int | None
    last_event_id: str | None


def stream_positions(
    conn: Connection, models: Iterable[str]
) -> dict[tuple[str, str], StreamPosition]:
    """Live version, last event time and last event id of every stream of ``models``."""
    wanted = sorted(set(models))
    if not wanted:
        return {}
    live = live_versions(conn, wanted)
    rows = conn.execute(
        select(streams.c.model, streams.c.environment, streams.c.last_ts, events.c.event_id)
        .select_from(streams.outerjoin(events, events.c.seq == streams.c.last_seq))
        .where(streams.c.model.in_(wanted))
    ).all()
    return {
        (row.model, row.environment): StreamPosition(
            live.get((row.model, row.environment)), row.last_ts, row.event_id
        )
        for row in rows
    }
