"""CDEvents (spec v0.4.x and v0.5.x) service events.

``dev.cdevents.service.deployed.*`` and ``dev.cdevents.service.upgraded.*`` become
deployments, ``dev.cdevents.service.rolledback.*`` a rollback whose version is the one
restored.  Every other CDEvent type is valid but irrelevant, so it is ignored with a
reason rather than rejected.

Mapping: model = ``subject.id``; environment = ``subject.content.environment.id``;
version = the version part of the ``subject.content.artifactId`` purl (the whole
artifactId when it is not a purl or has no version); time = ``context.timestamp``;
id = ``cdevents:`` + ``context.id`` (the CDEvent's own id, which a producer keeps when it
re-sends).  v0.4 names the spec version ``context.version`` and v0.5 ``context.specversion``;
neither is needed here.  Optional ``customData`` keys ``automated``, ``cause``, ``team`` and
``note`` are passed through when present.  artifact = ``subject.content.artifactId``;
digest = the purl's version when it is a ``sha256:`` digest (``pkg:oci/app@sha256%3A...``,
as the spec's own examples write it), else a ``sha256:`` entry of its ``checksum``
qualifier.  No actor: CDEvents v0.4 and v0.5 service events name no person or system that
triggered them.

Over HTTP a CDEvent arrives in a CloudEvent (CloudEvents HTTP binding): structured mode
(``content-type: application/cloudevents+json``, the CDEvent is the CloudEvent's
``data``), binary mode (``ce-*`` headers, the body is the CDEvent), or as a plain JSON
CDEvent.  The ``cloudevents`` SDK decodes the first two.  CDEvents carry no signature, so
the route relies on the service's bearer token (``authenticates`` is False).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from packageurl import PackageURL

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources.base import (
    BaseSource,
    SourceOptions,
    Translation,
    check_model,
    event,
    field,
    parse_json_body,
    require_object,
    utc_text,
)

NAME = "cdevents"
_TYPE = re.compile(r"^dev\.cdevents\.([A-Za-z]+)\.([A-Za-z]+)\.(\d+\.\d+\.\d+\S*)$")
_KINDS = {"deployed": "deployment", "upgraded": "deployment", "rolledback": "rollback"}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def artifact_version(artifact_id: str) -> str:
    """The version of a purl (``pkg:oci/model@sha256%3Aabc`` -> ``sha256:abc``), else the id."""
    if artifact_id.startswith("pkg:"):
        try:
            version = PackageURL.from_string(artifact_id).version
        except ValueError:
            return artifact_id
        if version:
            return str(version)
    return artifact_id


def artifact_digest(artifact_id: str) -> str | None:
    """``sha256:<hex>`` named by a purl: its version (OCI digests), else its checksum qualifier."""
    if not artifact_id.startswith("pkg:"):
        return None
    try:
        purl = PackageURL.from_string(artifact_id)
    except ValueError:
        return None
    checksums = str((purl.qualifiers or {}).get("checksum") or "").split(",")
    for candidate in (str(purl.version or ""), *checksums):
        algorithm, _, value = candidate.strip().partition(":")
        if algorithm.lower() == "sha256" and _HEX64.match(value):
            return f"sha256:{value.lower()}"
    return None


def _decode_cloudevent(body: bytes, headers: Mapping[str, str]) -> Any:
    """Return the data of a CloudEvent in binary or structured HTTP mode."""
    try:
        from cloudevents.core.bindings.http import HTTPMessage, from_http_event
    except ImportError:  # pragma: no cover - cloudevents 1.x
        from cloudevents.http import from_http

        return from_http(dict(headers), body).data
    message = HTTPMessage(headers=dict(headers), body=body)
    return from_http_event(message).get_data()


class CDEventsSource(BaseSource):
    name = NAME

    def translate_http(
        self, body: bytes, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        lowered = {k.lower(): v for k, v in headers.items()}
        content_type = lowered.get("content-type", "").split(";")[0].strip().lower()
        binary = any(k.startswith("ce-") for k in lowered)
        if binary or content_type == "application/cloudevents+json":
            try:
                payload = _decode_cloudevent(body, lowered)
            except Exception as exc:  # the SDK raises a zoo of exception types
                raise InvalidPayload(f"{NAME}: not a valid CloudEvent: {exc}") from None
            if isinstance(payload, bytes | str):
                payload = parse_json_body(
                    NAME, payload.encode() if isinstance(payload, str) else payload
                )
            return self.translate(payload, lowered, options)
        return self.translate(parse_json_body(NAME, body), lowered, options)

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        if "context" not in data and "specversion" in data and "data" in data:
            # A structured-mode CloudEvent saved to a file: unwrap it.
            data = require_object(NAME, data["data"], "CloudEvent data")
        cdevent_type = field(data, "context.type", source=NAME)
        match = _TYPE.match(cdevent_type)
        if match is None:
            raise InvalidPayload(f"{NAME}: context.type is not a CDEvents type: {cdevent_type!r}")
        subject, predicate, _ = match.groups()
        kind = _KINDS.get(predicate) if subject == "service" else None
        if kind is None:
            return Translation.skip(
                f"cdevents type {subject}.{predicate} is not a service deployment or rollback"
            )
        context_id = field(data, "context.id", source=NAME)
        timestamp = utc_text(
            field(data, "context.timestamp", source=NAME), source=NAME, path="context.timestamp"
        )
        model = check_model(NAME, field(data, "subject.id", source=NAME), "subject.id")
        environment = field(data, "subject.content.environment.id", source=NAME)
        artifact_id = field(data, "subject.content.artifactId", source=NAME)
        custom = data.get("customData")
        extra: dict[str, Any] = {}
        if isinstance(custom, Mapping):
            extra["automated"] = bool(
                field(
                    custom,
                    "automated",
                    source=NAME,
                    expected=bool,
                    required=False,
                    prefix="customData.",
                )
            )
            for key in ("cause", "team", "note"):
                extra[key] = field(custom, key, source=NAME, required=False, prefix="customData.")
        return Translation(
            events=[
                event(
                    kind=kind,
                    source=NAME,
                    event_id=f"cdevents:{context_id}",
                    model=model,
                    environment=environment,
                    timestamp=timestamp,
                    version=artifact_version(artifact_id),
                    artifact=artifact_id,
                    digest=artifact_digest(artifact_id),
                    cdevents_type=cdevent_type,
                    cdevents_source=field(data, "context.source", source=NAME, required=False),
                    **extra,
                )
            ]
        )


SOURCE = CDEventsSource()
