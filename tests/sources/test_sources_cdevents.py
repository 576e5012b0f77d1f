"""CDEvents v0.4/v0.5 service events, as plain JSON and through the CloudEvents HTTP binding."""

from __future__ import annotations

import copy
import json

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import get_source
from tests.sources.helpers import OPTIONS, load, raw

CDEVENTS = get_source("cdevents")
DIGEST = "sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
DEPLOYED = {
    "type": "deployment",
    "id": "cdevents:271069a8-fc18-44f1-b38f-9d70a1695819",
    "model": "fraud-scorer",
    "environment": "production",
    "timestamp": "2024-03-20T14:27:05.315384Z",
    "version": DIGEST,
    "automated": False,
    "source": "cdevents",
    "artifact_id": (
        "pkg:oci/fraud-scorer@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"
        "?repository_url=ghcr.io/acme"
    ),
    "cdevents_type": "dev.cdevents.service.deployed.0.2.0",
    "cdevents_source": "/tekton/prod-cluster",
}


def test_v04_service_deployed_is_a_deployment_with_purl_version() -> None:
    result = CDEVENTS.translate(load("cdevents-service-deployed-v0.4.json"), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [DEPLOYED]


def test_v05_service_upgraded_is_a_deployment_with_custom_data() -> None:
    [event] = CDEVENTS.translate(load("cdevents-service-upgraded-v0.5.json"), {}, OPTIONS).events
    assert event["type"] == "deployment"
    assert event["id"] == "cdevents:9c3d4a2e-2f61-4b43-9d5e-1f6a8a6f0e01"
    assert event["version"] == "1.5.0"
    assert event["timestamp"] == "2024-03-21T08:00:00Z"  # 09:00+01:00 in UTC
    assert event["environment"] == "production"
    assert event["automated"] is True
    assert event["team"] == "risk-ml"


def test_v05_service_rolledback_is_a_rollback_to_the_restored_version() -> None:
    [event] = CDEVENTS.translate(load("cdevents-service-rolledback-v0.5.json"), {}, OPTIONS).events
    assert {k: event[k] for k in ("type", "model", "version", "timestamp", "id", "automated")} == {
        "type": "rollback",
        "model": "fraud-scorer",
        "version": "1.4.2",
        "timestamp": "2024-03-21T10:15:30Z",
        "id": "cdevents:0f7e2b1c-8d2a-4c55-a0b7-3e9c6d2f4a10",
        "automated": False,
    }
    assert event["cause"] == "latency-regression"


def test_artifact_id_without_purl_version_is_kept_whole() -> None:
    payload = load("cdevents-service-rolledback-v0.5.json")
    payload["subject"]["content"]["artifactId"] = "pkg:docker/acme/fraud-scorer"
    assert CDEVENTS.translate(payload, {}, OPTIONS).events[0]["version"] == (
        "pkg:docker/acme/fraud-scorer"
    )
    payload["subject"]["content"]["artifactId"] = "fraud-scorer-2024.06"
    assert CDEVENTS.translate(payload, {}, OPTIONS).events[0]["version"] == "fraud-scorer-2024.06"


def test_other_cdevent_types_are_ignored_with_reason() -> None:
    result = CDEVENTS.translate(load("cdevents-pipelinerun-finished.json"), {}, OPTIONS)
    assert result.events == []
    assert (
        result.ignored
        == "cdevents type pipelinerun.finished is not a service deployment or rollback"
    )
    removed = load("cdevents-service-rolledback-v0.5.json")
    removed["context"]["type"] = "dev.cdevents.service.removed.0.3.0"
    assert CDEVENTS.translate(removed, {}, OPTIONS).ignored is not None


def test_same_payload_twice_gives_the_same_ids() -> None:
    first = CDEVENTS.translate(load("cdevents-service-deployed-v0.4.json"), {}, OPTIONS)
    second = CDEVENTS.translate(load("cdevents-service-deployed-v0.4.json"), {}, OPTIONS)
    assert [e["id"] for e in first.events] == [e["id"] for e in second.events]


def test_http_plain_json_body() -> None:
    body = raw("cdevents-service-deployed-v0.4.json")
    result = CDEVENTS.translate_http(body, {"content-type": "application/json"}, OPTIONS)
    assert result.events == [DEPLOYED]


def test_http_structured_cloudevent() -> None:
    cloudevent = {
        "specversion": "1.0",
        "id": "ce-1",
        "source": "/tekton/prod-cluster",
        "type": "dev.cdevents.service.deployed.0.2.0",
        "time": "2024-03-20T14:27:05Z",
        "datacontenttype": "application/json",
        "data": load("cdevents-service-deployed-v0.4.json"),
    }
    headers = {"content-type": "application/cloudevents+json; charset=utf-8"}
    result = CDEVENTS.translate_http(json.dumps(cloudevent).encode(), headers, OPTIONS)
    assert result.events == [DEPLOYED]
    # The same CloudEvent saved into an export file is unwrapped too.
    assert CDEVENTS.translate(cloudevent, {}, OPTIONS).events == [DEPLOYED]


def test_http_binary_cloudevent() -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "ce-2",
        "ce-source": "/tekton/prod-cluster",
        "ce-type": "dev.cdevents.service.deployed.0.2.0",
        "ce-time": "2024-03-20T14:27:05Z",
        "content-type": "application/json",
    }
    result = CDEVENTS.translate_http(raw("cdevents-service-deployed-v0.4.json"), headers, OPTIONS)
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
    payload = copy.deepcopy(load("cdevents-service-deployed-v0.4.json"))
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        CDEVENTS.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_non_object_payload_is_invalid() -> None:
    with pytest.raises(
        InvalidPayload, match=r"^cdevents: payload must be a JSON object, got list$"
    ):
        CDEVENTS.translate([], {}, OPTIONS)


def test_verify_is_a_no_op() -> None:
    CDEVENTS.verify(b"{}", {}, "secret", OPTIONS.current_time())  # raises nothing
