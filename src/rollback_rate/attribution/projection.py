"""Keeps the deployments/orphan_rollbacks projection in step with the event log.

Within one write transaction a `Projector` takes each batch of events as the store
appends them. A stream whose new events all come at or after the last one attributed
continues from its state, which stays in memory for the rest of the transaction: the
common case, and nothing is read back. An event from the past makes its stream replay
from its first event when the transaction finishes, so the result never depends on
arrival order (issue 2). A stream pushed out by the memory bound (`budget.py`) continues
from its saved state then too, reading its new events back from the log. Writes go out
in batches across streams (`writer.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, delete, select, tuple_

from rollback_rate.attribution.budget import StateBudget
from rollback_rate.attribution.changes import ChangeLog, Classification, Projected
from rollback_rate.attribution.compact_stack import StreamState
from rollback_rate.attribution.correction_log import read_corrections
from rollback_rate.attribution.stack import Orphaned, StreamEvent, apply, stream_event
from rollback_rate.attribution.writer import ProjectionWriter
from rollback_rate.events import EventRecord
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.store.backend import backend_of
from rollback_rate.store.schema import (
    deployment_counts,
    deployments,
    events,
    orphan_rollbacks,
    stream_stacks,
    streams,
)
from rollback_rate.store.statement_queue import StatementQueue

_PAGE = 5_000
_STREAMS_AT_ONCE = 500
_SAVED_AT_ONCE = 100
_REFRESHED_AT_ONCE = 50
_IN_STREAM_ORDER = itemgetter(3, 0)  # (ts, seq) of a StreamEvent
_SAVE_STATE = (
    "UPDATE streams SET stack = ?, team = ?, last_ts = ?, last_seq = ?, "
    "deployments_counted = ?, rolled_back_versions = coalesce(?, rolled_back_versions), "
    "last_exercised_at = ?, "
    "deployed_since_rollback = ? WHERE id = ?"
)
# A stack's frozen bottom is written only when it changed, and removed when it went.
_SAVE_FROZEN = (
    "INSERT INTO stream_stacks (stream_id, versions, seqs) VALUES (?, ?, ?) "
    "ON CONFLICT (stream_id) DO UPDATE SET versions = excluded.versions, seqs = excluded.seqs"
)
_DROP_FROZEN = "DELETE FROM stream_stacks WHERE stream_id = ?"


class SavedStream(NamedTuple):
    """A stream's row of `streams` as `_SELECT_STREAMS` reads it, with its stack's frozen
    bottom (None without one)."""

    id: int
    model: str
    environment: str
    team: str | None
    stack: str
    last_ts: int | None
    last_seq: int | None
    deployments_counted: int
    rolled_back_versions: str
    last_exercised_at: int | None
    deployed_since_rollback: int | None
    frozen_versions: bytes | None
    frozen_seqs: bytes | None


# Its columns in the order of SavedStream's fields: one list, so the two cannot drift.
_QUALIFIED = {
    "id": "streams.id",
    "frozen_versions": "stream_stacks.versions",
    "frozen_seqs": "stream_stacks.seqs",
}
_SELECT_STREAMS = (
    f"SELECT {', '.join(_QUALIFIED.get(name, name) for name in SavedStream._fields)} "
    "FROM streams LEFT JOIN stream_stacks ON stream_stacks.stream_id = streams.id "
    "WHERE streams.id IN ({}) ORDER BY streams.id"
)

_EVENT_COLUMNS = tuple(events.c[name] for name in StreamEvent._fields)


class _Stream:
    """A stream being attributed: its names, its state, its last event and how many
    deployments it counts, as saved in its row of `streams` (or, replaying, from nothing)."""

    __slots__ = ("counted", "environment", "id", "last", "model", "state")

    def __init__(self, row: Any, *, replay: bool = False) -> None:
        self.id, self.model, self.environment = row.id, row.model, row.environment
        self.state = (
            StreamState()
            if replay
            else StreamState(
                orjson.loads(row.stack),
                row.team,
                row.rolled_back_versions,
                row.last_exercised_at,
                row.deployed_since_rollback,
                None if row.frozen_versions is None or row.frozen_seqs is None
                else (row.frozen_versions, row.frozen_seqs),
            )
        )  # fmt: skip
        self.last: tuple[int, int] | None = (
            None if replay or row.last_ts is None else (row.last_ts, row.last_seq)
        )
        self.counted: int = 0 if replay else row.deployments_counted

    @property
    def footprint(self) -> int:
        return self.state.footprint

    def saved(self) -> tuple[Any, ...]:
        """Its state as `_SAVE_STATE` writes it back (the top of its stack)."""
        last_ts, last_seq = self.last or (None, None)
        state = self.state
        stack = orjson.dumps(state.saved_top()).decode()
        # None keeps the stored text: PostgreSQL then keeps its TOASTed value as it is
        # instead of compressing 44 kB again (a stream with 5,000 rolled-back versions).
        rolled_back = state.saved_rolled_back() if state.rolled_back_changed else None
        return (stack, state.team, last_ts, last_seq, self.counted, rolled_back,
                state.last_exercised, state.deployed_since_rollback, self.id)  # fmt: skip

    def saved_frozen(self) -> tuple[int, bytes, bytes] | None:
        """Its stack's frozen bottom as `_SAVE_FROZEN` writes it (empty strings when it has
        none now), or None when that is as it was loaded."""
        if not self.state.frozen_changed:
            return None
        return (self.id, *self.state.frozen_parts())


def _save_states(conn: Connection, saved: Sequence[_Stream], run: Any) -> None:
    """Write back each stream's state: `run(function, *args)` runs or queues a statement."""
    backend = backend_of(conn)
    run(backend.execute_many, conn, _SAVE_STATE, [stream.saved() for stream in saved])
    frozen = [row for row in map(_Stream.saved_frozen, saved) if row is not None]
    if changed := [row for row in frozen if row[2]]:
        run(backend.execute_many, conn, _SAVE_FROZEN, changed)
    if gone := [(stream_id,) for stream_id, _, seqs in frozen if not seqs]:
        run(backend.execute_many, conn, _DROP_FROZEN, gone)


