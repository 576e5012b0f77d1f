"""The one write path: validate, append to the log, attribute the touched streams.

One transaction per call, so a batch is stored whole or not at all, and the projection
never disagrees with the log it was built from. `write_groups` writes several small,
already validated batches in one transaction (group commit) and answers each as if it
had been recorded on its own, in order. Both can note what changed, for the after-commit
hook (`commits.py`): the description is read inside the transaction, so it is exactly
what commits.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from rollback_rate.attribution import ChangeLog, Projector, rebuild_all
from rollback_rate.errors import InvalidEvent, InvalidInput, Problem
from rollback_rate.events import EventRecord, parse_event
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.ledger.commits import Committed, describe, seqs_named
from rollback_rate.ledger.targets import resolve_targets
from rollback_rate.ledger.warnings import RecordWarning, WarningLog
from rollback_rate.store import AppendResult, Database, NewEvent, append_events, count_recorded
from rollback_rate.store.bulk_load import create_deferred_indexes, drop_deferred_indexes
from rollback_rate.store.log import SMALL_BATCH, event_facts, log_is_empty, stream_names
from rollback_rate.store.statement_queue import StatementQueue

CHUNK = 5_000
MAX_LISTED_PROBLEMS = 1_000  # listing stays readable and memory stays flat on huge files

RawEvent = tuple[str, Any]  # (location such as "line 14", raw dict, record or InvalidEvent)


@dataclass
class IngestResult:
    """What a batch did: counts, and the located problems of invalid events. `changes`:
    what the batch's own transaction changed, for a batch that held corrections (a void
    or amend is recorded to change something, so its caller is told what). `warnings`:
    what its events did that the sender may not have meant (`record_batch` gives them)."""

    stored: int = 0
    duplicates: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)
    changes: Committed | None = None
    warnings: list[RecordWarning] = field(default_factory=list)


def write_events(
    database: Database,
    raws: Iterable[RawEvent],
    *,
    skip_invalid: bool = False,
    changes: ChangeLog | None = None,
) -> tuple[IngestResult, Committed | None]:
    """Store every valid event once; with any invalid one and not `skip_invalid`, none.

    Raises InvalidInput (nothing stored) when an event is invalid and `skip_invalid` is off.
    Streams in chunks: each is appended, then attributed, so memory stays flat. On
    PostgreSQL a chunk is appended while the next is read and the last one attributed.
    """
    result = IngestResult()
    with database.begin() as conn, StatementQueue() as queue, _Collector() as collector:
        bulk_load = database.backend.indexes_after_bulk_load
        chunks = _Chunks(conn, queue, result, changes, skip_invalid, bulk_load)
        for location, raw in raws:
            # Records the readers' fast path already validated skip the call (hot loop).
            record = raw if type(raw) is EventRecord else _parse(location, raw, result)
            if record is None:
                continue
            if record[1] in CORRECTIONS:  # (its type) resolved against the log when appended
                chunks.corrections[len(chunks.records)] = location
            chunks.records.append(record)
            if len(chunks.records) >= CHUNK:  # more than one chunk: a bulk load
                collector.pause()
                if database.backend.threaded_writer:
                    queue.start_thread()
                chunks.start_bulk_load()
                chunks.append(doomed=result.invalid > 0 and not skip_invalid)
        if result.invalid and not skip_invalid:
            raise InvalidInput(result.problems, result.invalid)
        chunks.append(doomed=False)
        chunks.finish()
        committed = _describe(conn, changes)
    return result, committed


def write_groups(
    database: Database,
    groups: Sequence[Sequence[EventRecord]],
    changes: ChangeLog | None = None,
) -> tuple[list[IngestResult], Committed | None]:
    """Store several validated batches in one transaction, attribution refreshed once.

    Each group's counts are what `write_events` would have answered for it, called for
    each group in turn: an id stored by an earlier group (or already in the log) is a
    duplicate. At most SMALL_BATCH events in all, so one INSERT ... RETURNING says
    exactly which rows were new and the streams are locked in one ordered statement.
    """
    records = [record for group in groups for record in group]
    if len(records) > SMALL_BATCH:
        raise ValueError(f"{len(records)} events in one group commit; at most {SMALL_BATCH}")
    results = [IngestResult() for _ in groups]
    if not records:
        return results, None
    with database.begin() as conn:
        if any(record.type in CORRECTIONS for record in records):
            records, problems = resolve_targets(conn, records, _group_locations(groups))
            if problems:
                raise InvalidInput(problems)
        appended = append_events(conn, records, {})
        _project(conn, appended.new_events, changes)
        committed = _describe(conn, changes)
    assert appended.inserted_ids is not None  # the small path always lists them
    # A new id was inserted by its first row (rows are inserted in order); every other
    # row with that id, and every row of an id not inserted, is a duplicate.
    new_ids = set(appended.inserted_ids)
    for group, result in zip(groups, results, strict=True):
        for record in group:
            if record.event_id in new_ids:
                new_ids.discard(record.event_id)
                result.stored += 1
            else:
                result.duplicates += 1
    return results, committed


def _group_locations(groups: Sequence[Sequence[EventRecord]]) -> dict[int, str]:
    """Each record's location in its own request, by its index among all the groups'."""
    return {i: loc for i, loc in enumerate(f"[{n}]" for group in groups for n in range(len(group)))}


def rebuild(database: Database, changes: ChangeLog | None = None) -> tuple[int, Committed | None]:
    """Replay every stream's attribution from the log; how many streams, and the changes."""
    with database.begin() as conn:
        count = rebuild_all(conn, changes)
        committed = _describe(conn, changes)
    return count, committed


