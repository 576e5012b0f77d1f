"""The canonical event and its validation.

Every source (CLI, files, webhooks) produces plain dicts; `parse_event` is the one gate
they all pass, so a rule enforced here holds everywhere.

`Event` is the one definition of the contract's fields and their limits: the fast
decoder (`fast.py`) derives its wire type from it, `EventRecord` flattens it for the log
(a test holds the two field lists together), and the rules of which fields an event type
may carry (`APPLIES`) are checked for both paths by `check_record`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Annotated, Any, Literal, NamedTuple

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, ValidationError

from rollback_rate.errors import InvalidEvent, Problem
from rollback_rate.timeutil import MAX_MICROS, MIN_MICROS, iso_utc, to_micros

EVENT_TYPES = ("deployment", "rollback", "rollback_failed", "void", "amend")
_USER_TYPES = ("deployment", "rollback", "void", "amend")  # rollback_failed: SageMaker's
CORRECTIONS = ("void", "amend")  # they change recorded events, never the stack themselves

# No NUL characters: PostgreSQL cannot store them in text, and no name needs one.
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_NO_NUL)]
LongText = Annotated[str, Field(max_length=2000, pattern=_NO_NUL)]
Slug = Annotated[str, Field(min_length=1, max_length=100, pattern=_NO_NUL)]
_DIGEST = r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$"  # OCI: algorithm:hex
Digest = Annotated[str, Field(max_length=200, pattern=_DIGEST)]
MAX_DEPTH = 32  # nesting of attribute values; deeper is refused, not a RecursionError
MAX_EVENT_BYTES = int(os.environ.get("ROLLBACK_RATE_MAX_EVENT_BYTES") or 64 * 1024)
_NUMERIC = re.compile(r"^\s*[+-]?\d+(\.\d*)?\s*$")


class Event(BaseModel):
    """One deployment, rollback or correction, as every source must describe it."""

    # Rust-side types only (no Python validators): validation is the import hot path.
    # Numbers become text so a pipeline's `"id": 4711` is the id "4711"; a version must
    # be text, since a JSON number loses what makes versions differ (1.10 is 1.1).
    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        protected_namespaces=(),
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
    )

    type: Literal["deployment", "rollback", "rollback_failed", "void", "amend"]
    model: Text | None = None
    version: Annotated[Text, Field(strict=True)] | None = None
    environment: Text | None = None
    timestamp: AwareDatetime
    id: Text | None = None
    automated: StrictBool | None = None
    cause: Slug | None = None
    team: Text | None = None
    note: LongText | None = None
    target: Text | None = None
    reason: LongText | None = None
    artifact: Annotated[str, Field(min_length=1, max_length=2000, pattern=_NO_NUL)] | None = None
    digest: Digest | None = None
    drill: StrictBool = False
    stage: Slug | None = None
    unplanned: StrictBool = False
    actor: Text | None = None


# Which event types may carry a field (the rest refuse it); fields not named here apply
# to every type.
APPLIES: dict[str, tuple[str, ...]] = {
    "model": ("deployment", "rollback", "rollback_failed", "void", "amend"),
    "version": ("deployment", "rollback", "rollback_failed"),
    "automated": ("deployment", "rollback", "rollback_failed", "amend"),
    # On a deployment: the cause of the rollback it may imply (an older version again).
    "cause": ("deployment", "rollback", "rollback_failed", "amend"),
    "team": ("deployment", "rollback", "rollback_failed"),
    "note": ("deployment", "rollback", "rollback_failed", "amend"),
    "target": ("void", "amend"),
    "reason": ("void",),
    "artifact": ("deployment", "rollback"),
    "digest": ("deployment", "rollback"),
    "drill": ("rollback",),
    "stage": ("deployment",),
    "unplanned": ("deployment",),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "deployment": ("model", "version"),
    "rollback": ("model",),
    "rollback_failed": ("model",),
    "void": ("target",),
    "amend": ("target",),
}


class EventRecord(NamedTuple):
    """An event flattened for the log: times in UTC microseconds, identity resolved.

    The fields after `ts` carry the contract's names (`Event`'s, `reason` folded into
    `note`); `event_id` is the id given or derived, `attributes` the fields outside the
    contract as JSON text. A correction names the stream of its target: its model and
    environment are "" until the write path looks the target up."""

    event_id: str
    type: str
    model: str
    environment: str
    version: str | None
    ts: int
    automated: bool | None
    cause: str | None
    team: str | None
    note: str | None
    attributes: str | None
    target: str | None = None
    artifact: str | None = None
    digest: str | None = None
    drill: bool = False
    stage: str | None = None
    unplanned: bool = False
    actor: str | None = None

    @classmethod
    def from_event(cls, event: Event) -> EventRecord:
        ts = to_micros(event.timestamp)
        extra = event.__pydantic_extra__
        correction = event.type in CORRECTIONS
        model = event.model or ""
        environment = event.environment or ("" if correction else "production")
        key = event.target if correction else event.version
        automated = event.automated
        return cls(
            event_id=event.id or derive_event_id(event.type, model, environment, key, ts),
            type=event.type,
            model=model,
            environment=environment,
            version=event.version,
            ts=ts,
            automated=automated if automated is not None or event.type == "amend" else False,
            cause=event.cause,
            team=event.team,
            note=event.reason if event.reason is not None else event.note,
            attributes=json_text(extra) if extra else None,
            target=event.target,
            artifact=event.artifact,
            digest=event.digest,
            drill=event.drill,
            stage=event.stage,
            unplanned=event.unplanned,
            actor=event.actor,
        )

    def as_dict(self) -> dict[str, Any]:
        """The audit API's form: the first contract's fields always (null when not set or
        not applying to the type), the later ones only when set, `reason` for a void's
        note, and the fields outside the contract under `attributes`."""
        kind = self.type
        out: dict[str, Any] = {
            name: self._value(name) if kind in APPLIES.get(name, (kind,)) else None
            for name in _AUDIT_ORDER
        }
        if kind == "void":
            del out["note"]
            out["reason"] = self.note
        for name in _LATER_FIELDS:
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.attributes:
            out["attributes"] = orjson.loads(self.attributes)
        return out

    def as_line(self) -> bytes:
        """The event as one canonical JSON line (export): the contract's input form, which
        `parse_event` takes back to this very record. The contract's fields in its order,
        those that apply to the type and say something (not null; false only for an
        amend's `automated`, where leaving it out means "as it was"; `reason` for a void's
        note; the id always, given or derived), then the fields outside the contract as
        fields of their own, their stored JSON kept as it is."""
        kind = self.type
        out: dict[str, Any] = {}
        for name in Event.model_fields:
            if kind not in APPLIES.get(name, (kind,)):
                continue
            value = self.note if name == "reason" else self._value(name)
            if value is None or (value is False and not (name == "automated" and kind == "amend")):
                continue
            out[name] = value
        line = orjson.dumps(out)
        if self.attributes and self.attributes != "{}":
            line = line[:-1] + b"," + self.attributes.encode()[1:]
        return line + b"\n"

    def _value(self, name: str) -> Any:
        """A contract field's value as the contract writes it."""
        if name == "timestamp":
            return iso_utc(self.ts)
        if name == "id":
            return self.event_id
        return getattr(self, name)


