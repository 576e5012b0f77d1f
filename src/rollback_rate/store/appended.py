"""What appending to the log gives back, shared by the generic and the backends' bulk paths."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rollback_rate.events import EventRecord

StreamKey = tuple[str, str]  # (model, environment)
# A stored event with its arrival order: what attribution is handed.
NewEvent = tuple[int, EventRecord]  # (seq, record)
# A log row in EVENT_COLUMNS order.
Row = tuple[Any, ...]
EVENT_COLUMNS = ("event_id", "stream_id", "type", "version", "ts", "automated", "cause", "team",
                 "note", "attributes", "recorded_at", "target", "artifact", "digest", "drill",
                 "stage", "unplanned", "actor")  # fmt: skip
# The record's fields after `attributes` (`record[11:]`), in EVENT_COLUMNS order (flags
# stored NULL when false, so the common row binds no bool for them).
NO_LATER = (None, None, None, False, None, False, None)
_Identified = TypeVar("_Identified", EventRecord, Row)


@dataclass
class AppendResult:
    """Counts, the new events of each stream in arrival order (what attribution needs),
    and the ids of the new events (`inserted_ids`, None once a bulk chunk was appended)."""

    stored: int = 0
    duplicates: int = 0
    new_events: dict[int, list[NewEvent]] = field(default_factory=dict)
    inserted_ids: list[str] | None = field(default_factory=list)


def log_row(record: EventRecord, stream_id: int, recorded_at: int) -> Row:
    """The record as a row of the log, in EVENT_COLUMNS order."""
    r = record
    return (r.event_id, stream_id, r.type, r.version, r.ts, r.automated, r.cause, r.team,
            r.note, r.attributes, recorded_at, r.target, r.artifact, r.digest,
            r.drill or None, r.stage, r.unplanned or None, r.actor)  # fmt: skip


def per_stream(
    inserted: Iterable[tuple[int, EventRecord]], stream_ids: dict[StreamKey, int]
) -> dict[int, list[NewEvent]]:
    """The inserted (seq, record) pairs grouped by stream id, in the order given."""
    new_events: dict[int, list[NewEvent]] = {}
    for seq, record in inserted:
        stream_id = stream_ids[(record.model, record.environment)]
        new = new_events.get(stream_id)
        if new is None:
            new = new_events[stream_id] = []
        new.append((seq, record))
    return new_events


def first_of_each_id(items: Sequence[_Identified]) -> Sequence[_Identified]:
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