class Projector:
    """Attribution for one write transaction: `add` each appended batch, then `finish`.

    Its statements go through `queue` (by default run at once), so on PostgreSQL they
    queue behind the store's and overlap the attribution of the next batch. With a
    `changes` log, it also notes what each stream's projection gained or lost.
    """

    def __init__(
        self,
        conn: Connection,
        queue: StatementQueue | None = None,
        budget: StateBudget | None = None,
        changes: ChangeLog | None = None,
    ) -> None:
        self.conn = conn
        self.queue = queue or StatementQueue()
        backend = backend_of(conn)
        self.budget = budget or StateBudget(backend.state_budget, backend.state_shed_to)
        self.changes = changes
        self.writer = ProjectionWriter(conn, self.queue, changes)
        self.inline: dict[int, _Stream] = {}
        # Streams left to `refresh_streams` at the end, with their earliest new event
        # time; None until an event arrives for one pushed out by the memory bound.
        self.deferred: dict[int, int | None] = {}
        self.corrected: dict[int, bool] = {}  # deferred streams that must replay whole

    def add(self, new_events: Mapping[int, Sequence[tuple[int, EventRecord]]]) -> None:
        """Attribute new events, given per stream id as (seq, record), in any order."""
        self._load(
            [sid for sid in new_events if sid not in self.inline and sid not in self.deferred]
        )
        for stream_id, batch in new_events.items():
            ordered = sorted(
                [stream_event(seq, record) for seq, record in batch], key=_IN_STREAM_ORDER
            )
            first_ts = ordered[0].ts
            stream = self.inline.get(stream_id)
            corrected = any(event.type in CORRECTIONS for event in ordered)
            if stream is not None and (
                corrected or (stream.last is not None and first_ts < stream.last[0])
            ):
                self._defer(stream)  # a correction, or an event from the past: replay at the end
                stream = None
            if stream is None:
                earliest = self.deferred[stream_id]
                self.deferred[stream_id] = (
                    None if corrected or self.corrected.get(stream_id)
                    else first_ts if earliest is None else min(earliest, first_ts)
                )  # fmt: skip
                self.corrected[stream_id] = corrected or self.corrected.get(stream_id, False)
                continue
            writer, state = self.writer, stream.state
            writer.stream(stream.id, stream.model, stream.environment)
            counted = 0
            for event in ordered:
                counted += writer.record(apply(state, event))
            stream.counted += counted
            last = ordered[-1]
            stream.last = (last.ts, last.seq)
            self.budget.update(stream_id, stream.footprint)
        if self.budget.exceeded():
            for stream_id in self.budget.to_shed():
                self._defer(self.inline[stream_id])

    def finish(self) -> None:
        """Write what is buffered, save every state, attribute the deferred streams."""
        self.writer.flush()
        self._save(list(self.inline.values()))
        self.inline.clear()
        self.queue.drain()
        pending = {
            sid: ts for sid, ts in self.deferred.items()
            if ts is not None or self.corrected.get(sid)
        }  # fmt: skip
        refresh_streams(self.conn, pending, self.changes)

    def _load(self, ids: list[int]) -> None:
        # A state that would not fit is not loaded at all, only deferred: loading it to
        # shed it again parsed and saved every long stack of an incremental import into a
        # large database (700 of 1,000 streams at a million events).
        budget = self.budget
        for start in range(0, len(ids), _STREAMS_AT_ONCE):
            chunk = ids[start : start + _STREAMS_AT_ONCE]
            for row in self.queue.run(_stream_rows, self.conn, chunk):
                if budget.total + _saved_size(row) > budget.limit:
                    self.deferred[row.id] = None  # its saved state is its state
                    continue
                stream = self.inline[row.id] = _Stream(row)
                budget.update(row.id, stream.footprint)

    def _defer(self, stream: _Stream) -> None:
        """Hand a stream over to `refresh_streams`, from its state as it stands now."""
        self._save([stream])
        del self.inline[stream.id]
        self.budget.forget(stream.id)
        self.deferred[stream.id] = None

    def _save(self, saved: list[_Stream]) -> None:
        # In slices: the stacks, all at once, would be the import's largest object.
        for start in range(0, len(saved), _SAVED_AT_ONCE):
            _save_states(self.conn, saved[start : start + _SAVED_AT_ONCE], self.queue.submit)