# Fields every event may carry since the first contract; the fast decoder takes events
# that use only these. The later ones are optional and shown only when set.
COMMON_FIELDS = ("type", "model", "version", "environment", "timestamp", "id", "automated",
                 "cause", "team", "note")  # fmt: skip
_LATER_FIELDS = ("target", "artifact", "digest", "drill", "stage", "unplanned", "actor")
_AUDIT_ORDER = ("id", "type", "model", "environment", "version", "timestamp", "automated",
                "cause", "team", "note")  # fmt: skip


def json_text(value: Any) -> str:
    """Compact JSON text (orjson, or the standard library for integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def derive_event_id(type_: str, model: str, environment: str, version: str | None, ts: int) -> str:
    """Identity from content, so importing the same id-less file twice stores nothing new."""
    key = orjson.dumps([type_, model, environment, version, ts])
    return "sha256:" + hashlib.sha256(key).hexdigest()[:40]


def parse_event(raw: Any, location: str) -> EventRecord:
    """Validate one raw event; raise InvalidEvent naming `location` and each bad field."""
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        raise InvalidEvent([Problem(location, None, f"expected a JSON object, got {kind}")])
    _check_raw(raw, location)
    try:
        event = Event.model_validate(raw)
    except ValidationError as exc:
        problems = [_problem(location, err, raw) for err in exc.errors()]
        named = {problem.field for problem in problems}
        given_type = str(raw.get("type"))
        missing = [name for name in REQUIRED.get(given_type, ()) if name not in given_fields(raw)]
        problems += [_required(location, n, given_type) for n in missing if n not in named]
        raise InvalidEvent(problems) from None
    record = EventRecord.from_event(event)
    problems = check_record(record, location, given_fields(raw))
    if problems:
        raise InvalidEvent(problems)
    return record


def given_fields(raw: Any) -> set[str]:
    """The contract fields an event names with a value other than their default (a
    `"drill": false` on a deployment says nothing, so it is not refused)."""
    fields = Event.model_fields
    return {
        name
        for name, value in raw.items()
        if name in fields and value is not None and value is not fields[name].default
    }


def check_record(record: EventRecord, location: str, given: set[str]) -> list[Problem]:
    """The rules both decoding paths share: the time's range, and which fields the event's
    type requires and allows (`given`: the contract fields the event named)."""
    problems = []
    if not MIN_MICROS <= record.ts <= MAX_MICROS:
        problems.append(
            Problem(location, "timestamp", "is outside years 1 to 9999 once converted to UTC")
        )
    kind = record.type
    problems += [_required(location, name, kind) for name in REQUIRED[kind] if name not in given]
    for name in sorted(given):
        allowed = APPLIES.get(name)
        if allowed is not None and kind not in allowed:
            problems.append(Problem(location, name, f"does not apply to a {kind}"))
    if "reason" in given and "note" in given:
        problems.append(Problem(location, "reason", "and note are the same thing; give one"))
    return problems


def _required(location: str, name: str, kind: str) -> Problem:
    return Problem(location, name, f"is required for a {kind}")


def _check_raw(raw: dict[str, Any], location: str) -> None:
    """What must be refused before Pydantic sees it: it would guess, or fail unlocated."""
    stamp = raw.get("timestamp")
    if stamp is not None and (not isinstance(stamp, str) or _NUMERIC.match(stamp)):
        # Pydantic would read a number (or a numeric string) as Unix time; the contract
        # wants ISO 8601 text, rejected rather than guessed.
        got = type(stamp).__name__ if not isinstance(stamp, str) else repr(stamp)
        reason = f"must be an ISO 8601 string with a UTC offset (got {got})"
        raise InvalidEvent([Problem(location, "timestamp", reason)])
    for name, value in raw.items():
        if name not in Event.model_fields and _deeper_than(value, MAX_DEPTH):
            reason = f"is nested deeper than {MAX_DEPTH} levels"
            raise InvalidEvent([Problem(location, name, reason)])
    # The attributes are what is unbounded: the contract's fields have limits of their
    # own. So an exported event, which writes its id and defaults out, is never refused
    # for its size when it is imported again.
    extra = {name: value for name, value in raw.items() if name not in Event.model_fields}
    size = len(json_text(extra).encode()) if extra else 0
    if size > MAX_EVENT_BYTES:
        reason = (f"has {size} bytes of JSON in fields outside the contract (attributes); "
                  f"an event may have at most {MAX_EVENT_BYTES}")  # fmt: skip
        raise InvalidEvent([Problem(location, None, reason)])


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a JSON value nests more than `limit` levels (without recursing)."""
    level = [value]
    depth = 0
    while level:
        containers = [v for v in level if isinstance(v, dict | list)]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [
            item
            for container in containers
            for item in (container.values() if isinstance(container, dict) else container)
        ]
    return False


