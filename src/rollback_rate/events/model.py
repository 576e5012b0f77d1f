"""The canonical event and its validation.

Every source (CLI, files, webhooks) produces plain dicts; `parse_event` is the one gate
they all pass, so a rule enforced here holds everywhere.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal, NamedTuple

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, ValidationError
from pydantic import model_validator as after_model

from rollback_rate.errors import InvalidEvent, Problem
from rollback_rate.timeutil import iso_utc, to_micros

EVENT_TYPES = ("deployment", "rollback", "rollback_failed")


# No NUL characters: PostgreSQL cannot store them in text, and no name needs one.
_NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=_NO_NUL)]


class Event(BaseModel):
    """One deployment or rollback, as every source must describe it."""

    # Rust-side types only (no Python validators): validation is the import hot path.
    # Numbers become text so a pipeline's `"version": 3` is the version "3".
    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        protected_namespaces=(),
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
    )

    type: Literal["deployment", "rollback", "rollback_failed"]
    model: Text
    version: Text | None = None
    environment: Text = "production"
    timestamp: AwareDatetime
    id: Text | None = None
    automated: StrictBool = False
    cause: Annotated[str, Field(min_length=1, max_length=100, pattern=_NO_NUL)] | None = None
    team: Text | None = None
    note: Annotated[str, Field(max_length=2000, pattern=_NO_NUL)] | None = None

    @after_model(mode="after")
    def _deployment_needs_version(self) -> Event:
        if self.type == "deployment" and self.version is None:
            raise ValueError("version is required for a deployment")
        return self


class EventRecord(NamedTuple):
    """An event flattened for the log: times in UTC microseconds, identity resolved."""

    event_id: str
    type: str
    model: str
    environment: str
    version: str | None
    ts: int
    automated: bool
    cause: str | None
    team: str | None
    note: str | None
    attributes: str | None

    @classmethod
    def from_event(cls, event: Event) -> EventRecord:
        ts = to_micros(event.timestamp)
        extra = event.__pydantic_extra__
        return cls(
            event_id=event.id
            or derive_event_id(event.type, event.model, event.environment, event.version, ts),
            type=event.type,
            model=event.model,
            environment=event.environment,
            version=event.version,
            ts=ts,
            automated=event.automated,
            cause=event.cause,
            team=event.team,
            note=event.note,
            attributes=orjson.dumps(extra).decode() if extra else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, as it was accepted (used by the audit API and exports)."""
        out: dict[str, Any] = {
            "id": self.event_id,
            "type": self.type,
            "model": self.model,
            "environment": self.environment,
            "version": self.version,
            "timestamp": iso_utc(self.ts),
            "automated": self.automated,
            "cause": self.cause,
            "team": self.team,
            "note": self.note,
        }
        if self.attributes:
            out["attributes"] = orjson.loads(self.attributes)
        return out


def derive_event_id(type_: str, model: str, environment: str, version: str | None, ts: int) -> str:
    """Identity from content, so importing the same id-less file twice stores nothing new."""
    key = orjson.dumps([type_, model, environment, version, ts])
    return "sha256:" + hashlib.sha256(key).hexdigest()[:40]


def parse_event(raw: Any, location: str) -> EventRecord:
    """Validate one raw event; raise InvalidEvent naming `location` and each bad field."""
    if not isinstance(raw, dict):
        kind = type(raw).__name__
        raise InvalidEvent([Problem(location, None, f"expected a JSON object, got {kind}")])
    stamp = raw.get("timestamp")
    if stamp is not None and not isinstance(stamp, str):
        # Pydantic would read a number as Unix time; the contract wants ISO 8601 text.
        reason = f"must be an ISO 8601 string with a UTC offset (got {type(stamp).__name__})"
        raise InvalidEvent([Problem(location, "timestamp", reason)])
    try:
        event = Event.model_validate(raw)
    except ValidationError as exc:
        raise InvalidEvent([_problem(location, err, raw) for err in exc.errors()]) from None
    return EventRecord.from_event(event)


def _problem(location: str, err: Any, raw: dict[str, Any]) -> Problem:
    field = ".".join(str(part) for part in err["loc"]) or None
    kind = err["type"]
    given = raw.get(field) if field else None
    if kind == "missing":
        reason = "is required"
    elif kind == "literal_error":
        reason = f"must be one of {', '.join(EVENT_TYPES[:2])} (got {given!r})"
    elif kind == "timezone_aware":
        reason = f"timestamp {given!r} has no UTC offset; add 'Z' or '+00:00'"
    elif kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        reason = f"timestamp {given!r} is not ISO 8601; use e.g. '2026-01-31T09:00:00Z'"
    elif kind == "bool_type":
        reason = f"must be true or false (got {given!r})"
    elif kind in ("string_too_short",):
        reason = "must not be empty"
    elif kind == "string_pattern_mismatch":
        reason = "must not contain NUL characters (\\u0000)"
    elif kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        reason = f"is longer than {limit} characters"
    elif kind == "string_type":
        reason = f"must be a string (got {type(given).__name__})"
    else:
        reason = str(err["msg"]).removeprefix("Value error, ")
    if field is None and "version is required" in reason:
        field, reason = "version", "is required for a deployment"
    return Problem(location, field, reason)
