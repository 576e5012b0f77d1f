"""GitLab deployment hooks and X-Gitlab-Token, on the payload GitLab documents."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources import get_source
from tests.sources.helpers import NOW, OPTIONS, changed, load

GITLAB = get_source("gitlab")
HEADERS = {"x-gitlab-event": "Deployment Hook"}
FIXTURE = "gitlab-deployment-success.json"
SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468"


def test_gitlabs_documented_payload_is_a_deployment_of_the_full_commit_sha() -> None:
    # GitLab's Deployment Hook has no top-level `sha`; before this fix every real
    # delivery was refused with "gitlab: sha is missing" (issue 9).
    result = GITLAB.translate(load(FIXTURE), HEADERS, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "gitlab:deployment:15:success",
            "model": "test-deployment-webhooks",
            "environment": "staging",
            "timestamp": "2021-04-28T19:50:00Z",  # 21:50 +0200
            "version": SHA,
            "automated": False,
            "source": "gitlab",
            "repository": "root/test-deployment-webhooks",
            "sha": SHA,
            "short_sha": "279484c0",
            "url": "https://staging.example.com",
            "deployment_id": 15,
            "actor": "root",
        }
    ]


def test_without_a_commit_url_the_version_is_the_short_sha() -> None:
    payload = changed(
        FIXTURE,
        because="GitLab's payload builder sends commit_url null when the commit is gone",
        replace={"commit_url": None},
    )
    [event] = GITLAB.translate(payload, HEADERS, OPTIONS).events
    assert event["version"] == "279484c0"
    assert "sha" not in event


def test_a_commit_url_of_another_shape_falls_back_to_the_short_sha() -> None:
    payload = changed(
        FIXTURE,
        because="a commit_url that does not end in /commit/<sha> names no full sha",
        replace={"commit_url": "http://10.126.0.2:3000/root/test-deployment-webhooks"},
    )
    assert GITLAB.translate(payload, HEADERS, OPTIONS).events[0]["version"] == "279484c0"


def test_ref_is_kept_when_gitlab_sends_it() -> None:
    payload = changed(
        FIXTURE,
        because="GitLab's current payload builder (lib/gitlab/data_builder/deployment.rb) "
        "adds `ref`; the documented example predates it",
        add={"ref": "main"},
    )
    assert GITLAB.translate(payload, HEADERS, OPTIONS).events[0]["ref"] == "main"


def test_duplicate_delivery_same_id() -> None:
    first = GITLAB.translate(load(FIXTURE), HEADERS, OPTIONS)
    second = GITLAB.translate(load(FIXTURE), HEADERS, OPTIONS)
    assert first.events[0]["id"] == second.events[0]["id"] == "gitlab:deployment:15:success"


def test_running_and_other_kinds_are_ignored() -> None:
    running = changed(
        FIXTURE,
        because="GitLab sends this hook on every status change; its docs show only success",
        replace={"status": "running"},
    )
    result = GITLAB.translate(running, HEADERS, OPTIONS)
    assert result.events == []
    assert result.ignored == "gitlab deployment status 'running' is not a completed deployment"
    push = GITLAB.translate({"object_kind": "push"}, {"x-gitlab-event": "Push Hook"}, OPTIONS)
    assert push.ignored == "gitlab push event is not a deployment event"


def test_url_falls_back_to_the_job() -> None:
    payload = changed(
        FIXTURE,
        because="environments without an external URL send null",
        replace={"environment_external_url": None},
    )
    [event] = GITLAB.translate(payload, HEADERS, OPTIONS).events
    assert event["url"] == "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796"


def test_a_deployment_without_a_user_has_no_actor() -> None:
    payload = changed(
        FIXTURE,
        because="the payload builder sends `deployed_by&.hook_attrs`, null without a user",
        replace={"user": None},
    )
    assert "actor" not in GITLAB.translate(payload, HEADERS, OPTIONS).events[0]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "status_changed_at",
            "yesterday",
            "gitlab: status_changed_at is not an ISO 8601 timestamp: 'yesterday'",
        ),
        ("deployment_id", None, "gitlab: deployment_id is missing"),
        ("short_sha", 5, "gitlab: short_sha must be a string, got int"),
        ("commit_url", 5, "gitlab: commit_url must be a string, got int"),
        ("project", {"id": 3}, "gitlab: project.name is missing"),
        ("environment", "", "gitlab: environment is empty"),
    ],
)
def test_malformed_payloads_name_the_field(key: str, value: object, message: str) -> None:
    payload = changed(FIXTURE, because="a malformed delivery", replace={key: value})
    with pytest.raises(InvalidPayload) as err:
        GITLAB.translate(payload, HEADERS, OPTIONS)
    assert str(err.value) == message


def test_neither_commit_url_nor_short_sha_is_invalid() -> None:
    payload = changed(
        FIXTURE,
        because="a delivery naming no commit",
        replace={"commit_url": None},
        drop=["short_sha"],
    )
    with pytest.raises(InvalidPayload, match=r"^gitlab: short_sha is missing$"):
        GITLAB.translate(payload, HEADERS, OPTIONS)


def test_verify_token() -> None:
    GITLAB.verify(b"{}", {"x-gitlab-token": "s3cret"}, "s3cret", NOW)
    with pytest.raises(SignatureMismatch, match="does not match"):
        GITLAB.verify(b"{}", {"x-gitlab-token": "s3cret!"}, "s3cret", NOW)
    with pytest.raises(SignatureMismatch, match="X-Gitlab-Token header is missing"):
        GITLAB.verify(b"{}", {}, "s3cret", NOW)