def _problem(location: str, err: Any, raw: dict[str, Any]) -> Problem:
    field = ".".join(str(part) for part in err["loc"]) or None
    kind = err["type"]
    given = _Shown(raw.get(field) if field else None)
    if kind == "missing":
        reason = "is required"
    elif kind == "literal_error":
        reason = f"must be one of {', '.join(_USER_TYPES)} (got {given!r})"
    elif kind == "timezone_aware":
        reason = f"timestamp {given!r} has no UTC offset; add 'Z' or '+00:00'"
    elif kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        reason = f"timestamp {given!r} is not ISO 8601; use e.g. '2026-01-31T09:00:00Z'"
    elif kind == "bool_type":
        reason = f"must be true or false (got {given!r})"
    elif kind in ("string_too_short",):
        reason = "must not be empty"
    elif kind == "string_pattern_mismatch" and field == "digest":
        reason = f"must be ALGORITHM:HEX, e.g. 'sha256:9f86d08...' (got {given!r})"
    elif kind == "string_pattern_mismatch":
        reason = "must not contain NUL characters (\\u0000)"
    elif kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        reason = f"is longer than {limit} characters"
    elif kind == "string_type" and field == "version":
        reason = (
            f"must be a string (got {given.kind} {given!r}): quote it, as a JSON "
            "number loses what tells versions apart (1.10 would be 1.1)"
        )
    elif kind == "string_type":
        reason = f"must be a string (got {given.kind})"
    else:
        reason = str(err["msg"]).removeprefix("Value error, ")
    return Problem(location, field, reason)


class _Shown:
    """A given value as a message quotes it: its repr, cut short (a hostile value may be
    as long as the body)."""

    LONGEST = 80

    def __init__(self, value: Any) -> None:
        self.kind = type(value).__name__
        self.text = repr(value)

    def __repr__(self) -> str:
        if len(self.text) <= self.LONGEST:
            return self.text
        return self.text[: self.LONGEST] + f"... ({len(self.text)} characters)"
