"""Recording events: validate, append to the log, attribute the touched streams.

One transaction per call, so a batch is stored whole or not at all, and the projection
never disagrees with the log it was built from. `store_groups` writes several small,
already validated batches in one transaction (the service's group commit) and answers
each as if it had been recorded on its own, in order.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from rollback_rate.attribution import Projector
from rollback_rate.errors import InvalidEvent, InvalidInput, Problem
from rollback_rate.events import EventRecord, parse_event
from rollback_rate.store import AppendResult, Database, append_events
from rollback_rate.store.log import SMALL_BATCH
from rollback_rate.store.pipeline import Pipeline

CHUNK = 5_000
MAX_LISTED_PROBLEMS = 1_000  # listing stays readable and memory stays flat on huge files

RawEvent = tuple[str, Any]  # (location such as "line 14", raw dict or InvalidEvent)


@dataclass
class IngestResult:
    """What a batch did: counts, and the located problems of invalid events."""

    stored: int = 0
    duplicates: int = 0
    invalid: int = 0
    problems: list[Problem] = field(default_factory=list)


def record_events(
    database: Database, raws: Iterable[RawEvent], *, skip_invalid: bool = False
) -> IngestResult:
    """Store every valid event once; with any invalid one and not `skip_invalid`, none.

    Raises InvalidInput (nothing stored) when an event is invalid and `skip_invalid` is off.
    Streams in chunks: each is appended, then attributed, so memory stays flat. On
    PostgreSQL a chunk is appended while the next is read and the last one attributed.
    """
    result = IngestResult()
    with database.begin() as conn, Pipeline() as pipeline, _Collector() as collector:
        chunks = _Chunks(conn, pipeline, result)
        for location, raw in raws:
            # Records the readers' fast path already validated skip the call (hot loop).
            record = raw if type(raw) is EventRecord else _parse(location, raw, result)
            if record is None:
                continue
            chunks.records.append(record)
            if len(chunks.records) >= CHUNK:  # more than one chunk: a bulk load
                collector.pause()
                if database.is_postgres:
                    pipeline.start_thread()
                chunks.append(doomed=result.invalid > 0 and not skip_invalid)
        if result.invalid and not skip_invalid:
            raise InvalidInput(result.problems, result.invalid)
        chunks.append(doomed=False)
        chunks.finish()
    return result


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
    """Appends chunks through the pipeline and attributes each once the writer is two
    chunks further on (with a writer thread, it is never left idle waiting for Python)."""

    AHEAD = 2

    def __init__(self, conn: Connection, pipeline: Pipeline, result: IngestResult) -> None:
        self.conn, self.pipeline, self.result = conn, pipeline, result
        self.projector = Projector(conn, pipeline)
        self.stream_ids: dict[tuple[str, str], int] = {}
        self.records: list[EventRecord] = []
        self.queued: deque[Future[AppendResult]] = deque()

    def append(self, *, doomed: bool) -> None:
        """Queue the collected records (unless the input is doomed: then only drop them)."""
        records, self.records = self.records, []
        if doomed or not records:
            return
        self.queued.append(self.pipeline.submit(append_events, self.conn, records, self.stream_ids))
        if len(self.queued) > self.AHEAD:
            self._attribute(self.queued.popleft())

    def finish(self) -> None:
        while self.queued:
            self._attribute(self.queued.popleft())
        self.projector.finish()

    def _attribute(self, queued: Future[AppendResult]) -> None:
        appended = queued.result()
        self.result.stored += appended.stored
        self.result.duplicates += appended.duplicates
        self.projector.add(appended.new_events)


def validate_events(raws: Iterable[RawEvent]) -> list[EventRecord]:
    """Parse every raw event; raise InvalidInput (every located problem, as
    `record_events` does) when any is invalid. Touches no database."""
    result = IngestResult()
    records = [r for location, raw in raws if (r := _parse(location, raw, result)) is not None]
    if result.invalid:
        raise InvalidInput(result.problems, result.invalid)
    return records


def store_groups(database: Database, groups: Sequence[Sequence[EventRecord]]) -> list[IngestResult]:
    """Store several validated batches in one transaction, attribution refreshed once.

    Each group's counts are what `record_events` would have answered for it, called for
    each group in turn: an id stored by an earlier group (or already in the log) is a
    duplicate. At most SMALL_BATCH events in all, so one INSERT ... RETURNING says
    exactly which rows were new and the streams are locked in one ordered statement.
    """
    records = [record for group in groups for record in group]
    if len(records) > SMALL_BATCH:
        raise ValueError(f"{len(records)} events in one group commit; at most {SMALL_BATCH}")
    results = [IngestResult() for _ in groups]
    if not records:
        return results
    with database.begin() as conn:
        appended = append_events(conn, records, {})
        projector = Projector(conn)
        projector.add(appended.new_events)
        projector.finish()
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
    return results


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


def record_event(database: Database, raw: dict[str, Any], location: str = "event") -> IngestResult:
    """Record one event (the CLI's `record` command and single webhook deliveries)."""
    return record_events(database, [(location, raw)])
