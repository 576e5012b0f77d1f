"""Raw input to located raw events: decoder choice for files and HTTP bodies.

The write path takes `(location, raw)` pairs, where raw is an EventRecord the fast path
already vouched for, a dict for the contract to judge, or an InvalidEvent describing a
bad line. This module makes them from a file (JSONL, CSV, or a source's payloads) or a
JSON body, so every edge that takes events in decodes them the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from rollback_rate.errors import InvalidJson, Problem, TooManyEvents
from rollback_rate.events import EventRecord, detect_format, read_events
from rollback_rate.events.fast import fast_record, fast_records
from rollback_rate.events.readers import FORMATS
from rollback_rate.ledger.writes import IngestResult, RawEvent
from rollback_rate.sources import SourceOptions, get_source
from rollback_rate.sources.files import IgnoredTally, source_events


@dataclass
class ImportResult(IngestResult):
    """An import's counts, and the source payloads that were valid but irrelevant."""

    ignored: int = 0
    ignored_reasons: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, result: IngestResult, ignored: IgnoredTally) -> ImportResult:
        return cls(result.stored, result.duplicates, result.invalid, result.problems,
                   ignored=ignored.count, ignored_reasons=dict(ignored.reasons))  # fmt: skip


def located_file_events(
    stream: IO[bytes], name: str, fmt: str | None, options: SourceOptions | None
) -> tuple[Iterator[RawEvent], IgnoredTally]:
    """The file's events, located by line (or payload), and a tally of ignored payloads
    that fills as the events are read. `fmt`: jsonl, csv, a source name, or None to
    detect jsonl or csv from the name and the first bytes."""
    ignored = IgnoredTally()
    if fmt is not None and fmt not in FORMATS:
        source = get_source(fmt)
        return source_events(source, stream, options or SourceOptions(), ignored), ignored
    head = stream.peek(512) if hasattr(stream, "peek") else b""
    return _by_line(read_events(stream, fmt or detect_format(name, head))), ignored


def _by_line(lines: Iterator[tuple[int, Any]]) -> Iterator[RawEvent]:
    for number, raw in lines:
        # A validated record is never located in a message: spare the formatting.
        yield ("" if type(raw) is EventRecord else f"line {number}"), raw


def located_json_body(body: bytes, max_events: int) -> list[RawEvent]:
    """The events of a JSON body: one object (`body`) or an array (`[i]`) of at most
    `max_events`. Bodies the fast path vouches for, whole, skip the reference path."""
    start = body.lstrip()[:1]
    if start == b"{":
        record = fast_record(body)
        if record is not None:
            return [("body", record)]
    elif start == b"[":
        records = fast_records(body)
        if records is not None:
            _check_size(len(records), max_events)
            return [(f"[{index}]", record) for index, record in enumerate(records)]
    payload = _parse_json(body)
    if isinstance(payload, dict):
        return [("body", payload)]
    if isinstance(payload, list):
        _check_size(len(payload), max_events)
        return [(f"[{index}]", raw) for index, raw in enumerate(payload)]
    raise InvalidJson(
        "the body must be a JSON object (one event) or an array of events",
        [Problem("body", None, f"got {type(payload).__name__}")],
    )


def _check_size(events: int, limit: int) -> None:
    if events > limit:
        raise TooManyEvents(f"a batch holds at most {limit} events, got {events}")


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise InvalidJson(
            "the body is empty; send a JSON event or array of events",
            [Problem("body", None, "is empty")],
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson("the body is not valid JSON", [Problem("body", None, str(exc))]) from None
