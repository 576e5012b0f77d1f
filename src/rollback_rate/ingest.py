"""Recording events: validate, append to the log, attribute the touched streams.

One transaction per call, so a batch is stored whole or not at all, and the projection
never disagrees with the log it was built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rollback_rate.attribution import refresh_streams
from rollback_rate.errors import InvalidEvent, InvalidInput, Problem
from rollback_rate.events import EventRecord, parse_event
from rollback_rate.store import AppendResult, Database, append_events

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
    """
    result = IngestResult()
    appended = AppendResult()
    with database.begin() as conn:
        stream_ids: dict[tuple[str, str], int] = {}
        chunk: list[EventRecord] = []
        for location, raw in raws:
            try:
                if isinstance(raw, InvalidEvent):
                    raise raw
                chunk.append(parse_event(raw, location))
            except InvalidEvent as exc:
                result.invalid += 1
                room = MAX_LISTED_PROBLEMS - len(result.problems)
                result.problems.extend(exc.problems[: max(room, 0)])
                continue
            if len(chunk) >= CHUNK and (skip_invalid or not result.invalid):
                appended.add(append_events(conn, chunk, stream_ids))
                chunk = []
            elif len(chunk) >= CHUNK:
                chunk = []  # already doomed: keep validating, stop storing
        if result.invalid and not skip_invalid:
            raise InvalidInput(result.problems, result.invalid)
        appended.add(append_events(conn, chunk, stream_ids))
        refresh_streams(conn, appended.earliest, appended.new_events)
    result.stored, result.duplicates = appended.stored, appended.duplicates
    return result


def record_event(database: Database, raw: dict[str, Any], location: str = "event") -> IngestResult:
    """Record one event (the CLI's `record` command and single webhook deliveries)."""
    return record_events(database, [(location, raw)])