def validate_events(raws: Iterable[RawEvent]) -> list[EventRecord]:
    """Parse every raw event; raise InvalidInput (every located problem, as
    `write_events` does) when any is invalid. Touches no database."""
    result = IngestResult()
    records = [r for location, raw in raws if (r := _parse(location, raw, result)) is not None]
    if result.invalid:
        raise InvalidInput(result.problems, result.invalid)
    return records


def _project(
    conn: Connection, new_events: dict[int, list[NewEvent]], changes: ChangeLog | None
) -> None:
    projector = Projector(conn, changes=changes)
    if changes is not None:
        for stream_id in new_events:
            changes.touched(stream_id)
    projector.add(new_events)
    projector.finish()
    count_recorded(conn, _tally(new_events))


def _tally(new_events: dict[int, list[NewEvent]]) -> dict[int, list[int]]:
    """Per stream: new deployment events, automated ones, new rollbacks, automated ones."""
    tallies = {}
    for stream_id, batch in new_events.items():
        deployed = deployed_automated = rolled_back = rolled_back_automated = 0
        for _, record in batch:  # a plain loop: a Counter of pairs cost 3% of an import
            kind = record[1]  # its type
            if kind == "deployment":
                deployed += 1
                deployed_automated += record[6] is True  # automated
            elif kind == "rollback":
                rolled_back += 1
                rolled_back_automated += record[6] is True
        tallies[stream_id] = [deployed, deployed_automated, rolled_back, rolled_back_automated]
    return tallies


def _describe(conn: Connection, changes: ChangeLog | None) -> Committed | None:
    if changes is None or (isinstance(changes, WarningLog) and not changes.has_bad_target()):
        return None
    names = stream_names(conn, changes.streams)
    return describe(changes, names, event_facts(conn, seqs_named(changes)))


class _Collector:
    """Pauses Python's cyclic garbage collector for a bulk load, which allocates millions
    of short-lived tuples and no cycles: each collection would only rescan the live ones
    (about a sixth of an import's time). It is resumed when the load ends, however."""

    def __init__(self) -> None:
        self.paused = False

    def pause(self) -> None:
        if not self.paused and gc.isenabled():
            gc.disable()
            self.paused = True

    def __enter__(self) -> _Collector:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.paused:
            gc.enable()


