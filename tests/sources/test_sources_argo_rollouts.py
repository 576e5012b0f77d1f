"""Argo Rollouts notifications (completed/aborted) on real Rollout objects, and the
documented configmap."""

from __future__ import annotations

import inspect
import textwrap

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import argo_rollouts, get_source
from tests.sources.helpers import FIXTURES, OPTIONS, changed, load

ARGO = get_source("argo-rollouts")
COMPLETED = "argo-rollout-completed.json"
WORKLOAD_REF = "argo-rollout-completed-workload-ref.json"
ABORTED = "argo-rollout-aborted.json"
ABORTED_UID = "aeddde25-f8bd-4a68-a4a1-523a559bdb83"
IMAGE = ("rollout", "spec", "template", "spec", "containers", 0, "image")
ANNOTATIONS = ("rollout", "metadata", "annotations")


def test_completed_rollout_is_a_deployment_of_its_image() -> None:
    result = ARGO.translate(load(COMPLETED), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "argo-rollouts:a5047899-8288-43c2-95d7-a8e0a8b45ed6:rev2:completed",
            "model": "rollout-bluegreen",
            "environment": "default",
            # no Completed condition (an older controller): the Progressing one
            "timestamp": "2020-11-06T09:13:09Z",
            "version": "1.19-alpine",
            "automated": False,
            "source": "argo-rollouts",
            "artifact": "nginx:1.19-alpine",
            "rollout": "rollout-bluegreen",
            "revision": "2",
        }
    ]


def test_completed_workload_ref_rollout_is_timed_by_its_completed_condition() -> None:
    [event] = ARGO.translate(load(WORKLOAD_REF), {}, OPTIONS).events
    assert (event["id"], event["timestamp"], event["model"]) == (
        "argo-rollouts:a3d1d224-ac4f-4f84-9274-e01e1d43b036:rev1:completed",
        "2021-07-27T12:14:21Z",
        "rollout-ref-deployment",
    )
    # Stored without the referenced Deployment's template: the pod hash is the version.
    assert event["version"] == "75bbd56864"
    assert "artifact" not in event


def test_aborted_rollout_is_the_canary_deployment_then_an_automated_rollback() -> None:
    events = ARGO.translate(load(ABORTED), {}, OPTIONS).events
    assert [(e["type"], e["id"], e["timestamp"]) for e in events] == [
        ("deployment", f"argo-rollouts:{ABORTED_UID}:rev2:started", "2020-09-22T09:10:03Z"),
        ("rollback", f"argo-rollouts:{ABORTED_UID}:rev2:aborted", "2020-09-22T09:10:04Z"),
    ]
    started, rollback = events
    assert (started["version"], started["artifact"], started["stage"]) == (
        "yellow",
        "argoproj/rollouts-demo:yellow",
        "canary",
    )
    assert started["timestamp_estimated"] is True
    assert started["automated"] is False
    assert rollback["automated"] is True
    assert "version" not in rollback and "stage" not in rollback
    assert rollback["aborted_version"] == "yellow"
    assert rollback["stable_pod_hash"] == "7d84d44bb8"
    assert (rollback["model"], rollback["environment"]) == (
        "rollout-background-analysis",
        "default",
    )
    # This controller wrote no status.message: the RolloutAborted condition says why.
    assert rollback["note"] == 'metric "web" assessed Failed due to failed (1) > failureLimit (0)'


def test_the_abort_note_is_the_status_message_when_the_controller_writes_one() -> None:
    payload = changed(
        ABORTED,
        because="controllers since v1.0 also write status.message",
        add={"rollout.status.message": "RolloutAborted: Rollout aborted update to revision 2"},
    )
    rollback = ARGO.translate(payload, {}, OPTIONS).events[1]
    assert rollback["note"] == "RolloutAborted: Rollout aborted update to revision 2"


def test_an_image_pinned_by_digest_gives_the_digest() -> None:
    digest = "sha256:" + "4d" * 32
    payload = changed(
        COMPLETED,
        because="the same Rollout with its image pinned by digest, as GitOps setups often do",
        replace={IMAGE: f"nginx:1.19-alpine@{digest}"},
    )
    [event] = ARGO.translate(payload, {}, OPTIONS).events
    assert (event["version"], event["digest"]) == ("1.19-alpine", digest)
    assert event["artifact"] == f"nginx:1.19-alpine@{digest}"


def test_same_notification_twice_gives_same_ids() -> None:
    first = ARGO.translate(load(ABORTED), {}, OPTIONS).events
    second = ARGO.translate(load(ABORTED), {}, OPTIONS).events
    assert [e["id"] for e in first] == [e["id"] for e in second]


def test_other_triggers_are_ignored() -> None:
    payload = changed(
        COMPLETED,
        because="a user who points a template of their own at another trigger",
        replace={"trigger": "on-rollout-step-completed"},
    )
    assert ARGO.translate(payload, {}, OPTIONS).ignored == (
        "argo-rollouts trigger on-rollout-step-completed is not completed/aborted"
    )


def test_annotations_override_model_and_environment() -> None:
    payload = changed(
        COMPLETED,
        because="the optional annotations the README's subscription shows",
        add={
            (*ANNOTATIONS, "rollback-rate/model"): "fraud-xgb",
            (*ANNOTATIONS, "rollback-rate/environment"): "production",
        },
    )
    [event] = ARGO.translate(payload, {}, OPTIONS).events
    assert (event["model"], event["environment"]) == ("fraud-xgb", "production")


def test_version_and_time_fallbacks() -> None:
    payload = changed(
        COMPLETED,
        because="an untagged image and a status without conditions",
        replace={IMAGE: "nginx", "rollout.status.conditions": []},
    )
    [event] = ARGO.translate(payload, {}, OPTIONS).events
    assert event["version"] == "8576595585"  # status.currentPodHash
    assert event["timestamp"] == "2030-01-02T03:04:05Z"  # options.now
    del payload["rollout"]["status"]["currentPodHash"]
    assert ARGO.translate(payload, {}, OPTIONS).events[0]["version"] == "2"  # revision


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
    payload = load(COMPLETED)
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
