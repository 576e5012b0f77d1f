"""Raw input to located raw events: decoder choice for files and HTTP bodies.

The write path takes `(location, raw)` pairs, where raw is an EventRecord the fast path
already vouched for, a dict for the contract to judge, or an InvalidEvent describing a
bad line. This module makes them from a file (JSONL, CSV, or a source's payloads) or a
JSON body, so every edge that takes events in decodes them the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from rollback_rate.errors import InvalidJson, Problem, TooManyEvents
from rollback_rate.events import EventRecord, detect_format, read_events
from rollback_rate.events.fast import fast_record, fast_records
from rollback_rate.events.readers import FORMATS
from rollback_rate.ledger.writes import IngestResult, RawEvent
from rollback_rate.sources import SOURCES, SourceOptions, get_source
from rollback_rate.sources.files import IgnoredTally, source_events


@dataclass
class ImportResult(IngestResult):
    """An import's counts, and the source payloads that were valid but irrelevant."""

    ignored: int = 0
    ignored_reasons: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, result: IngestResult, ignored: IgnoredTally) -> ImportResult:
        return cls(stored=result.stored, duplicates=result.duplicates, invalid=result.invalid,
                   problems=result.problems, ignored=ignored.count,
                   ignored_reasons=dict(ignored.reasons))  # fmt: skip


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
    head = stream.peek(_HEAD) if hasattr(stream, "peek") else b""
    if fmt == "jsonl" or (fmt is None and not name.lower().endswith(".csv")):
        _refuse_json_document(head, name)
    return _by_line(read_events(stream, fmt or detect_format(name, head))), ignored


_HEAD = 4096
_REPLICA_SET = re.compile(rb'"kind"\s*:\s*"ReplicaSet"')


def _refuse_json_document(head: bytes, name: str) -> None:
    """One hint, not an error per line, for a JSON document where JSON Lines belong: a
    pretty-printed kubectl export (issue 13: 361 "invalid JSON" lines), or an array."""
    first, newline, _ = head.lstrip().partition(b"\n")
    line = first.strip()
    if not newline or not line.startswith((b"{", b"[")):
        return  # no complete first line to judge, or not JSON at all
    try:
        whole = orjson.loads(line)
    except orjson.JSONDecodeError:
        # One line of a longer document, as pretty-printers (kubectl, jq) begin one.
        if line not in (b"{", b"[") and not line.endswith((b",", b"{", b"[")):
            return  # a JSON Lines file whose first line is bad: listed as usual
        whole = None
    if isinstance(whole, dict):
        return  # JSON Lines
    what = "the input" if name == "-" else name
    array = line.startswith(b"[")
    if _REPLICA_SET.search(head):
        hint = "it looks like a kubectl export: import it with --format k8s-replicasets"
    else:
        jq = "jq -c '.[]'" if array else "jq -c ."
        hint = (
            f"write one event per line (`{jq} FILE`), or, for a source's payloads, pass "
            f"--format SOURCE ({', '.join(SOURCES)}), which reads this shape"
        )
    shape = "a JSON array" if array else "one JSON document over many lines"
    raise InvalidJson(
        f"{what} is {shape}, not JSON Lines (one event per line); {hint}",
        [Problem("line 1", None, "a JSON document where JSON Lines were expected")],
    )


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
