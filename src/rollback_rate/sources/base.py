"""The contract every source adapter fulfils, and the small helpers they share.

An adapter is a pure function from one external payload (a webhook body or one entry
of an exported file) to zero or more *canonical events*: plain dicts the core validates
and stores idempotently by ``id``.  Adapters keep no state and make no network calls,
so the same payload always yields the same events; that is what makes redelivery safe.

Field access goes through :func:`field`, which raises :class:`InvalidPayload` naming the
dotted path (``"cdevents: context.timestamp is missing"``), so a user who pasted the
wrong file learns which field is wrong instead of getting a ``KeyError``.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol, runtime_checkable

from rollback_rate.errors import InvalidPayload, SignatureMismatch

DEFAULT_ENVIRONMENT = "production"
MODEL_MAX_LENGTH = 200

_MISSING = object()
_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    dict: "an object",
    list: "an array",
}


@dataclass(frozen=True)
class Translation:
    """What one payload became: the canonical events, or why it was (validly) irrelevant."""

    events: list[dict[str, Any]]
    ignored: str | None = None

    @classmethod
    def skip(cls, reason: str) -> Translation:
        """A payload that is well formed but says nothing about deployments or rollbacks."""
        return cls(events=[], ignored=reason)


@dataclass(frozen=True)
class SourceOptions:
    """Per-installation knobs for adapters.

    ``alias_map`` maps an MLflow alias to an environment (``champion`` -> ``production``);
    aliases not in the map are used as the environment name verbatim.
    ``environment`` is the environment used when a payload names none (SageMaker without
    tags, an Argo Rollout without namespace); ``None`` means ``"production"``.
    ``now`` pins "the current time" for payloads that carry no time of their own, so
    tests (and re-imports) are deterministic; ``None`` means the wall clock.
    """

    alias_map: Mapping[str, str] = dc_field(default_factory=dict)
    environment: str | None = None
    now: datetime | None = None

    def current_time(self) -> datetime:
        return self.now if self.now is not None else datetime.now(UTC)

    def default_environment(self) -> str:
        return self.environment or DEFAULT_ENVIRONMENT


@runtime_checkable
class Source(Protocol):
    """One external system.  ``authenticates`` says whether ``verify`` checks anything:
    when it is False the HTTP service must rely on its own bearer token for that route."""

    name: str
    authenticates: bool
    whole_document: bool

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation: ...

    def translate_http(
        self, body: bytes, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation: ...

    def verify(
        self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime
    ) -> None: ...


class BaseSource:
    """Default behaviour: JSON bodies, no signature of the source's own."""

    name: ClassVar[str] = ""
    authenticates: ClassVar[bool] = False
    #: True when an exported file is ONE document to translate whole (kubectl List output).
    whole_document: ClassVar[bool] = False

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        raise NotImplementedError

    def translate_http(
        self, body: bytes, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        """Parse a webhook body as JSON and translate it; sources with other framings override."""
        return self.translate(parse_json_body(self.name, body), headers, options)

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
        """No signature scheme: the route is protected by the service's bearer token."""
        return None

    def __repr__(self) -> str:
        return f"<source {self.name}>"


# --------------------------------------------------------------------------- payload access


def parse_json_body(source: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload(f"{source}: body is not valid JSON: {exc}") from None
    except RecursionError:  # thousands of nested arrays: no sender's payload looks so
        raise InvalidPayload(f"{source}: body is nested too deeply") from None


def _type_name(expected: type | tuple[type, ...]) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def _matches(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not an integer id
    return isinstance(value, kinds)


def field(
    data: Any,
    path: str,
    *,
    source: str,
    expected: type | tuple[type, ...] = str,
    required: bool = True,
    prefix: str = "",
) -> Any:
    """Return ``data[a][b]...`` for ``path="a.b"``; raise InvalidPayload naming the path.

    A missing optional field returns None, and so does an explicit JSON ``null`` (GitHub and
    GitLab send nulls for absent values).  Empty strings count as missing when required.
    ``prefix`` is prepended to the reported path (e.g. ``items[3].``).
    """
    current = data
    walked: list[str] = []
    for part in path.split("."):
        if not isinstance(current, Mapping):
            where = prefix + ".".join(walked) if walked else (prefix.rstrip(".") or "payload")
            raise InvalidPayload(f"{source}: {where} must be an object")
        walked.append(part)
        current = current.get(part, _MISSING)
        if current is _MISSING or current is None:
            if required:
                raise InvalidPayload(f"{source}: {prefix}{path} is missing")
            return None
    if not _matches(current, expected):
        raise InvalidPayload(
            f"{source}: {prefix}{path} must be {_type_name(expected)}, got {type(current).__name__}"
        )
    if required and isinstance(current, str) and not current.strip():
        raise InvalidPayload(f"{source}: {prefix}{path} is empty")
    return current


def require_object(source: str, payload: Any, what: str = "payload") -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise InvalidPayload(
            f"{source}: {what} must be a JSON object, got {type(payload).__name__}"
        )
    return payload


def check_model(source: str, model: str, path: str) -> str:
    model = model.strip()
    if not model:
        raise InvalidPayload(f"{source}: {path} is empty")
    if len(model) > MODEL_MAX_LENGTH:
        raise InvalidPayload(f"{source}: {path} is longer than {MODEL_MAX_LENGTH} characters")
    return model


# --------------------------------------------------------------------------- time


def format_utc(moment: datetime) -> str:
    """Canonical timestamp text: UTC with a ``Z`` (microseconds only when non-zero)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: Any, *, source: str, path: str) -> datetime:
    """Parse an ISO 8601 string (or GitLab's ``2021-04-28 21:50:00 +0200``) or epoch number.

    Epoch numbers above 1e11 are milliseconds (EventBridge/SageMaker), others seconds.
    A string without an offset is rejected: guessing a zone would shift events by hours.
    """
    if isinstance(value, bool):
        raise InvalidPayload(f"{source}: {path} must be a timestamp, got bool")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidPayload(f"{source}: {path} is out of range: {value!r}") from None
    if not isinstance(value, str):
        raise InvalidPayload(f"{source}: {path} must be a timestamp, got {type(value).__name__}")
    text = value.strip()
    if text.endswith(" UTC"):  # GitLab's older "2021-04-28 19:50:00 UTC"
        text = text[:-4] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPayload(f"{source}: {path} is not an ISO 8601 timestamp: {value!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidPayload(f"{source}: {path} has no UTC offset: {value!r}")
    return moment


def utc_text(value: Any, *, source: str, path: str) -> str:
    return format_utc(parse_time(value, source=source, path=path))


def shift(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)


# --------------------------------------------------------------------------- misc helpers


_DIGEST = re.compile(r"@(sha256:[0-9a-fA-F]+)$")


def image_tag(image: str) -> str | None:
    """The tag of a container image reference, else its digest, else None.

    ``registry:5000/team/model:1.4.2@sha256:...`` -> ``1.4.2``.  A colon before the last
    slash is a registry port, not a tag.
    """
    digest = None
    match = _DIGEST.search(image)
    if match:
        digest = match.group(1)
        image = image[: match.start()]
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        tag = last.split(":", 1)[1]
        if tag:
            return tag
    return digest


def image_digest(image: str) -> str | None:
    """The ``sha256:...`` digest an image reference is pinned to (``app@sha256:...``), else None."""
    match = _DIGEST.search(image)
    return match.group(1).lower() if match else None


def constant_time_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Headers arrive lower-cased; tolerate callers that forgot."""
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def require_secret(source: str, secret: str) -> None:
    if not secret:
        raise SignatureMismatch(f"{source}: no webhook secret is configured for this source")


def event(
    *,
    kind: str,
    source: str,
    event_id: str,
    model: str,
    environment: str,
    timestamp: str,
    version: str | None,
    automated: bool = False,
    **attributes: Any,
) -> dict[str, Any]:
    """Build a canonical event dict; None-valued optional keys are left out."""
    result: dict[str, Any] = {
        "type": kind,
        "id": event_id,
        "model": model,
        "environment": environment,
        "timestamp": timestamp,
        "automated": automated,
        "source": source,
    }
    if version is not None:
        result["version"] = version
    for key, value in attributes.items():
        if value is not None:
            result[key] = value
    return result
