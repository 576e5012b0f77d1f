"""GitHub deployment_status webhooks and X-Hub-Signature-256."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import get_source
from tests.sources.helpers import NOW, OPTIONS, load, raw

GITHUB = get_source("github")
SECRET = "It's a Secret to Everybody"
EVENT = {"x-github-event": "deployment_status"}


def test_success_status_is_a_deployment_from_the_deployment_payload() -> None:
    headers = dict(EVENT, **{"x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"})
    result = GITHUB.translate(load("github-deployment-status-success.json"), headers, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "github:deployment_status:1877541296",
            "model": "fraud-scorer-xgb",
            "environment": "production",
            "timestamp": "2024-05-02T09:01:02Z",
            "version": "2.3.0",
            "automated": False,
            "source": "github",
            "team": "risk-ml",
            "repository": "acme/fraud-scorer",
            "sha": "a10867b14bb761a232cd80139fbd4c0d33264240",
            "url": "https://fraud.acme.example",
            "deployment_id": 145988746,
        }
    ]


def test_redelivery_with_a_new_delivery_id_keeps_the_event_id() -> None:
    payload = load("github-deployment-status-success.json")
    first = GITHUB.translate(payload, dict(EVENT, **{"x-github-delivery": "a"}), OPTIONS)
    second = GITHUB.translate(payload, dict(EVENT, **{"x-github-delivery": "b"}), OPTIONS)
    assert first.events == second.events


def test_without_payload_model_is_repository_and_version_is_sha() -> None:
    [event] = GITHUB.translate(
        load("github-deployment-status-success-plain.json"), EVENT, OPTIONS
    ).events
    assert event["model"] == "fraud-scorer"
    assert event["version"] == "b20867b14bb761a232cd80139fbd4c0d33264999"
    assert event["timestamp"] == "2024-05-03T08:00:00Z"
    assert event["id"] == "github:deployment_status:1877549999"
    assert event["url"] == "https://github.com/acme/fraud-scorer/actions/runs/42"
    assert "team" not in event


def test_payload_given_as_json_string() -> None:
    payload = load("github-deployment-status-success-plain.json")
    payload["deployment"]["payload"] = json.dumps(
        {"model": "churn", "version": 9, "automated": True, "cause": "hotfix"}
    )
    [event] = GITHUB.translate(payload, EVENT, OPTIONS).events
    assert (event["model"], event["version"], event["automated"], event["cause"]) == (
        "churn",
        "9",
        True,
        "hotfix",
    )
    payload["deployment"]["payload"] = "not json at all"
    assert GITHUB.translate(payload, EVENT, OPTIONS).events[0]["model"] == "fraud-scorer"


def test_non_success_states_are_ignored_with_reason() -> None:
    result = GITHUB.translate(load("github-deployment-status-pending.json"), EVENT, OPTIONS)
    assert result.events == []
    assert result.ignored == "deployment_status state 'pending' is not a completed deployment"
    failed = load("github-deployment-status-pending.json")
    failed["deployment_status"]["state"] = "failure"
    assert GITHUB.translate(failed, EVENT, OPTIONS).ignored == (
        "deployment_status state 'failure' is not a completed deployment"
    )


def test_ping_and_other_events_are_ignored() -> None:
    ping = load("github-ping.json")
    result = GITHUB.translate(ping, {"x-github-event": "ping"}, OPTIONS)
    assert result.events == [] and result.ignored is not None and "ping" in result.ignored
    assert "ping" in (GITHUB.translate(ping, {}, OPTIONS).ignored or "")  # inferred from body
    push = GITHUB.translate({"ref": "refs/heads/main"}, {"x-github-event": "push"}, OPTIONS)
    assert push.ignored == "github event 'push' is not deployment_status"
    assert GITHUB.translate({"ref": "x"}, {}, OPTIONS).ignored is not None


def test_export_without_headers_is_recognised_from_the_body() -> None:
    [event] = GITHUB.translate(load("github-deployment-status-success.json"), {}, OPTIONS).events
    assert event["id"] == "github:deployment_status:1877541296"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda p: p["deployment_status"].pop("created_at"),
            "github: deployment_status.created_at is missing",
        ),
        (
            lambda p: p["deployment"].__setitem__("environment", 3),
            "github: deployment.environment must be a string, got int",
        ),
        (lambda p: p.pop("deployment"), "github: deployment is missing"),
        (
            lambda p: p["deployment"]["payload"].__setitem__("team", ["a"]),
            "github: deployment.payload.team must be a string, got list",
        ),
        (lambda p: p["deployment_status"].pop("id"), "github: deployment_status.id is missing"),
    ],
)
def test_malformed_payloads_name_the_field(mutate: object, message: str) -> None:
    payload = load("github-deployment-status-success.json")
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        GITHUB.translate(payload, EVENT, OPTIONS)
    assert str(err.value) == message


def test_repository_name_needed_when_payload_has_no_model() -> None:
    payload = load("github-deployment-status-success-plain.json")
    del payload["repository"]
    with pytest.raises(InvalidPayload, match=r"^github: repository\.name is missing$"):
        GITHUB.translate(payload, EVENT, OPTIONS)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_verify_signature() -> None:
    body = raw("github-deployment-status-success.json")
    GITHUB.verify(body, {"x-hub-signature-256": sign(body)}, SECRET, NOW)
    # GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    GITHUB.verify(b"Hello, World!", {"x-hub-signature-256": expected}, SECRET, NOW)


def test_verify_rejects_bad_or_missing_signature() -> None:
    body = raw("github-deployment-status-success.json")
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITHUB.verify(body + b" ", {"x-hub-signature-256": sign(body)}, SECRET, NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITHUB.verify(body, {"x-hub-signature-256": sign(body, "wrong")}, SECRET, NOW)
    with pytest.raises(SignatureMismatch, match="X-Hub-Signature-256 header is missing"):
        GITHUB.verify(body, {"x-hub-signature": "sha1=abc"}, SECRET, NOW)
