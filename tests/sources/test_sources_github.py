"""GitHub deployment_status webhooks and X-Hub-Signature-256, on octokit's payload examples."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import get_source
from tests.sources.helpers import NOW, OPTIONS, changed, load, raw

GITHUB = get_source("github")
SECRET = "It's a Secret to Everybody"
EVENT = {"x-github-event": "deployment_status"}
SUCCESS = "github-deployment-status-success.json"
IN_PROGRESS = "github-deployment-status-in-progress.json"
SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
WITH_MODEL = "the deployment's creator chose this payload (the README's `gh api` example)"


def test_success_status_is_a_deployment_of_the_repository_at_its_sha() -> None:
    headers = dict(EVENT, **{"x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"})
    result = GITHUB.translate(load(SUCCESS), headers, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "github:deployment_status:209916254",
            "model": "Hello-World",
            "environment": "production",
            "timestamp": "2019-05-15T15:20:55Z",
            "version": SHA,
            "automated": False,
            "source": "github",
            "repository": "Codertocat/Hello-World",
            "sha": SHA,
            "deployment_id": 145988746,
            "actor": "Codertocat",
        }
    ]


def test_model_version_and_team_come_from_the_deployment_payload() -> None:
    payload = changed(
        SUCCESS,
        because=WITH_MODEL,
        replace={
            "deployment.payload": {"model": "fraud-scorer", "version": "2.3.0", "team": "risk-ml"}
        },
    )
    [event] = GITHUB.translate(payload, EVENT, OPTIONS).events
    assert (event["model"], event["version"], event["team"], event["sha"]) == (
        "fraud-scorer",
        "2.3.0",
        "risk-ml",
        SHA,
    )


def test_redelivery_with_a_new_delivery_id_keeps_the_event_id() -> None:
    payload = load(SUCCESS)
    first = GITHUB.translate(payload, dict(EVENT, **{"x-github-delivery": "a"}), OPTIONS)
    second = GITHUB.translate(payload, dict(EVENT, **{"x-github-delivery": "b"}), OPTIONS)
    assert first.events == second.events


def test_payload_given_as_json_string() -> None:
    text = json.dumps({"model": "churn", "version": 9, "automated": True, "cause": "hotfix"})
    payload = changed(SUCCESS, because=WITH_MODEL, replace={"deployment.payload": text})
    [event] = GITHUB.translate(payload, EVENT, OPTIONS).events
    assert (event["model"], event["version"], event["automated"], event["cause"]) == (
        "churn",
        "9",
        True,
        "hotfix",
    )
    payload = changed(SUCCESS, because=WITH_MODEL, replace={"deployment.payload": "not json"})
    assert GITHUB.translate(payload, EVENT, OPTIONS).events[0]["model"] == "Hello-World"


def test_url_is_the_environment_url_else_the_target_url() -> None:
    payload = changed(
        SUCCESS,
        because="a status created with a target_url",
        replace={"deployment_status.target_url": "https://example.com/deployment/42/output"},
    )
    [event] = GITHUB.translate(payload, EVENT, OPTIONS).events
    assert event["url"] == "https://example.com/deployment/42/output"
    payload = changed(
        IN_PROGRESS,
        because="a finished GitHub Pages deployment; octokit shows it in progress",
        replace={
            "deployment_status.state": "success",
            "deployment_status.environment_url": "https://codertocat.github.io/Hello-World",
        },
    )
    [event] = GITHUB.translate(payload, EVENT, OPTIONS).events
    assert event["url"] == "https://codertocat.github.io/Hello-World"


def test_actor_is_the_sender_else_the_status_creator() -> None:
    payload = changed(
        IN_PROGRESS,
        because="a finished GitHub Pages deployment; octokit shows it in progress",
        replace={"deployment_status.state": "success"},
    )
    assert GITHUB.translate(payload, EVENT, OPTIONS).events[0]["actor"] == "Codertocat"
    del payload["sender"]
    assert GITHUB.translate(payload, EVENT, OPTIONS).events[0]["actor"] == "github-pages[bot]"


def test_non_success_states_are_ignored_with_reason() -> None:
    result = GITHUB.translate(load(IN_PROGRESS), EVENT, OPTIONS)
    assert result.events == []
    assert result.ignored == "deployment_status state 'in_progress' is not a completed deployment"
    failed = changed(
        SUCCESS, because="a failed deployment", replace={"deployment_status.state": "failure"}
    )
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
    [event] = GITHUB.translate(load(SUCCESS), {}, OPTIONS).events
    assert event["id"] == "github:deployment_status:209916254"


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
            lambda p: p["deployment"].__setitem__("payload", {"team": ["a"]}),
            "github: deployment.payload.team must be a string, got list",
        ),
        (lambda p: p["deployment_status"].pop("id"), "github: deployment_status.id is missing"),
    ],
)
def test_malformed_payloads_name_the_field(mutate: object, message: str) -> None:
    payload = load(SUCCESS)
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        GITHUB.translate(payload, EVENT, OPTIONS)
    assert str(err.value) == message


def test_repository_name_needed_when_payload_has_no_model() -> None:
    payload = changed(SUCCESS, because="a malformed delivery", drop=["repository"])
    with pytest.raises(InvalidPayload, match=r"^github: repository\.name is missing$"):
        GITHUB.translate(payload, EVENT, OPTIONS)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_verify_signature() -> None:
    body = raw(SUCCESS)
    GITHUB.verify(body, {"x-hub-signature-256": sign(body)}, SECRET, NOW)
    # GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    GITHUB.verify(b"Hello, World!", {"x-hub-signature-256": expected}, SECRET, NOW)


def test_verify_rejects_bad_or_missing_signature() -> None:
    body = raw(SUCCESS)
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITHUB.verify(body + b" ", {"x-hub-signature-256": sign(body)}, SECRET, NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITHUB.verify(body, {"x-hub-signature-256": sign(body, "wrong")}, SECRET, NOW)
    with pytest.raises(SignatureMismatch, match="X-Hub-Signature-256 header is missing"):
        GITHUB.verify(body, {"x-hub-signature": "sha1=abc"}, SECRET, NOW)
