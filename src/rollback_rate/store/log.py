"""Appending to the event log: idempotent by event id, streams locked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rollback_rate.events.model import EventRecord
from rollback_rate.store.schema import events, streams
from rollback_rate.timeutil import now_micros

StreamKey = tuple[str, str]  # (model, environment)


@dataclass
class AppendResult:
    """Counts, plus each touched stream's earliest new timestamp (what attribution needs)."""

    stored: int = 0
    duplicates: int = 0
    earliest: dict[int, int] = field(default_factory=dict)

    def add(self, other: AppendResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        for stream_id, ts in other.earliest.items():
            if ts < self.earliest.get(stream_id, ts + 1):
                self.earliest[stream_id] = ts


def _insert(conn: Connection, table):  # type: ignore[no-untyped-def]
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def ensure_streams(
    conn: Connection, keys: Iterable[StreamKey], known: dict[StreamKey, int]
) -> dict[StreamKey, int]:
    """Create missing streams, lock the new ones, and add their ids to `known`.

    On PostgreSQL each stream row is locked (FOR UPDATE, in id order) before its events
    are inserted, so concurrent writers to one stream serialise and the arrival order
    (`seq`) of a stream's events matches their commit order.
    """
    missing = sorted({key for key in keys if key not in known})
    if not missing:
        return known
    rows = [{"model": m, "environment": e} for m, e in missing]
    conn.execute(_insert(conn, streams).on_conflict_do_nothing(), rows)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        query = select(streams.c.id, streams.c.model, streams.c.environment).where(
            tuple_(streams.c.model, streams.c.environment).in_(chunk)
        )
        if conn.dialect.name == "postgresql":
            query = query.order_by(streams.c.id).with_for_update()
        for stream_id, model, environment in conn.execute(query):
            known[(model, environment)] = stream_id
    return known


def append_events(
    conn: Connection, records: Sequence[EventRecord], stream_ids: dict[StreamKey, int]
) -> AppendResult:
    """Insert records whose event id is new; the rest are counted as duplicates."""
    if not records:
        return AppendResult()
    ensure_streams(conn, ((r.model, r.environment) for r in records), stream_ids)
    recorded_at = now_micros()
    rows = [
        {
            "event_id": r.event_id,
            "stream_id": stream_ids[(r.model, r.environment)],
            "type": r.type,
            "version": r.version,
            "ts": r.ts,
            "automated": r.automated,
            "cause": r.cause,
            "team": r.team,
            "note": r.note,
            "attributes": r.attributes,
            "recorded_at": recorded_at,
        }
        for r in records
    ]
    statement = _insert(conn, events).on_conflict_do_nothing(index_elements=["event_id"])
    inserted = conn.execute(statement.returning(events.c.stream_id, events.c.ts), rows).all()
    earliest: dict[int, int] = {}
    for stream_id, ts in inserted:
        if ts < earliest.get(stream_id, ts + 1):
            earliest[stream_id] = ts
    return AppendResult(len(inserted), len(records) - len(inserted), earliest)
