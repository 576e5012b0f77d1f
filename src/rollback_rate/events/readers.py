"""Streaming readers for JSONL and CSV files of canonical events.

They yield `(line_number, raw)` one at a time so an import runs in constant memory
whatever the file size; `raw` is an EventRecord (a JSONL line the fast path vouched for),
a dict for `parse_event` to judge, or an InvalidEvent describing a bad line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import orjson

from rollback_rate.errors import InvalidEvent, InvalidOption, Problem
from rollback_rate.events.fast import fast_record
from rollback_rate.events.model import EventRecord

FORMATS = ("jsonl", "csv")
_BOOLEANS = {"true": True, "false": False}

RawLine = tuple[int, "EventRecord | dict[str, Any] | InvalidEvent"]


def detect_format(name: str, head: bytes) -> str:
    """Pick jsonl or csv from the file name, else from the first bytes."""
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    first = head.lstrip()[:1]
    if first in (b"{", b""):
        return "jsonl"
    if first == b"[":
        raise InvalidOption("a JSON array is not JSONL; write one event object per line")
    return "csv"


def read_events(stream: IO[bytes], fmt: str) -> Iterator[RawLine]:
    """Yield each event of a JSONL or CSV byte stream with its line number."""
    if fmt == "jsonl":
        return _read_jsonl(stream)
    if fmt == "csv":
        return _read_csv(stream)
    raise InvalidOption(f"format {fmt!r} is not one of {', '.join(FORMATS)}")


def _read_jsonl(stream: IO[bytes]) -> Iterator[RawLine]:
    for number, line in enumerate(stream, start=1):
        record = fast_record(line)
        if record is not None:
            yield number, record
            continue
        if not line.strip():
            continue
        try:
            yield number, orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, InvalidEvent([Problem(f"line {number}", None, f"invalid JSON: {exc}")])


def _read_csv(stream: IO[bytes]) -> Iterator[RawLine]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None:
        return
    columns = [name.strip() for name in header]
    if "type" not in columns:
        yield 1, InvalidEvent([Problem("line 1", None, "CSV header has no 'type' column")])
        return
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            problem = Problem(
                f"line {number}", None, f"has {len(row)} cells but the header names {len(columns)}"
            )
            yield number, InvalidEvent([problem])
            continue
        yield number, _csv_row(number, columns, row)


def _csv_row(number: int, columns: list[str], row: list[str]) -> dict[str, Any] | InvalidEvent:
    # An empty cell means the field is absent (issue 2), so defaults apply.
    raw: dict[str, Any] = {
        name: cell for name, cell in zip(columns, row, strict=False) if cell != ""
    }
    if "automated" in raw:
        flag = _BOOLEANS.get(raw["automated"].strip().lower())
        if flag is None:
            reason = f"must be true or false (got {raw['automated']!r})"
            return InvalidEvent([Problem(f"line {number}", "automated", reason)])
        raw["automated"] = flag
    return raw
