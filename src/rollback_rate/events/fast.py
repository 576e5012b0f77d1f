"""The fast path for canonical JSON events: msgspec decodes and checks them in C.

Validation is most of an import's Python time, so the common shape of an event is
decoded by msgspec straight from the line's bytes. Its wire type is derived from the
contract (`Event`'s fields and limits), so the two cannot drift apart. The fast path only
vouches for a line when its record is exactly what the reference path (orjson, then the
Pydantic `Event`) would give; anything it is unsure of (extra fields or the contract's
later ones, numbers for strings, whitespace to strip, more than six fractional digits, a
NUL, a correction) returns None and takes the reference path, which decides and
explains. A property test holds the two paths together.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from annotated_types import MaxLen, MinLen
from pydantic import AwareDatetime

from rollback_rate.events.model import (
    COMMON_FIELDS,
    CORRECTIONS,
    Event,
    EventRecord,
    derive_event_id,
)
from rollback_rate.timeutil import MAX_MICROS, MIN_MICROS, to_micros

_new = tuple.__new__  # a namedtuple built by this directly costs no Python frame, as _make does

T = TypeVar("T")

# msgspec rounds a seventh fractional digit where Pydantic truncates; NUL is refused by
# the reference path with its own message. Both are rare, so such lines go the slow way.
_SEVEN_DIGIT_FRACTION = re.compile(rb"\.[0-9]{7}")
_NUL = b"\\u0000"


def _wire_type(name: str) -> Any:
    """The msgspec type of a contract field: its Python type with the same length limits
    (patterns aside: NUL is checked on the bytes, and no common field has another)."""
    field = Event.model_fields[name]
    annotation = field.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    optional = union and type(None) in typing.get_args(annotation)
    base = annotation
    if union:
        base = next(a for a in typing.get_args(annotation) if a is not type(None))
    metadata = list(field.metadata)
    while typing.get_origin(base) is Annotated:  # Text = Annotated[str, Field(...)]
        base, *extras = typing.get_args(base)
        for extra in extras:
            metadata += getattr(extra, "metadata", [extra])
    if typing.get_origin(base) is Literal:
        kind: Any = base
    elif base is AwareDatetime:
        kind = Annotated[datetime, msgspec.Meta(tz=True)]
    elif base is str:
        shortest = next((m.min_length for m in metadata if isinstance(m, MinLen)), None)
        longest = next((m.max_length for m in metadata if isinstance(m, MaxLen)), None)
        kind = Annotated[str, msgspec.Meta(min_length=shortest, max_length=longest)]
    else:
        kind = base
    return kind | None if optional else kind


_Wire = msgspec.defstruct(
    "_Wire",
    [
        (name, _wire_type(name))
        if Event.model_fields[name].is_required()
        else (name, _wire_type(name), Event.model_fields[name].default)
        for name in COMMON_FIELDS
    ],
    kw_only=True,
    forbid_unknown_fields=True,  # an unknown field is an attribute to keep: slow path
    gc=False,
)
_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_Wire)
_BATCH_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder(list[_Wire])  # type: ignore[valid-type]


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


def _record(wire: Any) -> EventRecord | None:
    type_, model, version, event_id = wire.type, wire.model, wire.version, wire.id
    if type_ in CORRECTIONS or model is None:
        return None  # the reference path resolves or words these
    environment = wire.environment or "production"
    # The reference path strips surrounding whitespace: vouch only for text that has none
    # (str.strip returns the very same object when there is nothing to strip).
    for text in (model, environment, version, event_id, wire.cause, wire.team, wire.note):
        if text is not None and text.strip() is not text:
            return None
    if version is None and type_ == "deployment":
        return None  # the reference path words this error
    ts = to_micros(wire.timestamp)
    if not MIN_MICROS <= ts <= MAX_MICROS:
        return None
    automated = wire.automated
    return _new(  # the namedtuple's own tuple.__new__: no Python frame (hot)
        EventRecord,
        (
            event_id or derive_event_id(type_, model, environment, version, ts),
            type_,
            model,
            environment,
            version,
            ts,
            False if automated is None else automated,
            wire.cause,
            wire.team,
            wire.note,
            None,
            None,
            None,
            None,
            False,
            None,
            False,
            None,
        ),
    )
