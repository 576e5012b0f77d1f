"""GitLab deployment hooks and X-Gitlab-Token."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import get_source
from tests.sources.helpers import NOW, OPTIONS, load

GITLAB = get_source("gitlab")
HEADERS = {"x-gitlab-event": "Deployment Hook"}


def test_success_is_a_deployment_with_utc_time() -> None:
    result = GITLAB.translate(load("gitlab-deployment-success.json"), HEADERS, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "gitlab:deployment:15:success",
            "model": "fraud-scorer",
            "environment": "staging",
            "timestamp": "2021-04-28T19:50:00Z",  # 21:50 +0200
            "version": "279484c09fbe69ededfced8c1bb6e6d24616b468",
            "automated": False,
            "source": "gitlab",
            "repository": "acme/fraud-scorer",
            "sha": "279484c09fbe69ededfced8c1bb6e6d24616b468",
            "ref": "1.0.0",
            "url": "https://staging.fraud.acme.example",
            "deployment_id": 15,
            "user": "root",
        }
    ]


def test_duplicate_delivery_same_id() -> None:
    first = GITLAB.translate(load("gitlab-deployment-success.json"), HEADERS, OPTIONS)
    second = GITLAB.translate(load("gitlab-deployment-success.json"), HEADERS, OPTIONS)
    assert first.events[0]["id"] == second.events[0]["id"] == "gitlab:deployment:15:success"


def test_running_and_other_kinds_are_ignored() -> None:
    result = GITLAB.translate(load("gitlab-deployment-running.json"), HEADERS, OPTIONS)
    assert result.events == []
    assert result.ignored == "gitlab deployment status 'running' is not a completed deployment"
    push = GITLAB.translate({"object_kind": "push"}, {"x-gitlab-event": "Push Hook"}, OPTIONS)
    assert push.ignored == "gitlab push event is not a deployment event"


def test_url_falls_back_to_the_job() -> None:
    payload = load("gitlab-deployment-success.json")
    payload["environment_external_url"] = None
    [event] = GITLAB.translate(payload, HEADERS, OPTIONS).events
    assert event["url"] == "http://gitlab.example.com/acme/fraud-scorer/-/jobs/796"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "status_changed_at",
            "yesterday",
            "gitlab: status_changed_at is not an ISO 8601 timestamp: 'yesterday'",
        ),
        ("deployment_id", None, "gitlab: deployment_id is missing"),
        ("sha", 5, "gitlab: sha must be a string, got int"),
        ("project", {"id": 3}, "gitlab: project.name is missing"),
        ("environment", "", "gitlab: environment is empty"),
    ],
)
def test_malformed_payloads_name_the_field(key: str, value: object, message: str) -> None:
    payload = load("gitlab-deployment-success.json")
    payload[key] = value
    with pytest.raises(InvalidPayload) as err:
        GITLAB.translate(payload, HEADERS, OPTIONS)
    assert str(err.value) == message


def test_verify_token() -> None:
    GITLAB.verify(b"{}", {"x-gitlab-token": "s3cret"}, "s3cret", NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITLAB.verify(b"{}", {"x-gitlab-token": "s3cret!"}, "s3cret", NOW)
    with pytest.raises(SignatureMismatch, match="X-Gitlab-Token header is missing"):
        GITLAB.verify(b"{}", {}, "s3cret", NOW)
