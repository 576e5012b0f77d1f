"""Appending to the event log: idempotent by event id, streams locked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection

from rollback_rate.events.model import EventRecord
from rollback_rate.store.bulk import bulk_insert, driver_errors, insert_groups, placeholder
from rollback_rate.timeutil import now_micros

StreamKey = tuple[str, str]  # (model, environment)
# (event_id, stream_id, type, version, ts, automated, cause, team, note, attributes, recorded_at)
Row = tuple[str, int, str, str | None, int, bool, str | None, str | None, str | None,
            str | None, int]  # fmt: skip
# What attribution needs of a new event: (seq, type, version, ts, automated, cause, team)
NewEvent = tuple[int, str, str | None, int, bool, str | None, str | None]
SMALL_BATCH = 500  # up to this many events: one INSERT ... RETURNING, no staging
_Identified = TypeVar("_Identified", EventRecord, Row)


@dataclass
class AppendResult:
    """Counts, the new events of each stream in arrival order (what attribution needs),
    and the ids of the new events (`inserted_ids`, None once a bulk chunk was appended)."""

    stored: int = 0
    duplicates: int = 0
    new_events: dict[int, list[NewEvent]] = field(default_factory=dict)
    inserted_ids: list[str] | None = field(default_factory=list)


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
_PG_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS event_staging (ord INTEGER, event_id TEXT, "
    "stream_id INTEGER, type TEXT, version TEXT, ts BIGINT, automated BOOLEAN, cause TEXT, "
    "team TEXT, note TEXT, attributes TEXT, recorded_at BIGINT) ON COMMIT DELETE ROWS"
)
# The sequence is looked up once, in a scalar subquery: written as nextval's argument,
# pg_get_serial_sequence would be called (a catalog lookup) for every row, five times
# the cost of the nextval itself.
_PG_NEXT_SEQ = "nextval((SELECT pg_get_serial_sequence('events', 'seq'))::regclass)"
_PG_RESERVE = f"SELECT {_PG_NEXT_SEQ} FROM generate_series(1, %s)"
# The new ids among a chunk's (each once), with a seq reserved for each.
_PG_NEW_IDS = (
    f"SELECT given.position, {_PG_NEXT_SEQ} "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS given (event_id, position) "
    "WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.event_id = given.event_id) "
    "ORDER BY given.position"
)
_PG_MOVE_NEW = (
    f"INSERT INTO events ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM event_staging "
    "ORDER BY ord ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id"
)


def append_events(
    conn: Connection, records: Sequence[EventRecord], stream_ids: dict[StreamKey, int]
) -> AppendResult:
    """Insert records whose event id is new; the rest are counted as duplicates.

    A duplicate id later in the same batch loses to the first, as it would arriving later.
    """
    if not records:
        return AppendResult()
    ensure_streams(conn, {(r.model, r.environment) for r in records}, stream_ids)
    recorded_at = now_micros()
    if conn.dialect.name == "sqlite" and len(records) > SMALL_BATCH:
        return _append_sqlite_bulk(conn, records, stream_ids, recorded_at)
    rows: list[Row] = [
        (r.event_id, stream_ids[(r.model, r.environment)], r.type, r.version, r.ts,
         r.automated, r.cause, r.team, r.note, r.attributes, recorded_at)
        for r in records
    ]  # fmt: skip
    if len(rows) <= SMALL_BATCH:
        return _result(rows, _insert_returning(conn, rows), with_ids=True)
    return _append_pg_bulk(conn, rows)


def _insert_returning(conn: Connection, rows: list[Row]) -> list[tuple[int, str]]:
    """One statement that says which rows were new: (seq, event_id) in arrival order."""
    mark = placeholder(conn)
    one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    return [
        (seq, event_id)
        for seq, event_id in conn.exec_driver_sql(
            f"INSERT INTO events ({_COLUMN_LIST}) VALUES {', '.join([one] * len(rows))} "
            "ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id",
            tuple(value for row in rows for value in row),
        )
    ]


def _append_pg_bulk(conn: Connection, rows: list[Row]) -> AppendResult:
    """PostgreSQL, thousands of rows: COPY straight into the log, with seqs reserved first.

    An id stored before makes the COPY fail (under a savepoint): then one query says
    which ids are new and the COPY is tried with those. If that fails too (a concurrent
    writer stored one of them meanwhile), the staged insert skips known ids itself.
    """
    kept = _first_of_each_id(rows)
    with driver_errors(conn, "COPY events") as driver, driver.cursor() as cursor:  # psycopg
        cursor.execute(_PG_RESERVE, (len(kept),))
        seqs = sorted(seq for (seq,) in cursor)
        if _copy_new(cursor, seqs, kept):
            return _appended(seqs, kept, len(rows))
        cursor.execute(_PG_NEW_IDS, ([row[0] for row in kept],))
        new = cursor.fetchall()  # (position in `kept`, a reserved seq) of each new id
        seqs = sorted(seq for _, seq in new)
        kept = [kept[position - 1] for position, _ in sorted(new)]
        if _copy_new(cursor, seqs, kept):
            return _appended(seqs, kept, len(rows))
    return _result(rows, _insert_staged(conn, rows), with_ids=False)


def _copy_new(cursor: Any, seqs: list[int], rows: Sequence[Row]) -> bool:
    """COPY rows with their seqs under a savepoint; False (nothing inserted) if an id is
    already stored."""
    if not rows:
        return True
    cursor.execute("SAVEPOINT append_copy")
    try:
        with cursor.copy(f"COPY events (seq, {_COLUMN_LIST}) FROM STDIN") as copy:
            for seq, row in zip(seqs, rows, strict=True):
                copy.write_row((seq, *row))
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT append_copy")
        return False
    cursor.execute("RELEASE SAVEPOINT append_copy")
    return True


def _appended(seqs: list[int], rows: Sequence[Row], received: int) -> AppendResult:
    new_events = _per_stream(zip(seqs, rows, strict=True))
    return AppendResult(len(rows), received - len(rows), new_events, inserted_ids=None)


def _per_stream(inserted: Iterable[tuple[int, Row]]) -> dict[int, list[NewEvent]]:
    """What attribution needs of each inserted (seq, row), per stream, in seq order."""
    new_events: dict[int, list[NewEvent]] = {}
    for seq, (_, stream_id, type_, version, ts, automated, cause, team, *_) in inserted:
        new = new_events.get(stream_id)
        if new is None:
            new = new_events[stream_id] = []
        new.append((seq, type_, version, ts, automated, cause, team))
    return new_events


def _insert_staged(conn: Connection, rows: list[Row]) -> list[tuple[int, str]]:
    """PostgreSQL, thousands of rows: COPY into a staging table, then one INSERT ...
    SELECT that skips known ids and returns the new ones."""
    conn.exec_driver_sql(_PG_STAGING)
    bulk_insert(conn, "event_staging", ("ord", *_COLUMNS),
                ((i, *row) for i, row in enumerate(rows)))  # fmt: skip
    inserted = [(seq, event_id) for seq, event_id in conn.exec_driver_sql(_PG_MOVE_NEW)]
    conn.exec_driver_sql("TRUNCATE event_staging")  # more chunks may follow in this tx
    return inserted


def _result(rows: list[Row], inserted: list[tuple[int, str]], *, with_ids: bool) -> AppendResult:
    inserted.sort()
    by_id = {row[0]: row for row in reversed(rows)}  # the first row of each id wins
    new_events = _per_stream((seq, by_id[event_id]) for seq, event_id in inserted)
    ids = [event_id for _, event_id in inserted] if with_ids else None
    return AppendResult(len(inserted), len(rows) - len(inserted), new_events, ids)


def _append_sqlite_bulk(
    conn: Connection,
    records: Sequence[EventRecord],
    stream_ids: dict[StreamKey, int],
    recorded_at: int,
) -> AppendResult:
    # The transaction holds SQLite's only write lock, so this chunk's rows take the next
    # seqs in order: known without reading anything back, and arrival order kept although
    # the rows go out grouped by which nullable columns they fill (see store.bulk).
    first = int(conn.exec_driver_sql("SELECT coalesce(max(seq), 0) + 1 FROM events").scalar_one())
    kept = _first_of_each_id(records)
    groups: dict[tuple[bool, ...], list[list[Any]]] = {}
    new_events: dict[int, list[NewEvent]] = {}
    for seq, r in enumerate(kept, first):
        version, cause, team, note, attributes = r.version, r.cause, r.team, r.note, r.attributes
        filled = (
            version is not None,
            cause is not None,
            team is not None,
            note is not None,
            attributes is not None,
        )
        stream_id = stream_ids[(r.model, r.environment)]
        row = [seq, r.event_id, stream_id, r.type, r.ts, 1 if r.automated else 0, recorded_at]
        if version is not None:
            row.append(version)
        if cause is not None:
            row.append(cause)
        if team is not None:
            row.append(team)
        if note is not None:
            row.append(note)
        if attributes is not None:
            row.append(attributes)
        group = groups.get(filled)
        if group is None:
            group = groups[filled] = []
        group.append(row)
        new = new_events.get(stream_id)
        if new is None:
            new = new_events[stream_id] = []
        new.append((seq, r.type, version, r.ts, r.automated, cause, team))
    inserted = insert_groups(
        conn, "events", _SEQ_FIRST, _NULLABLE, groups, on_conflict="(event_id) DO NOTHING"
    )
    if inserted < len(kept):  # some ids were stored before: keep the events that went in
        stored = {
            seq
            for (seq,) in conn.exec_driver_sql(
                "SELECT seq FROM events WHERE seq BETWEEN ? AND ?", (first, first + len(kept))
            )
        }
        new_events = {
            stream_id: kept_new
            for stream_id, new in new_events.items()
            if (kept_new := [event for event in new if event[0] in stored])
        }
    return AppendResult(inserted, len(records) - inserted, new_events, inserted_ids=None)


_SEQ_FIRST = ("seq", "event_id", "stream_id", "type", "ts", "automated", "recorded_at")
_NULLABLE = ("version", "cause", "team", "note", "attributes")


def _first_of_each_id(items: Sequence[_Identified]) -> Sequence[_Identified]:
    """Records or rows (both start with the event id), later repeats of an id left out."""
    ids = {item[0] for item in items}
    if len(ids) == len(items):
        return items
    kept = []
    for item in items:
        if item[0] in ids:
            ids.discard(item[0])
            kept.append(item)
    return kept
