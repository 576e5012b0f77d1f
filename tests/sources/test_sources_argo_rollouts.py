"""Argo Rollouts notifications (completed/aborted) and the documented configmap."""

from __future__ import annotations

import inspect
import textwrap

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import argo_rollouts, get_source
from tests.sources.helpers import FIXTURES, OPTIONS, load

ARGO = get_source("argo-rollouts")
UID = "5a2b1c3d-0000-4e5f-9a8b-7c6d5e4f3a2b"


def test_completed_rollout_is_a_deployment() -> None:
    result = ARGO.translate(load("argo-rollout-completed.json"), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": f"argo-rollouts:{UID}:rev7:completed",
            "model": "fraud-scorer",
            "environment": "production",
            "timestamp": "2024-05-10T08:21:40Z",  # the Completed condition, not Progressing
            "version": "2.4.0",
            "automated": False,
            "source": "argo-rollouts",
            "rollout": "fraud-scorer",
            "revision": "7",
        }
    ]


def test_aborted_rollout_is_the_canary_deployment_then_an_automated_rollback() -> None:
    events = ARGO.translate(load("argo-rollout-aborted.json"), {}, OPTIONS).events
    assert [(e["type"], e["id"], e["timestamp"]) for e in events] == [
        ("deployment", f"argo-rollouts:{UID}:rev8:started", "2024-05-11T14:30:04Z"),
        ("rollback", f"argo-rollouts:{UID}:rev8:aborted", "2024-05-11T14:30:05Z"),
    ]
    started, rollback = events
    assert started["version"] == "2.5.0"
    assert started["timestamp_estimated"] is True
    assert started["automated"] is False
    assert rollback["automated"] is True
    assert "version" not in rollback
    assert rollback["aborted_version"] == "2.5.0"
    assert rollback["stable_pod_hash"] == "6d9f8b7c5d"
    assert rollback["model"] == "fraud-scorer" and rollback["environment"] == "production"
    assert "assessed Failed" in rollback["note"]


def test_same_notification_twice_gives_same_ids() -> None:
    first = ARGO.translate(load("argo-rollout-aborted.json"), {}, OPTIONS).events
    second = ARGO.translate(load("argo-rollout-aborted.json"), {}, OPTIONS).events
    assert [e["id"] for e in first] == [e["id"] for e in second]


def test_other_triggers_are_ignored() -> None:
    result = ARGO.translate(load("argo-rollout-step-completed.json"), {}, OPTIONS)
    assert result.events == []
    assert result.ignored == (
        "argo-rollouts trigger on-rollout-step-completed is not completed/aborted"
    )


def test_annotations_override_model_and_namespace_is_the_default_environment() -> None:
    payload = load("argo-rollout-completed.json")
    annotations = payload["rollout"]["metadata"]["annotations"]
    annotations["rollback-rate/model"] = "fraud-xgb"
    del annotations["rollback-rate/environment"]
    [event] = ARGO.translate(payload, {}, OPTIONS).events
    assert (event["model"], event["environment"]) == ("fraud-xgb", "ml-prod")


def test_version_and_time_fallbacks() -> None:
    payload = load("argo-rollout-completed.json")
    rollout = payload["rollout"]
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/fraud-scorer"
    rollout["status"]["conditions"] = []
    [event] = ARGO.translate(payload, {}, OPTIONS).events
    assert event["version"] == "6d9f8b7c5d"  # status.currentPodHash
    assert event["timestamp"] == "2030-01-02T03:04:05Z"  # options.now
    del rollout["status"]["currentPodHash"]
    assert ARGO.translate(payload, {}, OPTIONS).events[0]["version"] == "7"  # revision


def test_progressing_condition_used_without_completed() -> None:
    payload = load("argo-rollout-completed.json")
    conditions = payload["rollout"]["status"]["conditions"]
    payload["rollout"]["status"]["conditions"] = [c for c in conditions if c["type"] != "Completed"]
    assert ARGO.translate(payload, {}, OPTIONS).events[0]["timestamp"] == "2024-05-10T08:21:41Z"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda p: p["rollout"]["metadata"].pop("uid"),
            "argo-rollouts: rollout.metadata.uid is missing",
        ),
        (lambda p: p.pop("rollout"), "argo-rollouts: rollout is missing"),
        (lambda p: p.__setitem__("trigger", 5), "argo-rollouts: trigger must be a string, got int"),
        (
            lambda p: p["rollout"]["status"]["conditions"][1].__setitem__("lastUpdateTime", "nope"),
            "argo-rollouts: rollout.status.conditions[1].lastUpdateTime is not an ISO 8601 "
            "timestamp: 'nope'",
        ),
    ],
)
def test_malformed_payloads_name_the_field(mutate: object, message: str) -> None:
    payload = load("argo-rollout-completed.json")
    mutate(payload)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        ARGO.translate(payload, {}, OPTIONS)
    assert str(err.value) == message


def test_module_docstring_carries_the_exact_configmap_fixture() -> None:
    doc = inspect.getdoc(argo_rollouts) or ""
    fixture = (FIXTURES / "argo-notifications-configmap.yaml").read_text()
    block = doc.split("::\n", 1)[1]
    assert textwrap.dedent(block).strip() == fixture.strip()
    assert '{"trigger": "on-rollout-completed", "rollout": {{toJson .rollout}}}' in fixture
    assert '{"trigger": "on-rollout-aborted", "rollout": {{toJson .rollout}}}' in fixture


def test_user_docs_show_the_same_configmap() -> None:
    docs = FIXTURES.parents[2] / "README.md"
    fixture = (FIXTURES / "argo-notifications-configmap.yaml").read_text()
    assert fixture.strip() in docs.read_text()
