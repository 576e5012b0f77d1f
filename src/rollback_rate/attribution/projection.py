"""Keeps the deployments/orphan_rollbacks projection in step with the event log.

Within one write transaction a `Projector` takes each batch of events as the store
appends them. A stream whose new events all come at or after the last one attributed
continues from its state, which stays in memory for the rest of the transaction: the
common case, and nothing is read back. An event from the past makes its stream replay
from its first event when the transaction finishes, so the result never depends on
arrival order (issue 2). A stream pushed out by the memory bound continues from its
saved state then too, reading its new events back from the log. Writes go out in batches
across streams.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
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
from rollback_rate.store.pipeline import Pipeline
from rollback_rate.store.schema import deployments, events, orphan_rollbacks, streams
from rollback_rate.timeutil import MICROS_PER_DAY, periods, periods_of_day

STATE_BUDGET = 48 * 2**20  # bytes of stream states one transaction keeps in memory
_PAGE = 5_000
_FLUSH_AT = 10_000
_STREAMS_AT_ONCE = 500
_SAVED_AT_ONCE = 100
_IN_STREAM_ORDER = itemgetter(3, 0)  # (ts, seq) of a StreamEvent-shaped tuple
_NOT_YET = (None, None, None, None)  # a deployment's rollback columns, until rolled back

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
_STREAM_COLUMNS = (
    streams.c.id,
    streams.c.model,
    streams.c.environment,
    streams.c.team,
    streams.c.stack,
    streams.c.last_ts,
    streams.c.last_seq,
)


class _Stream:
    """A stream being attributed: its names, its state and its last event, as saved in
    its row of `streams` (or, replaying, from nothing)."""

    __slots__ = ("environment", "id", "last", "model", "state")

    def __init__(self, row: Any, *, replay: bool = False) -> None:
        self.id, self.model, self.environment = row.id, row.model, row.environment
        self.state = StreamState() if replay else StreamState(orjson.loads(row.stack), row.team)
        self.last: tuple[int, int] | None = (
            None if replay or row.last_ts is None else (row.last_ts, row.last_seq)
        )

    def saved(self) -> tuple[Any, ...]:
        """Its state as `_SAVE_STATE` writes it back."""
        last_ts, last_seq = self.last or (None, None)
        return (
            orjson.dumps(self.state.stack).decode(),
            self.state.team,
            last_ts,
            last_seq,
            self.id,
        )


class Projector:
    """Attribution for one write transaction: `add` each appended batch, then `finish`.

    Its statements go through `pipeline` (by default run at once), so on PostgreSQL they
    queue behind the store's and overlap the attribution of the next batch.
    """

    def __init__(
        self,
        conn: Connection,
        pipeline: Pipeline | None = None,
        state_budget: int = STATE_BUDGET,
    ) -> None:
        self.conn = conn
        self.pipeline = pipeline or Pipeline()
        self.state_budget = state_budget
        self.writer = _ProjectionWriter(conn, self.pipeline)
        self.inline: dict[int, _Stream] = {}
        # Streams left to `refresh_streams` at the end, with their earliest new event
        # time; None until an event arrives for one pushed out by the memory bound.
        self.deferred: dict[int, int | None] = {}

    def add(self, new_events: Mapping[int, Sequence[Sequence[Any]]]) -> None:
        """Attribute new events, given per stream id (StreamEvent-shaped, any order)."""
        self._load(
            [sid for sid in new_events if sid not in self.inline and sid not in self.deferred]
        )
        for stream_id, batch in new_events.items():
            ordered = sorted(batch, key=_IN_STREAM_ORDER)
            first_ts = ordered[0][3]
            stream = self.inline.get(stream_id)
            if stream is not None and stream.last is not None and first_ts < stream.last[0]:
                self._defer(stream)  # an event from the past: replay at the end
                stream = None
            if stream is None:
                earliest = self.deferred[stream_id]
                self.deferred[stream_id] = first_ts if earliest is None else min(earliest, first_ts)
                continue
            writer, state = self.writer, stream.state
            writer.stream(stream.id, stream.model, stream.environment)
            for event in ordered:
                writer.record(apply(state, event))
            last = ordered[-1]
            stream.last = (last[3], last[0])
        if sum(stream.state.footprint for stream in self.inline.values()) > self.state_budget:
            self._shed()

    def finish(self) -> None:
        """Write what is buffered, save every state, attribute the deferred streams."""
        self.writer.flush()
        self._save(list(self.inline.values()))
        self.inline.clear()
        self.pipeline.drain()
        pending = {sid: ts for sid, ts in self.deferred.items() if ts is not None}
        refresh_streams(self.conn, pending)

    def _load(self, ids: list[int]) -> None:
        for start in range(0, len(ids), _STREAMS_AT_ONCE):
            chunk = ids[start : start + _STREAMS_AT_ONCE]
            for row in self.pipeline.run(_stream_rows, self.conn, chunk):
                self.inline[row.id] = _Stream(row)

    def _defer(self, stream: _Stream) -> None:
        """Hand a stream over to `refresh_streams`, from its state as it stands now."""
        self._save([stream])
        del self.inline[stream.id]
        self.deferred[stream.id] = None

    def _shed(self) -> None:
        """Over the memory bound: defer the largest states until under half of it."""
        by_size = sorted(self.inline.values(), key=lambda s: s.state.footprint, reverse=True)
        total = sum(stream.state.footprint for stream in by_size)
        shed = []
        for stream in by_size:
            if total <= self.state_budget // 2:
                break
            total -= stream.state.footprint
            shed.append(stream)
        self._save(shed)
        for stream in shed:
            del self.inline[stream.id]
            self.deferred[stream.id] = None

    def _save(self, saved: list[_Stream]) -> None:
        # In slices: the stacks' JSON, all at once, would be the import's largest object.
        for start in range(0, len(saved), _SAVED_AT_ONCE):
            rows = [stream.saved() for stream in saved[start : start + _SAVED_AT_ONCE]]
            self.pipeline.submit(bulk_execute, self.conn, _SAVE_STATE, rows)


def _stream_rows(conn: Connection, ids: list[int]) -> list[Any]:
    return list(conn.execute(select(*_STREAM_COLUMNS).where(streams.c.id.in_(ids))))


def refresh_streams(conn: Connection, earliest_new_ts: Mapping[int, int | None]) -> None:
    """Bring the projection up to date for each stream id, given its earliest new event,
    reading its events back from the log.

    A stream continues from its saved state when that event is at or after the last one
    attributed, and replays from its first event otherwise; None forces a replay.
    """
    writer = _ProjectionWriter(conn, Pipeline())
    saved: list[tuple[Any, ...]] = []
    ids = sorted(earliest_new_ts)
    for start in range(0, len(ids), _STREAMS_AT_ONCE):
        chunk = ids[start : start + _STREAMS_AT_ONCE]
        rows = conn.execute(
            select(*_STREAM_COLUMNS).where(streams.c.id.in_(chunk)).order_by(streams.c.id)
        ).all()
        replay = [row.id for row in rows if not _continues(row, earliest_new_ts[row.id])]
        if replay:
            conn.execute(delete(deployments).where(deployments.c.stream_id.in_(replay)))
            conn.execute(delete(orphan_rollbacks).where(orphan_rollbacks.c.stream_id.in_(replay)))
        replaying = set(replay)
        for row in rows:
            saved.append(_attribute(conn, writer, row, row.id in replaying))
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
    conn: Connection, writer: _ProjectionWriter, row: Any, replay: bool
) -> tuple[Any, ...]:
    stream = _Stream(row, replay=replay)
    writer.stream(stream.id, stream.model, stream.environment)
    for event in _events_after(conn, stream.id, stream.last):
        writer.record(apply(stream.state, event))
        stream.last = (event.ts, event.seq)
    return stream.saved()


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
    """Buffers projection rows so attribution writes in batches, not row by row."""

    def __init__(self, conn: Connection, pipeline: Pipeline) -> None:
        self.conn = conn
        self.pipeline = pipeline
        self.base: tuple[int, str, str] = (0, "", "")
        self.new: dict[int, list[Any]] = {}
        self.updates: list[Sequence[Any]] = []
        self.orphans: list[Sequence[Any]] = []

    def stream(self, stream_id: int, model: str, environment: str) -> None:
        self.base = (stream_id, model, environment)

    def record(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            if type(outcome) is Deployed:  # the common case: inline, no calls
                seq, ts, version, team = outcome
                week_and_month = periods_of_day(ts // MICROS_PER_DAY)
                self.new[seq] = [seq, *self.base, team, version, ts, *week_and_month, *_NOT_YET]
            elif type(outcome) is RolledBack:
                self._rolled_back(outcome)
            elif type(outcome) is Orphaned:
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
        if pending is not None:  # still buffered: written rolled back in the first place
            pending[9:13] = rolled_back
        else:
            self.updates.append((*rolled_back, outcome.deployment_seq))

    def flush(self) -> None:
        """Hand the buffered rows to the pipeline (they are its from now on)."""
        if self.new or self.updates or self.orphans:
            batch = (list(self.new.values()), self.updates, self.orphans)
            self.new, self.updates, self.orphans = {}, [], []
            self.pipeline.submit(self._write, *batch)

    def _write(
        self, new: list[list[Any]], updates: list[Sequence[Any]], orphans: list[Sequence[Any]]
    ) -> None:
        if new:
            self._insert_deployments(new)
        bulk_execute(self.conn, _MARK_ROLLED_BACK, updates)
        if orphans:
            bulk_insert(self.conn, "orphan_rollbacks", _ORPHAN_COLUMNS, orphans)

    def _insert_deployments(self, rows: list[list[Any]]) -> None:
        if self.conn.dialect.name != "sqlite":
            bulk_insert(self.conn, "deployments", _DEPLOYMENT_COLUMNS, rows)
            return
        # SQLite binds a None slowly (see store.bulk): leave out the columns a group of
        # rows has no value for (team; the rollback, until there is one; its cause).
        groups: dict[tuple[bool, bool, bool], list[list[Any]]] = {}
        for row in rows:
            key = (row[4] is not None, row[9] is not None, row[12] is not None)
            group = groups.get(key)
            if group is None:
                group = groups[key] = []
            group.append(row)
        for (team, rolled_back, cause), group in groups.items():
            kept = [
                i
                for i in range(len(_DEPLOYMENT_COLUMNS))
                if (i != 4 or team) and (i < 9 or rolled_back) and (i != 12 or cause)
            ]
            pick = itemgetter(*kept)
            columns = [_DEPLOYMENT_COLUMNS[i] for i in kept]
            bulk_insert(self.conn, "deployments", columns, [pick(row) for row in group])
