"""The fast path for canonical JSON events: msgspec decodes and checks them in C.

Validation is most of an import's Python time, so the common shape of an event is
decoded by msgspec straight from the line's bytes. The fast path only vouches for a line
when its record is exactly what the reference path (orjson, then the Pydantic `Event`)
would give; anything it is unsure of (extra fields, numbers for strings, whitespace to
strip, more than six fractional digits, a NUL) returns None and takes the reference
path, which decides and explains. A property test holds the two paths together.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, TypeVar

import msgspec

from rollback_rate.events.model import EventRecord, derive_event_id
from rollback_rate.timeutil import to_micros

_Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Cause = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
_Note = Annotated[str, msgspec.Meta(max_length=2000)]
_Aware = Annotated[datetime, msgspec.Meta(tz=True)]
T = TypeVar("T")

# msgspec rounds a seventh fractional digit where Pydantic truncates; NUL is refused by
# the reference path with its own message. Both are rare, so such lines go the slow way.
_SEVEN_DIGIT_FRACTION = re.compile(rb"\.[0-9]{7}")
_NUL = b"\\u0000"


class _Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The canonical fields only: an unknown field is an attribute to keep, so such a
    line takes the reference path, which keeps it."""

    type: Literal["deployment", "rollback", "rollback_failed"]
    model: _Text
    timestamp: _Aware
    version: _Text | None = None
    environment: _Text = "production"
    id: _Text | None = None
    automated: bool = False
    cause: _Cause | None = None
    team: _Text | None = None
    note: _Note | None = None


_DECODER = msgspec.json.Decoder(_Wire)
_BATCH_DECODER = msgspec.json.Decoder(list[_Wire])


def fast_record(line: bytes) -> EventRecord | None:
    """The record of one JSON event when the fast path can vouch for it, else None."""
    wire = _decode(_DECODER, line)
    return None if wire is None else _record(wire)


def fast_records(array: bytes) -> list[EventRecord] | None:
    """The records of a JSON array of events when the fast path can vouch for every one
    of them, else None (and the reference path takes the whole array)."""
    wires = _decode(_BATCH_DECODER, array)
    if wires is None:
        return None
    records = []
    for wire in wires:
        record = _record(wire)
        if record is None:
            return None
        records.append(record)
    return records


def _decode(decoder: msgspec.json.Decoder[T], data: bytes) -> T | None:
    if _NUL in data or _SEVEN_DIGIT_FRACTION.search(data):
        return None
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
        return None


def _record(wire: _Wire) -> EventRecord | None:
    model, environment, version, event_id = wire.model, wire.environment, wire.version, wire.id
    # The reference path strips surrounding whitespace: vouch only for text that has none
    # (str.strip returns the very same object when there is nothing to strip).
    for text in (model, environment, version, event_id, wire.cause, wire.team, wire.note):
        if text is not None and text.strip() is not text:
            return None
    if version is None and wire.type == "deployment":
        return None  # the reference path words this error
    ts = to_micros(wire.timestamp)
    return EventRecord._make(  # _make: the namedtuple's constructor, minus a Python frame
        (
            event_id or derive_event_id(wire.type, model, environment, version, ts),
            wire.type,
            model,
            environment,
            version,
            ts,
            wire.automated,
            wire.cause,
            wire.team,
            wire.note,
            None,
        )
    )