class _Chunks:
    """Appends chunks through the queue and attributes each once the writer is two chunks
    further on (with a writer thread, it is never left idle waiting for Python)."""

    AHEAD = 2

    def __init__(
        self,
        conn: Connection,
        queue: StatementQueue,
        result: IngestResult,
        changes: ChangeLog | None,
        skip_invalid: bool,
        bulk_load: bool,
    ) -> None:
        self.conn, self.queue, self.result, self.changes = conn, queue, result, changes
        self.skip_invalid = skip_invalid
        self.corrections: dict[int, str] = {}  # index in `records` -> location
        self.projector = Projector(conn, queue, changes=changes)
        self.stream_ids: dict[tuple[str, str], int] = {}
        self.records: list[EventRecord] = []
        self.queued: deque[Future[AppendResult]] = deque()
        self.tallies: dict[int, list[int]] = {}
        # Whether this is a bulk load (store/bulk_load.py); where the backend builds its
        # indexes after one, decided at the first full chunk.
        self.bulk: bool | None = None if bulk_load else False

    def start_bulk_load(self) -> None:
        """Into an empty log, load without the secondary indexes and build them after."""
        if self.bulk is None:
            self.bulk = self.queue.run(log_is_empty, self.conn)
            if self.bulk:
                self.queue.submit(drop_deferred_indexes, self.conn)

    def append(self, *, doomed: bool) -> None:
        """Queue the collected records (unless the input is doomed: then only drop them)."""
        records, self.records = self.records, []
        corrections, self.corrections = self.corrections, {}
        if doomed or not records:
            return
        if corrections:
            records = self._resolved(records, corrections)
        self.queued.append(self.queue.submit(append_events, self.conn, records, self.stream_ids))
        if len(self.queued) > self.AHEAD:
            self._attribute(self.queued.popleft())

    def _resolved(self, records: list[EventRecord], locations: dict[int, str]) -> list[EventRecord]:
        """The records with each correction's target found (the chunks before are in the log
        once the queue is drained); unresolvable corrections are invalid events."""
        while self.queued:
            self._attribute(self.queued.popleft())
        self.queue.drain()
        resolved, problems = resolve_targets(self.conn, records, locations)
        if problems:
            self.result.invalid += len(problems)
            room = MAX_LISTED_PROBLEMS - len(self.result.problems)
            self.result.problems.extend(problems[: max(room, 0)])
            if not self.skip_invalid:
                raise InvalidInput(self.result.problems, self.result.invalid)
        return resolved

    def finish(self) -> None:
        while self.queued:
            self._attribute(self.queued.popleft())
        if self.bulk:  # before the deferred replays, which read the stream order index
            self.queue.submit(create_deferred_indexes, self.conn)
        self.projector.finish()
        self.queue.submit(count_recorded, self.conn, self.tallies)
        self.queue.drain()

    def _attribute(self, queued: Future[AppendResult]) -> None:
        appended = queued.result()
        self.result.stored += appended.stored
        self.result.duplicates += appended.duplicates
        for stream_id, counts in _tally(appended.new_events).items():
            total = self.tallies.get(stream_id)
            if total is None:
                self.tallies[stream_id] = counts
            else:
                for i, n in enumerate(counts):
                    total[i] += n
        if self.changes is not None:
            for stream_id in appended.new_events:
                self.changes.touched(stream_id)
        self.projector.add(appended.new_events)


def _parse(location: str, raw: Any, result: IngestResult) -> EventRecord | None:
    """The record of one raw event, or None after adding its problems to `result`."""
    if type(raw) is EventRecord:
        return raw  # already validated (the readers' fast path)
    try:
        if isinstance(raw, InvalidEvent):
            raise raw
        return parse_event(raw, location)
    except InvalidEvent as exc:
        result.invalid += 1
        room = MAX_LISTED_PROBLEMS - len(result.problems)
        result.problems.extend(exc.problems[: max(room, 0)])
        return None
