"""Streaming readers for JSONL and CSV files of canonical events.

They yield `(line_number, raw)` one at a time so an import runs in constant memory
whatever the file size; `raw` is an EventRecord (a JSONL line the fast path vouched for),
a dict for `parse_event` to judge, or an InvalidEvent describing a bad line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from rollback_rate.errors import InvalidEvent, InvalidOption, Problem
from rollback_rate.events.fast import fast_record
from rollback_rate.events.model import EventRecord

FORMATS = ("jsonl", "csv")
_BOOLEANS = {"true": True, "false": False}
_SURROGATE = re.compile("[\udc80-\udcff]")  # an undecodable byte, by surrogateescape

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
    # Undecodable bytes become lone surrogates (surrogateescape) instead of stopping the
    # whole file, so the row that holds one is refused on its own, located like any other
    # bad line, and --skip-invalid can skip it (issue 9).
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    rows = _csv_rows(reader)
    first = next(rows, None)
    if first is None:
        return
    number, header = first
    if not isinstance(header, InvalidEvent):
        positions = [f"column {index + 1}" for index in range(len(header))]
        header = _undecodable(number, positions, header) or header
    if isinstance(header, InvalidEvent):
        yield number, header
        return
    columns = [name.strip() for name in header]
    if "type" not in columns:
        yield 1, InvalidEvent([Problem("line 1", None, "CSV header has no 'type' column")])
        return
    for number, row in rows:
        if isinstance(row, InvalidEvent):
            yield number, row
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            problem = Problem(
                f"line {number}", None, f"has {len(row)} cells but the header names {len(columns)}"
            )
            yield number, InvalidEvent([problem])
            continue
        undecodable = _undecodable(number, columns, row)
        yield number, undecodable or _csv_row(number, columns, row)


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[str] | InvalidEvent]]:
    """The reader's rows with their (last) line numbers; a row the csv module refuses
    (a cell over its field limit) is an InvalidEvent, and reading goes on after it."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number = reader.line_num
            yield number, InvalidEvent([Problem(f"line {number}", None, _csv_reason(exc))])
            continue
        yield reader.line_num, row


def _csv_reason(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        limit = csv.field_size_limit()
        return f"a cell is longer than {limit} characters (the CSV field limit); shorten it"
    return f"is not valid CSV: {exc}"


def _undecodable(number: int, columns: list[str], row: list[str]) -> InvalidEvent | None:
    """The cells of a row that held bytes that are not UTF-8 (cheap for ASCII rows)."""
    if "".join(row).isascii():
        return None
    problems = []
    for index, cell in enumerate(row):
        bad = _SURROGATE.search(cell)
        if bad is not None:
            byte = ord(bad.group()) - 0xDC00
            field = columns[index] if index < len(columns) else f"column {index + 1}"
            reason = f"is not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"
            problems.append(Problem(f"line {number}", field, reason))
    return InvalidEvent(problems) if problems else None


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