def _saved_size(row: Any) -> int:
    """About the footprint a saved state takes once loaded: its JSON's length (a stack
    entry is about as many bytes as its JSON) and its frozen bottom's."""
    frozen = 0 if row.frozen_seqs is None else len(row.frozen_versions) + len(row.frozen_seqs)
    return len(row.stack) + len(row.rolled_back_versions) + frozen


def _stream_rows(conn: Connection, ids: list[int]) -> list[SavedStream]:
    """The saved streams of `ids`, in id order."""
    # A plain statement: rendering SQLAlchemy's expanding IN on every call took a third
    # of a single-event write (one stream loaded per POST; 931 -> 621 µs without it).
    sql = _SELECT_STREAMS.format(", ".join("?" * len(ids)))
    return [SavedStream._make(row) for row in backend_of(conn).driver_rows(conn, sql, ids)]


def refresh_streams(
    conn: Connection,
    earliest_new_ts: Mapping[int, int | None],
    changes: ChangeLog | None = None,
    *,
    page: int = _PAGE,
) -> None:
    """Bring the projection up to date for each stream id, given its earliest new event,
    reading its events back from the log in pages of `page`.

    A stream continues from its saved state when that event is at or after the last one
    attributed, and replays from its first event otherwise; None forces a replay.
    """
    # Statements run at once; a failed one stops the rest, and the queue raises it, not
    # what a later statement met on the connection it lost.
    with StatementQueue() as queue:
        writer = ProjectionWriter(conn, queue, changes)
        ids = sorted(earliest_new_ts)
        # A few streams at a time: each row read holds the stream's whole stack, and so does
        # each state saved (150 kB for a stream of 10,000 deployments), so reading them all,
        # or saving them all at the end, held 250 MB at 10M events (issue 14).
        for start in range(0, len(ids), _REFRESHED_AT_ONCE):
            saved: list[_Stream] = []
            chunk = ids[start : start + _REFRESHED_AT_ONCE]
            rows = _stream_rows(conn, chunk)
            replay = [row.id for row in rows if not _continues(row, earliest_new_ts[row.id])]
            if replay:
                if changes is not None:
                    _note_before_replay(conn, replay, changes)
                conn.execute(delete(deployments).where(deployments.c.stream_id.in_(replay)))
                conn.execute(
                    delete(deployment_counts).where(deployment_counts.c.stream_id.in_(replay))
                )
                conn.execute(
                    delete(orphan_rollbacks).where(orphan_rollbacks.c.stream_id.in_(replay))
                )
                conn.execute(delete(stream_stacks).where(stream_stacks.c.stream_id.in_(replay)))
            corrections = read_corrections(conn, replay) if replay else {}
            for row in rows:
                stream = _Stream(row, replay=row.id in corrections)
                writer.stream(stream.id, stream.model, stream.environment)
                corrected = corrections.get(row.id)
                for event in _events_after(conn, stream.id, stream.last, page):
                    if corrected is None:
                        stream.counted += writer.record(apply(stream.state, event))
                    elif event.seq not in corrected.voided:
                        outcomes = corrected.amend(apply(stream.state, event))
                        stream.counted += writer.record(outcomes)
                    stream.last = (event.ts, event.seq)
                saved.append(stream)
            writer.flush()
            _save_states(conn, saved, queue.submit)
            queue.drain()  # each chunk's first failure, before more is sent
            if changes is not None:
                for stream_id in replay:
                    changes.replayed(stream_id)


