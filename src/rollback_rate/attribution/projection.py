"""Keeps the deployments/orphan_rollbacks projection in step with the event log.

Only streams that received events are touched. When every new event of a stream is at or
after the last one attributed, attribution continues from the saved stack (the common,
cheap case); an event from the past makes that stream replay from its first event, so the
result never depends on arrival order (issue 2). Writes go out in batches across streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, tuple_

from rollback_rate.attribution.stack import (
    Deployed,
    Orphaned,
    Outcome,
    RolledBack,
    StreamEvent,
    StreamState,
    apply,
)
from rollback_rate.store.bulk import bulk_execute, bulk_insert
from rollback_rate.store.schema import deployments, events, orphan_rollbacks, streams
from rollback_rate.timeutil import periods

_PAGE = 5_000
_FLUSH_AT = 20_000
_STREAMS_AT_ONCE = 500

_DEPLOYMENT_COLUMNS = (
    "seq",
    "stream_id",
    "model",
    "environment",
    "team",
    "version",
    "deployed_at",
    "week",
    "month",
    "rolled_back_at",
    "rollback_seq",
    "rollback_automated",
    "rollback_cause",
)
_ORPHAN_COLUMNS = (
    "seq",
    "stream_id",
    "model",
    "environment",
    "team",
    "at",
    "week",
    "month",
    "automated",
    "cause",
)
_MARK_ROLLED_BACK = (
    "UPDATE deployments SET rolled_back_at = ?, rollback_seq = ?, "
    "rollback_automated = ?, rollback_cause = ? WHERE seq = ?"
)
_SAVE_STATE = "UPDATE streams SET stack = ?, team = ?, last_ts = ?, last_seq = ? WHERE id = ?"


def refresh_streams(
    conn: Connection,
    earliest_new_ts: Mapping[int, int | None],
    new_events: Mapping[int, Sequence[Sequence[Any]]] | None = None,
) -> None:
    """Bring the projection up to date for each stream id, given its earliest new event.

    An earliest time of None forces a replay of that stream from its first event.
    `new_events`, when the caller has them (every event this transaction added, per
    stream), saves reading them back for streams that continue from their saved stack.
    """
    writer = _ProjectionWriter(conn)
    saved: list[tuple[Any, ...]] = []
    ids = sorted(earliest_new_ts)
    for start in range(0, len(ids), _STREAMS_AT_ONCE):
        chunk = ids[start : start + _STREAMS_AT_ONCE]
        rows = conn.execute(
            select(
                streams.c.id,
                streams.c.model,
                streams.c.environment,
                streams.c.team,
                streams.c.stack,
                streams.c.last_ts,
                streams.c.last_seq,
            )
            .where(streams.c.id.in_(chunk))
            .order_by(streams.c.id)
        ).all()
        replay = [row.id for row in rows if not _continues(row, earliest_new_ts[row.id])]
        if replay:
            conn.execute(delete(deployments).where(deployments.c.stream_id.in_(replay)))
            conn.execute(delete(orphan_rollbacks).where(orphan_rollbacks.c.stream_id.in_(replay)))
        replaying = set(replay)
        for row in rows:
            known = None if new_events is None else new_events.get(row.id)
            saved.append(_attribute(conn, writer, row, row.id in replaying, known))
    writer.flush()
    bulk_execute(conn, _SAVE_STATE, saved)


def rebuild_all(conn: Connection) -> int:
    """Replay every stream from scratch (after a rules change); return how many."""
    ids = [row[0] for row in conn.execute(select(streams.c.id))]
    refresh_streams(conn, dict.fromkeys(ids))
    return len(ids)


def _continues(row: Any, earliest_new_ts: int | None) -> bool:
    return (
        earliest_new_ts is not None and row.last_ts is not None and (earliest_new_ts >= row.last_ts)
    )


def _attribute(
    conn: Connection,
    writer: _ProjectionWriter,
    row: Any,
    replay: bool,
    known: Sequence[Sequence[Any]] | None,
) -> tuple[Any, ...]:
    if replay:
        state, after = StreamState(), None
    else:
        state = StreamState([tuple(entry) for entry in orjson.loads(row.stack)], row.team)
        after = (row.last_ts, row.last_seq)
    writer.stream(row.id, row.model, row.environment)
    last = after
    # The caller's new events are exactly the events after `after` when attribution
    # continues, and all of the stream's events when it has none attributed yet.
    if known is not None and (not replay or row.last_ts is None):
        stream: Iterable[StreamEvent] = sorted(
            (StreamEvent(*event) for event in known), key=lambda e: (e.ts, e.seq)
        )
    else:
        stream = _events_after(conn, row.id, after)
    for event in stream:
        writer.record(apply(state, event))
        last = (event.ts, event.seq)
    last_ts, last_seq = last if last else (None, None)
    return (orjson.dumps(state.stack).decode(), state.team, last_ts, last_seq, row.id)


def _events_after(
    conn: Connection, stream_id: int, after: tuple[int, int] | None
) -> Iterator[StreamEvent]:
    # Keyset pages keep memory flat and leave the connection free for the writer's
    # statements between pages, on both drivers.
    columns = (
        events.c.seq,
        events.c.type,
        events.c.version,
        events.c.ts,
        events.c.automated,
        events.c.cause,
        events.c.team,
    )
    while True:
        query = select(*columns).where(events.c.stream_id == stream_id)
        if after is not None:
            query = query.where(tuple_(events.c.ts, events.c.seq) > tuple_(*after))
        page = conn.execute(query.order_by(events.c.ts, events.c.seq).limit(_PAGE)).all()
        for record in page:
            yield StreamEvent(*record)
        if len(page) < _PAGE:
            return
        after = (page[-1].ts, page[-1].seq)


class _ProjectionWriter:
    """Buffers projection rows so a long replay writes in batches, not row by row."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.base: tuple[int, str, str] = (0, "", "")
        self.new: dict[int, list[Any]] = {}
        self.updates: list[Sequence[Any]] = []
        self.orphans: list[Sequence[Any]] = []

    def stream(self, stream_id: int, model: str, environment: str) -> None:
        self.base = (stream_id, model, environment)

    def record(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Deployed):
                week, month = periods(outcome.ts)
                self.new[outcome.seq] = [
                    outcome.seq,
                    *self.base,
                    outcome.team,
                    outcome.version,
                    outcome.ts,
                    week,
                    month,
                    None,
                    None,
                    None,
                    None,
                ]
            elif isinstance(outcome, RolledBack):
                self._rolled_back(outcome)
            elif isinstance(outcome, Orphaned):
                week, month = periods(outcome.at)
                self.orphans.append(
                    (
                        outcome.seq,
                        *self.base,
                        outcome.team,
                        outcome.at,
                        week,
                        month,
                        outcome.automated,
                        outcome.cause,
                    )
                )
        if len(self.new) + len(self.updates) + len(self.orphans) >= _FLUSH_AT:
            self.flush()

    def _rolled_back(self, outcome: RolledBack) -> None:
        rolled_back = [outcome.at, outcome.rollback_seq, outcome.automated, outcome.cause]
        pending = self.new.get(outcome.deployment_seq)
        if pending is not None:
            pending[9:13] = rolled_back
        else:
            self.updates.append((*rolled_back, outcome.deployment_seq))

    def flush(self) -> None:
        if self.new:
            bulk_insert(self.conn, "deployments", _DEPLOYMENT_COLUMNS, self.new.values())
            self.new.clear()
        bulk_execute(self.conn, _MARK_ROLLED_BACK, self.updates)
        self.updates.clear()
        if self.orphans:
            bulk_insert(self.conn, "orphan_rollbacks", _ORPHAN_COLUMNS, self.orphans)
            self.orphans.clear()
