"""What the API accepts, stated in its OpenAPI schema exactly as the parsers decide it.

Query options keep the domain's own messages (`window '...' is out of range ...`) because
the parsers, not FastAPI, validate them; their schemas are attached here from the very
patterns the parsers use, so the schema and the behaviour cannot drift apart (issue 9,
checked by schemathesis in tests/service/test_schemathesis.py).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from typing import Any

from fastapi import Request

from rollback_rate.aggregation.audit import CURSOR_PATTERN
from rollback_rate.aggregation.query import BY_PATTERN, NAME_MAX, NAME_PATTERN, PERIODS
from rollback_rate.errors import InvalidEvent, InvalidOption
from rollback_rate.events import Event, parse_event
from rollback_rate.events.model import APPLIES, REQUIRED
from rollback_rate.timeutil import DATETIME_PATTERN, TIMESTAMP_PATTERN, WINDOW_PATTERN

# The characters Python's str.strip() removes (str.isspace), written for both Python's
# and ECMAScript's regular expressions: the contract strips names before it checks them.
_SPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000"
)
# Not blank once stripped, and no NUL.
NON_BLANK = f"^[^\\x00]*[^\\x00{_SPACE}][^\\x00]*$"
# `map_alias`: ALIAS=ENVIRONMENT, neither blank, no NUL (sources/options.py checks it).
MAP_ALIAS_PATTERN = f"^[^=\\x00]*[^=\\x00{_SPACE}][^=\\x00]*=[^\\x00]*[^\\x00{_SPACE}][^\\x00]*$"

# JSON numbers the body decoder takes: any within a double (a longer integer is read as
# one; beyond it, as infinity, which is refused).
DOUBLE_MAX = sys.float_info.max

SchemaEdit = Callable[[dict[str, Any]], None]


def schema_of(**schema: Any) -> SchemaEdit:
    """`json_schema_extra` that replaces a parameter's schema with `schema`."""

    def replace(current: dict[str, Any]) -> None:
        current.clear()
        current.update(copy.deepcopy(schema))

    return replace


TIMESTAMP = schema_of(
    type="string",
    anyOf=[{"format": "date"}, {"format": "date-time"}],
    pattern=TIMESTAMP_PATTERN,
    description="An RFC 3339 date-time with an offset, or a date (midnight UTC). On "
    "0001-01-01 and 9999-12-31 write it in UTC (`Z`), so it stays within years 1 to 9999.",
)
WINDOW = schema_of(
    type="string",
    pattern=WINDOW_PATTERN,
    description="A number of minutes, hours, days or weeks (`90m`, `36h`, `7d`, `1w`): "
    "greater than zero, at most 7 digits before the point and 6 after.",
)
BY = schema_of(
    type="string",
    pattern=BY_PATTERN,
    description="One to three distinct dimensions of model, environment and team, "
    "comma-separated without spaces (`model,team`).",
)
PERIOD = schema_of(type="string", enum=list(PERIODS))
NAME = schema_of(type="string", minLength=1, maxLength=NAME_MAX, pattern=NAME_PATTERN)
CURSOR = schema_of(
    type="string",
    pattern=CURSOR_PATTERN,
    description="`next_cursor` of the page before (the seq of its last event).",
)
MAP_ALIAS_ITEM = {"type": "string", "pattern": MAP_ALIAS_PATTERN}

# A JSON value the body decoder keeps as an attribute: any JSON, numbers within a double.
_ATTRIBUTE: dict[str, Any] = {
    "anyOf": [
        {"type": "null"},
        {"type": "boolean"},
        {"type": "string"},
        {"type": "number", "minimum": -DOUBLE_MAX, "maximum": DOUBLE_MAX},
        {"type": "array", "items": {"$ref": "#/components/schemas/Attribute"}},
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Attribute"}},
    ],
    "description": "Any JSON value (numbers within the range of a double).",
}


