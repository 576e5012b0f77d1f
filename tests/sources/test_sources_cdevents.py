"""CDEvents v0.4/v0.5 service events (the spec's conformance examples), as plain JSON and
through the CloudEvents HTTP binding."""

from __future__ import annotations

import copy
import json

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import get_source
from tests.sources.helpers import OPTIONS, changed, load, raw

CDEVENTS = get_source("cdevents")
DIGEST = "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
ARTIFACT = "pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
DEPLOYED = {
    "type": "deployment",
    "id": "cdevents:271069a8-fc18-44f1-b38f-9d70a1695819",
    "model": "mySubject123",
    "environment": "test123",
    "timestamp": "2023-03-20T14:27:05.315384Z",
    "version": DIGEST,
    "automated": False,
    "source": "cdevents",
    "artifact": ARTIFACT,
    "digest": DIGEST,
    "cdevents_type": "dev.cdevents.service.deployed.0.2.0",
    "cdevents_source": "/event/source/123",
}
DEPLOYED_V04 = "cdevents-service-deployed-v0.4.json"
ROLLEDBACK_V05 = "cdevents-service-rolledback-v0.5.json"


def test_v04_service_deployed_is_a_deployment_of_the_purl_version() -> None:
    result = CDEVENTS.translate(load(DEPLOYED_V04), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [DEPLOYED]


@pytest.mark.parametrize(
    ("fixture", "kind", "cdevents_type"),
    [
        ("cdevents-service-deployed-v0.4.json", "deployment", "service.deployed.0.2.0"),
        ("cdevents-service-upgraded-v0.4.json", "deployment", "service.upgraded.0.2.0"),
        ("cdevents-service-rolledback-v0.4.json", "rollback", "service.rolledback.0.2.0"),
        ("cdevents-service-deployed-v0.5.json", "deployment", "service.deployed.0.3.0"),
        ("cdevents-service-upgraded-v0.5.json", "deployment", "service.upgraded.0.3.0"),
        ("cdevents-service-rolledback-v0.5.json", "rollback", "service.rolledback.0.3.0"),
    ],
)
def test_every_service_event_of_both_spec_versions(
    fixture: str, kind: str, cdevents_type: str
) -> None:
    [event] = CDEVENTS.translate(load(fixture), {}, OPTIONS).events
    assert event == DEPLOYED | {"type": kind, "cdevents_type": f"dev.cdevents.{cdevents_type}"}


def test_custom_data_sets_team_cause_and_automated() -> None:
    payload = changed(
        ROLLEDBACK_V05,
        because="customData is the producer's own object (spec: object or base64 string); "
        "the conformance examples of service events carry none",
        add={"customData": {"team": "risk-ml", "automated": True, "cause": "latency"}},
    )
    [event] = CDEVENTS.translate(payload, {}, OPTIONS).events
    assert (event["type"], event["team"], event["automated"], event["cause"]) == (
        "rollback",
        "risk-ml",
        True,
        "latency",
    )


def test_timestamps_with_an_offset_become_utc() -> None:
    payload = changed(
        DEPLOYED_V04,
        because="producers may write any RFC 3339 offset",
        replace={"context.timestamp": "2024-03-21T09:00:00+01:00"},
    )
    assert CDEVENTS.translate(payload, {}, OPTIONS).events[0]["timestamp"] == (
        "2024-03-21T08:00:00Z"
    )


@pytest.mark.parametrize(
    ("artifact_id", "version", "digest"),
    [
        ("pkg:docker/acme/fraud-scorer@1.4.2", "1.4.2", None),
        (
            "pkg:docker/acme/fraud-scorer@1.4.2?checksum=sha1:ad9503c3e994a4f,sha256:" + "AB" * 32,
            "1.4.2",
            "sha256:" + "ab" * 32,
        ),
        ("pkg:docker/acme/fraud-scorer", "pkg:docker/acme/fraud-scorer", None),
        ("fraud-scorer-2024.06", "fraud-scorer-2024.06", None),
    ],
)
def test_version_and_digest_from_other_artifact_ids(
    artifact_id: str, version: str, digest: str | None
) -> None:
    payload = changed(
        ROLLEDBACK_V05,
        because="producers name their own artifacts; the conformance examples show one OCI purl",
        replace={"subject.content.artifactId": artifact_id},
    )
    [event] = CDEVENTS.translate(payload, {}, OPTIONS).events
    assert (event["version"], event["artifact"], event.get("digest")) == (
        version,
        artifact_id,
        digest,
    )


@pytest.mark.parametrize(
    "fixture",
    ["cdevents-pipelinerun-finished-v0.4.json", "cdevents-pipelinerun-finished-v0.5.json"],
)
def test_other_cdevent_types_are_ignored_with_reason(fixture: str) -> None:
    result = CDEVENTS.translate(load(fixture), {}, OPTIONS)
    assert result.events == []
    assert (
        result.ignored
        == "cdevents type pipelinerun.finished is not a service deployment or rollback"
    )


def test_same_payload_twice_gives_the_same_ids() -> None:
    first = CDEVENTS.translate(load(DEPLOYED_V04), {}, OPTIONS)
    second = CDEVENTS.translate(load(DEPLOYED_V04), {}, OPTIONS)
    assert [e["id"] for e in first.events] == [e["id"] for e in second.events]


def test_http_plain_json_body() -> None:
    body = raw(DEPLOYED_V04)
    result = CDEVENTS.translate_http(body, {"content-type": "application/json"}, OPTIONS)
    assert result.events == [DEPLOYED]


# The CloudEvent attributes follow the CDEvents CloudEvents binding: id, source, type and
# time are the CDEvent's context.id, context.source, context.type and context.timestamp.
def test_http_structured_cloudevent() -> None:
    cloudevent = {
        "specversion": "1.0",
        "id": "271069a8-fc18-44f1-b38f-9d70a1695819",
        "source": "/event/source/123",
        "type": "dev.cdevents.service.deployed.0.2.0",
        "time": "2023-03-20T14:27:05.315384Z",
        "datacontenttype": "application/json",
        "data": load(DEPLOYED_V04),
    }
    headers = {"content-type": "application/cloudevents+json; charset=utf-8"}
    result = CDEVENTS.translate_http(json.dumps(cloudevent).encode(), headers, OPTIONS)
    assert result.events == [DEPLOYED]
    # The same CloudEvent saved into an export file is unwrapped too.
    assert CDEVENTS.translate(cloudevent, {}, OPTIONS).events == [DEPLOYED]


def test_http_binary_cloudevent() -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "271069a8-fc18-44f1-b38f-9d70a1695819",
        "ce-source": "/event/source/123",
        "ce-type": "dev.cdevents.service.deployed.0.2.0",
        "ce-time": "2023-03-20T14:27:05.315384Z",
        "content-type": "application/json",
    }
    result = CDEVENTS.translate_http(raw(DEPLOYED_V04), headers, OPTIONS)
    assert result.events == [DEPLOYED]


