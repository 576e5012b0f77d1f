"""Appending to the event log: idempotent by event id, streams locked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from rollback_rate.events.model import EventRecord
from rollback_rate.store.bulk import bulk_insert
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


_COLUMNS = (
    "event_id",
    "stream_id",
    "type",
    "version",
    "ts",
    "automated",
    "cause",
    "team",
    "note",
    "attributes",
    "recorded_at",
)
_COLUMN_LIST = ", ".join(_COLUMNS)
_PG_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS event_staging (ord INTEGER, event_id TEXT, "
    "stream_id INTEGER, type TEXT, version TEXT, ts BIGINT, automated BOOLEAN, cause TEXT, "
    "team TEXT, note TEXT, attributes TEXT, recorded_at BIGINT) ON COMMIT DELETE ROWS"
)
_PG_MOVE_NEW = (
    f"INSERT INTO events ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM event_staging "
    "ORDER BY ord ON CONFLICT (event_id) DO NOTHING"
)
_SQLITE_INSERT = (
    f"INSERT INTO events ({_COLUMN_LIST}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (event_id) DO NOTHING"
)


def append_events(
    conn: Connection, records: Sequence[EventRecord], stream_ids: dict[StreamKey, int]
) -> AppendResult:
    """Insert records whose event id is new; the rest are counted as duplicates.

    New rows are found by their sequence numbers (above the log's highest before the
    insert, within the streams this transaction has locked), which is cheaper than
    RETURNING and exact: no other writer can add to a locked stream meanwhile.
    """
    if not records:
        return AppendResult()
    ensure_streams(conn, ((r.model, r.environment) for r in records), stream_ids)
    recorded_at = now_micros()
    rows = [
        (
            r.event_id,
            stream_ids[(r.model, r.environment)],
            r.type,
            r.version,
            r.ts,
            r.automated,
            r.cause,
            r.team,
            r.note,
            r.attributes,
            recorded_at,
        )
        for r in records
    ]
    before = conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()
    if conn.dialect.name == "postgresql":
        # COPY into a staging table, then one INSERT ... SELECT that skips known ids.
        conn.exec_driver_sql(_PG_STAGING)
        bulk_insert(
            conn, "event_staging", ("ord", *_COLUMNS), ((i, *row) for i, row in enumerate(rows))
        )
        conn.exec_driver_sql(_PG_MOVE_NEW)
        conn.exec_driver_sql("TRUNCATE event_staging")
    else:
        conn.exec_driver_sql(_SQLITE_INSERT, rows)
    touched = sorted({row[1] for row in rows})
    earliest: dict[int, int] = {}
    stored = 0
    for start in range(0, len(touched), 1_000):
        query = (
            select(events.c.stream_id, func.min(events.c.ts), func.count())
            .where(events.c.seq > before, events.c.stream_id.in_(touched[start : start + 1_000]))
            .group_by(events.c.stream_id)
        )
        for stream_id, first_ts, count in conn.execute(query):
            earliest[stream_id] = first_ts
            stored += count
    return AppendResult(stored, len(records) - stored, earliest)