def event_schema() -> dict[str, Any]:
    """The canonical event's schema as the contract applies it: names are stripped before
    they are checked, a deployment needs a version, a timestamp is an RFC 3339
    date-time with an offset that stays within years 1 to 9999 in UTC."""
    schema = Event.model_json_schema()
    properties = schema["properties"]
    for name in _text_fields(properties):
        variants = properties[name].get("anyOf", [properties[name]])
        for variant in variants:
            if variant.get("type") == "string" and variant.get("minLength", 0) >= 1:
                variant["pattern"] = NON_BLANK  # stripped, then at least one character
        if _takes_a_number(name):  # e.g. a pipeline's `"team": 3` is the team "3"
            number = {"type": "number", "minimum": -DOUBLE_MAX, "maximum": DOUBLE_MAX}
            properties[name] = {
                **{k: v for k, v in properties[name].items() if k not in ("type", "anyOf")},
                "anyOf": [*variants, number],
            }
            for key in ("minLength", "maxLength", "pattern"):
                properties[name].pop(key, None)
    properties["timestamp"] = {
        "type": "string",
        "format": "date-time",
        "pattern": DATETIME_PATTERN,
        "description": "RFC 3339 with an offset; within years 1 to 9999 once in UTC.",
    }
    schema["additionalProperties"] = {"$ref": "#/components/schemas/Attribute"}
    # Which fields each type requires and allows (events/model.py: REQUIRED, APPLIES).
    schema["allOf"] = [_type_rules(kind) for kind in REQUIRED]
    return schema


def _type_rules(kind: str) -> dict[str, Any]:
    """`if type is kind then` its required fields are there (not null) and the fields
    that do not apply to it are absent (a false default counts as absent)."""
    refused: dict[str, Any] = {}
    for name, kinds in APPLIES.items():
        if kind in kinds:
            continue
        default = Event.model_fields[name].default
        refused[name] = {"const": default} if default is False else {"type": "null"}
    required = [name for name in REQUIRED[kind] if name != "model"] or []
    then: dict[str, Any] = {"properties": {
        **refused, **{name: {"not": {"type": "null"}} for name in REQUIRED[kind]}
    }}  # fmt: skip
    if REQUIRED[kind]:
        then["required"] = list(REQUIRED[kind])
    del required
    return {"if": {"properties": {"type": {"const": kind}}, "required": ["type"]}, "then": then}


_NOW = "2026-01-01T00:00:00Z"
_PROBES: dict[str, dict[str, Any]] = {
    "deployment": {"type": "deployment", "model": "m", "version": "1", "timestamp": _NOW},
    "rollback": {"type": "rollback", "model": "m", "timestamp": _NOW},
    "rollback_failed": {"type": "rollback_failed", "model": "m", "timestamp": _NOW},
    "void": {"type": "void", "target": "t", "timestamp": _NOW},
    "amend": {"type": "amend", "target": "t", "timestamp": _NOW},
}


def _text_fields(properties: dict[str, Any]) -> list[str]:
    """The contract's text fields (but type and timestamp): those with a string variant."""
    return [
        name
        for name, prop in properties.items()
        if name not in ("type", "timestamp")
        and any(v.get("type") == "string" for v in prop.get("anyOf", [prop]))
    ]


def _takes_a_number(name: str) -> bool:
    """Whether the contract takes a JSON number for this text field, on an event type it
    applies to (read from the contract itself, so the schema follows it when it changes)."""
    kind = APPLIES.get(name, ("deployment",))[0]
    try:
        parse_event({**_PROBES[kind], name: 12}, "probe")
    except InvalidEvent:
        return False
    return True


def complete(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add what FastAPI cannot derive to a generated schema: the attribute component."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Attribute"] = _ATTRIBUTE
    return openapi


async def reject_unknown_query(request: Request) -> None:
    """Router dependency: a query parameter the route does not take is a 422 naming it,
    not silently ignored (a typo such as `windw=30d` would otherwise give a 7-day report;
    and the schema lists every parameter a route accepts)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    for name in request.query_params:
        if name not in known:
            taken = ", ".join(sorted(known)) or "none"
            reason = f"is not a parameter of this route (it takes: {taken})"
            raise InvalidOption(f"query parameter {name!r} {reason}", name)


def _query_names(dependant: Any) -> frozenset[str]:
    cached = _QUERY_NAMES.get(id(dependant))
    if cached is None:
        names = {param.alias for param in dependant.query_params}
        for sub in dependant.dependencies:
            names |= _query_names(sub)
        cached = _QUERY_NAMES[id(dependant)] = frozenset(names)
    return cached


_QUERY_NAMES: dict[int, frozenset[str]] = {}
