"""Appending to the event log: idempotent by event id, streams locked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from rollback_rate.events.model import EventRecord
from rollback_rate.store.bulk import bulk_insert, placeholder
from rollback_rate.store.schema import events
from rollback_rate.timeutil import now_micros

StreamKey = tuple[str, str]  # (model, environment)
# (event_id, stream_id, type, version, ts, automated, cause, team, note, attributes, recorded_at)
Row = tuple[str, int, str, str | None, int, bool, str | None, str | None, str | None,
            str | None, int]  # fmt: skip
# What attribution needs of a new event: (seq, type, version, ts, automated, cause, team)
NewEvent = tuple[int, str, str | None, int, bool, str | None, str | None]
SMALL_BATCH = 500  # up to this many events: one INSERT ... RETURNING, no staging
KEEP_AT_MOST = 50_000  # new events kept in memory for attribution within one transaction


@dataclass
class AppendResult:
    """Counts, each touched stream's earliest new timestamp, and (for small batches,
    where RETURNING gives them for free) the new events themselves, so attribution need
    not read back what was just written; likewise the ids of the new events
    (`inserted_ids`, None once a bulk chunk was appended)."""

    stored: int = 0
    duplicates: int = 0
    earliest: dict[int, int] = field(default_factory=dict)
    new_events: dict[int, list[NewEvent]] | None = field(default_factory=dict)
    inserted_ids: list[str] | None = field(default_factory=list)
    kept: int = 0  # how many events new_events holds

    def __post_init__(self) -> None:
        if self.new_events is not None and not self.kept:
            self.kept = sum(len(new) for new in self.new_events.values())

    def add(self, other: AppendResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        for stream_id, ts in other.earliest.items():
            _note_earliest(self.earliest, stream_id, ts)
        self.kept += other.kept if other.new_events is not None else 0
        if self.new_events is None or other.new_events is None or self.kept > KEEP_AT_MOST:
            self.new_events = None  # attribution reads them back: memory stays flat
        else:
            for stream_id, new in other.new_events.items():
                self.new_events.setdefault(stream_id, []).extend(new)
        if self.inserted_ids is None or other.inserted_ids is None:
            self.inserted_ids = None
        else:
            self.inserted_ids.extend(other.inserted_ids)


def ensure_streams(
    conn: Connection, keys: Iterable[StreamKey], known: dict[StreamKey, int]
) -> dict[StreamKey, int]:
    """Create missing streams, lock them, and add their ids to `known`.

    The upsert's DO UPDATE takes each stream row's lock in (model, environment) order,
    before its events are inserted, so concurrent writers to one stream serialise (and
    cannot deadlock) and the arrival order (`seq`) of a stream's events matches their
    commit order. On SQLite the whole transaction is already exclusive.
    """
    missing = sorted({key for key in keys if key not in known})
    mark = placeholder(conn)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        values = ", ".join(f"({mark}, {mark})" for _ in chunk)
        rows = conn.exec_driver_sql(
            f"INSERT INTO streams (model, environment) VALUES {values} "
            "ON CONFLICT (model, environment) DO UPDATE SET model = excluded.model "
            "RETURNING id, model, environment",
            tuple(part for key in chunk for part in key),
        )
        for stream_id, model, environment in rows:
            known[(model, environment)] = stream_id
    return known


_COLUMNS = ("event_id", "stream_id", "type", "version", "ts", "automated", "cause", "team",
            "note", "attributes", "recorded_at")  # fmt: skip
_COLUMN_LIST = ", ".join(_COLUMNS)
# A NewEvent, in its order, as columns of the log.
_NEW_EVENT_COLUMNS = (events.c.seq, events.c.type, events.c.version, events.c.ts,
                      events.c.automated, events.c.cause, events.c.team)  # fmt: skip
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
    conn: Connection,
    records: Sequence[EventRecord],
    stream_ids: dict[StreamKey, int],
    *,
    keep_new: bool = True,
) -> AppendResult:
    """Insert records whose event id is new; the rest are counted as duplicates.

    `keep_new=False` (a caller that already holds more than it keeps) skips collecting
    the new events of a bulk chunk and only counts them.
    """
    if not records:
        return AppendResult()
    ensure_streams(conn, ((r.model, r.environment) for r in records), stream_ids)
    recorded_at = now_micros()
    rows: list[Row] = [
        (r.event_id, stream_ids[(r.model, r.environment)], r.type, r.version, r.ts,
         r.automated, r.cause, r.team, r.note, r.attributes, recorded_at)
        for r in records
    ]  # fmt: skip
    if len(rows) <= SMALL_BATCH:
        return _append_returning(conn, rows)
    return _append_bulk(conn, rows, keep_new)


def _append_returning(conn: Connection, rows: list[Row]) -> AppendResult:
    # One statement that says which rows were new; a duplicate id later in the same
    # batch loses to the first, as it would arriving later.
    mark = placeholder(conn)
    one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    inserted = conn.exec_driver_sql(
        f"INSERT INTO events ({_COLUMN_LIST}) VALUES {', '.join([one] * len(rows))} "
        "ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id",
        tuple(value for row in rows for value in row),
    ).all()
    by_id = {row[0]: row for row in reversed(rows)}  # the first row of each id wins
    new_events: dict[int, list[NewEvent]] = {}
    earliest: dict[int, int] = {}
    for seq, event_id in inserted:
        _, stream_id, type_, version, ts, automated, cause, team, *_ = by_id[event_id]
        new_events.setdefault(stream_id, []).append(
            (seq, type_, version, ts, automated, cause, team)
        )
        _note_earliest(earliest, stream_id, ts)
    ids = [event_id for _, event_id in inserted]
    return AppendResult(len(inserted), len(rows) - len(inserted), earliest, new_events, ids)


def _append_bulk(conn: Connection, rows: list[Row], keep_new: bool) -> AppendResult:
    # New rows are found by seq above the log's previous maximum within the streams this
    # transaction has locked: cheaper than RETURNING for thousands of rows, and exact,
    # since no other writer can add to a locked stream meanwhile.
    before = conn.execute(select(func.coalesce(func.max(events.c.seq), 0))).scalar_one()
    if conn.dialect.name == "postgresql":
        # COPY into a staging table, then one INSERT ... SELECT that skips known ids.
        conn.exec_driver_sql(_PG_STAGING)
        bulk_insert(conn, "event_staging", ("ord", *_COLUMNS),
                    ((i, *row) for i, row in enumerate(rows)))  # fmt: skip
        conn.exec_driver_sql(_PG_MOVE_NEW)
        conn.exec_driver_sql("TRUNCATE event_staging")  # more chunks may follow in this tx
    else:
        conn.exec_driver_sql(_SQLITE_INSERT, rows)
    # Read the new rows back by the seq range alone, so the primary key drives the scan
    # (a stream_id condition would tempt the planner into reading whole streams). Rows
    # of other writers' streams (PostgreSQL) are dropped here.
    touched = {row[1] for row in rows}
    new_events: dict[int, list[NewEvent]] = {}
    earliest: dict[int, int] = {}
    stored = 0
    # Only the columns attribution needs, and only when they are kept: this is a hot loop.
    kept_columns = _NEW_EVENT_COLUMNS if keep_new else ()
    query = (
        select(events.c.stream_id, events.c.ts, *kept_columns)
        .where(events.c.seq > before)
        .order_by(events.c.seq)
    )
    for stream_id, ts, *event in conn.execute(query):
        if stream_id not in touched:
            continue
        stored += 1
        _note_earliest(earliest, stream_id, ts)
        if keep_new:
            new_events.setdefault(stream_id, []).append(tuple(event))  # type: ignore[arg-type]
    return AppendResult(
        stored,
        len(rows) - stored,
        earliest,
        new_events if keep_new else None,
        inserted_ids=None,
    )


def _note_earliest(earliest: dict[int, int], stream_id: int, ts: int) -> None:
    if ts < earliest.get(stream_id, ts + 1):
        earliest[stream_id] = ts