def rebuild_all(conn: Connection, changes: ChangeLog | None = None) -> int:
    """Replay every stream from scratch (after a rules change); return how many."""
    ids = [row[0] for row in conn.execute(select(streams.c.id))]
    refresh_streams(conn, dict.fromkeys(ids), changes)
    return len(ids)


def _continues(row: Any, earliest_new_ts: int | None) -> bool:
    return (
        earliest_new_ts is not None and row.last_ts is not None and (earliest_new_ts >= row.last_ts)
    )


def _note_before_replay(conn: Connection, stream_ids: list[int], changes: ChangeLog) -> None:
    before = {sid: Projected() for sid in stream_ids}
    dep = deployments
    for stream_id, seq, rollback_seq, automated, cause, fixed_by in conn.execute(
        select(dep.c.stream_id, dep.c.seq, dep.c.rollback_seq, dep.c.rollback_automated,
               dep.c.rollback_cause, dep.c.fixed_forward_seq)
        .where(dep.c.stream_id.in_(stream_ids))
    ):  # fmt: skip
        projected = before[stream_id]
        projected.rolled_back[seq] = (
            None if rollback_seq is None
            else (rollback_seq, Classification(bool(automated), cause))
        )  # fmt: skip
        if fixed_by is not None:
            projected.fixed_forward[seq] = fixed_by
    orphan = orphan_rollbacks
    for stream_id, seq, at, team, automated, cause in conn.execute(
        select(orphan.c.stream_id, orphan.c.seq, orphan.c.at, orphan.c.team,
               orphan.c.automated, orphan.c.cause).where(orphan.c.stream_id.in_(stream_ids))
    ):  # fmt: skip
        before[stream_id].orphans[seq] = Orphaned(seq, at, team, bool(automated), cause)
    for stream_id in stream_ids:
        changes.replaying(stream_id, before[stream_id])


def _events_after(
    conn: Connection, stream_id: int, after: tuple[int, int] | None, page: int
) -> Iterator[StreamEvent]:
    # Keyset pages keep memory flat and leave the connection free for the writer's
    # statements between pages, on both drivers.
    while True:
        query = select(*_EVENT_COLUMNS).where(events.c.stream_id == stream_id)
        if after is not None:
            query = query.where(tuple_(events.c.ts, events.c.seq) > tuple_(*after))
        rows = conn.execute(query.order_by(events.c.ts, events.c.seq).limit(page)).all()
        for row in rows:
            yield StreamEvent._make(row)
        if len(rows) < page:
            return
        after = (rows[-1].ts, rows[-1].seq)
