"""Appending to the event log: idempotent by event id, streams locked in a fixed order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from sqlalchemy import Connection, exists, select

from rollback_rate.events import EventRecord
from rollback_rate.store.appended import (
    EVENT_COLUMNS,
    AppendResult,
    Row,
    StreamKey,
    log_row,
    per_stream,
)
from rollback_rate.store.backend import backend_of
from rollback_rate.store.schema import events, streams
from rollback_rate.timeutil import now_micros

SMALL_BATCH = 500  # up to this many events: one INSERT ... RETURNING, no staging
_COLUMN_LIST = ", ".join(EVENT_COLUMNS)


def log_is_empty(conn: Connection) -> bool:
    """No event was ever recorded."""
    return not conn.execute(select(exists().select_from(events))).scalar()


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
    backend = backend_of(conn)
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        rows = backend.driver_rows(
            conn,
            f"INSERT INTO streams (model, environment) VALUES {', '.join(['(?, ?)'] * len(chunk))} "
            "ON CONFLICT (model, environment) DO UPDATE SET model = excluded.model "
            "RETURNING id, model, environment",
            [part for key in chunk for part in key],
        )
        for stream_id, model, environment in rows:
            known[(model, environment)] = stream_id
    return known


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
    if len(records) > SMALL_BATCH:
        return backend_of(conn).append_bulk(conn, records, stream_ids, recorded_at)
    rows = [log_row(r, stream_ids[(r.model, r.environment)], recorded_at) for r in records]
    inserted = sorted(_insert_returning(conn, rows))
    by_id = {record.event_id: record for record in reversed(records)}  # the first id wins
    new_events = per_stream(((seq, by_id[event_id]) for seq, event_id in inserted), stream_ids)
    ids = [event_id for _, event_id in inserted]
    return AppendResult(len(inserted), len(records) - len(inserted), new_events, ids)


def _insert_returning(conn: Connection, rows: list[Row]) -> list[tuple[int, str]]:
    """One statement that says which rows were new: (seq, event_id)."""
    one = "(" + ", ".join("?" * len(EVENT_COLUMNS)) + ")"
    return [
        (seq, event_id)
        for seq, event_id in backend_of(conn).driver_rows(
            conn,
            f"INSERT INTO events ({_COLUMN_LIST}) VALUES {', '.join([one] * len(rows))} "
            "ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id",
            [value for row in rows for value in row],
        )
    ]


_COUNT_EVENTS = (
    "UPDATE streams SET deployments_recorded = deployments_recorded + ?, "
    "deployments_recorded_automated = deployments_recorded_automated + ?, "
    "rollbacks_recorded = rollbacks_recorded + ?, "
    "rollbacks_recorded_automated = rollbacks_recorded_automated + ? WHERE id = ?"
)


def count_recorded(conn: Connection, tallies: Mapping[int, Sequence[int]]) -> None:
    """Add each stream's new events to its recorded counters (the Prometheus counters:
    deployments and rollbacks, all and automated), so nothing counts the log to read them."""
    backend_of(conn).execute_many(
        conn, _COUNT_EVENTS, [(*counts, stream_id) for stream_id, counts in tallies.items()]
    )


class EventFacts(NamedTuple):
    """What the after-commit hook says of an event it names."""

    event_id: str
    type: str
    version: str | None
    ts: int
    team: str | None


def event_facts(conn: Connection, seqs: Iterable[int]) -> dict[int, EventFacts]:
    """The facts of the events stored with these seqs."""
    wanted = sorted(set(seqs))
    facts: dict[int, EventFacts] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(events.c.seq, events.c.event_id, events.c.type, events.c.version,
                   events.c.ts, events.c.team).where(events.c.seq.in_(chunk))
        )  # fmt: skip
        for seq, *rest in rows:
            facts[seq] = EventFacts(*rest)
    return facts


def stream_names(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(model, environment) of each stream id."""
    wanted = sorted(set(ids))
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(streams.c.id, streams.c.model, streams.c.environment)
        for stream_id, model, environment in conn.execute(query.where(streams.c.id.in_(chunk))):
            names[stream_id] = (model, environment)
    return names


class Target(NamedTuple):
    """What a correction needs of the event it targets."""

    type: str
    model: str
    environment: str


def find_targets(conn: Connection, event_ids: Iterable[str]) -> dict[str, Target]:
    """The stored events with these ids: their type and stream."""
    wanted = sorted(set(event_ids))
    found: dict[str, Target] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(events.c.event_id, events.c.type, streams.c.model, streams.c.environment)
            .select_from(events.join(streams, streams.c.id == events.c.stream_id))
            .where(events.c.event_id.in_(chunk))
        )
        for event_id, kind, model, environment in rows:
            found[event_id] = Target(kind, model, environment)
    return found