def test_http_broken_cloudevent_is_invalid_payload() -> None:
    headers = {"content-type": "application/cloudevents+json"}
    with pytest.raises(InvalidPayload, match=r"^cdevents: "):
        CDEVENTS.translate_http(b"{not json", headers, OPTIONS)
    with pytest.raises(InvalidPayload, match=r"^cdevents: body is not valid JSON"):
        CDEVENTS.translate_http(b"{not json", {"content-type": "application/json"}, OPTIONS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["context"].pop("timestamp"), "cdevents: context.timestamp is missing"),
        (lambda p: p["context"].pop("id"), "cdevents: context.id is missing"),
        (
            lambda p: p["subject"]["content"].__setitem__("artifactId", 42),
            "cdevents: subject.content.artifactId must be a string, got int",
        ),
        (
            lambda p: p["subject"]["content"].pop("environment"),
            "cdevents: subject.content.environment.id is missing",
        ),
        (lambda p: p["subject"].pop("id"), "cdevents: subject.id is missing"),
        (
            lambda p: p["context"].__setitem__("type", "com.example.deployed"),
            "cdevents: context.type is not a CDEvents type: 'com.example.deployed'",
        ),
        (
            lambda p: p["context"].__setitem__("timestamp", "2024-03-20 14:27"),
            "cdevents: context.timestamp has no UTC offset: '2024-03-20 14:27'",
        ),
    ],
)
def test_malformed_payloads_name_the_field(mutate: object, message: str) -> None:
    payload = copy.deepcopy(load(DEPLOYED_V04))
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        CDEVENTS.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_non_object_payload_is_invalid() -> None:
    with pytest.raises(
        InvalidPayload, match=r"^cdevents: payload must be a JSON object, got list$"
    ):
        CDEVENTS.translate([], {}, OPTIONS)
