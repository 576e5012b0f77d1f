"""Rebuilding Deployment revision history from `kubectl get replicasets -A -o json`."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import get_source
from tests.sources.helpers import OPTIONS, load

K8S = get_source("k8s-replicasets")


def test_history_is_replayed_revision_by_revision() -> None:
    result = K8S.translate(load("k8s-replicasets.json"), {}, OPTIONS)
    assert result.ignored is None
    rows = [
        (e["id"], e["model"], e["environment"], e["version"], e["timestamp"], e["type"])
        for e in result.events
    ]
    assert rows == [
        (
            "k8s:ml-prod/scorer:rev1",
            "scorer",
            "ml-prod",
            "1.0.0",
            "2024-06-01T10:00:00Z",
            "deployment",
        ),
        (
            "k8s:ml-prod/scorer:rev2",
            "scorer",
            "ml-prod",
            "1.1.0",
            "2024-06-02T10:00:00Z",
            "deployment",
        ),
        (
            "k8s:ml-prod/scorer:rev3",
            "scorer",
            "ml-prod",
            "1.2.0",
            "2024-06-03T10:00:00Z",
            "deployment",
        ),
        # rollout undo reused the 1.1.0 ReplicaSet: 1s after revision 3, marked estimated
        (
            "k8s:ml-prod/scorer:rev4",
            "scorer",
            "ml-prod",
            "1.1.0",
            "2024-06-03T10:00:01Z",
            "deployment",
        ),
        (
            "k8s:ml-prod/scorer:rev5",
            "scorer",
            "ml-prod",
            "1.3.0",
            "2024-06-05T10:00:00Z",
            "deployment",
        ),
        # revision 1 of ranker was garbage-collected; digest-only image keeps the digest
        (
            "k8s:ml-staging/ranker:rev2",
            "ranker",
            "ml-staging",
            "sha256:abcdef0123",
            "2024-06-04T08:30:00.500000Z",
            "deployment",
        ),
    ]
    estimated = [e["id"] for e in result.events if e.get("timestamp_estimated")]
    assert estimated == ["k8s:ml-prod/scorer:rev4"]
    assert all(e["automated"] is False for e in result.events)
    rev4 = result.events[3]
    assert rev4["replicaset"] == "scorer-5f8d7c6b9" and rev4["revision"] == 4


def test_reimport_gives_identical_events() -> None:
    first = K8S.translate(load("k8s-replicasets.json"), {}, OPTIONS).events
    assert first == K8S.translate(load("k8s-replicasets.json"), {}, OPTIONS).events


def test_item_order_does_not_matter() -> None:
    document = load("k8s-replicasets.json")
    expected = K8S.translate(document, {}, OPTIONS).events
    document["items"].reverse()
    assert K8S.translate(document, {}, OPTIONS).events == expected


def test_pod_template_hash_when_image_has_no_tag() -> None:
    document = load("k8s-replicasets.json")
    document["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"] = "scorer"
    assert K8S.translate(document, {}, OPTIONS).events[0]["version"] == "7b9f6c5d4"


def test_no_deployment_owned_replicasets_is_ignored() -> None:
    document = load("k8s-replicasets.json")
    document["items"] = document["items"][-1:]
    result = K8S.translate(document, {}, OPTIONS)
    assert result.events == []
    assert result.ignored == "no ReplicaSet in the document is owned by a Deployment"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["items"][2]["metadata"]["annotations"].pop(
                "deployment.kubernetes.io/revision"
            ),
            "k8s-replicasets: items[2].metadata.annotations[deployment.kubernetes.io/revision] "
            "is missing",
        ),
        (
            lambda d: d["items"][1]["metadata"]["annotations"].__setitem__(
                "deployment.kubernetes.io/revision-history", "2,x"
            ),
            "k8s-replicasets: items[1].metadata.annotations"
            "[deployment.kubernetes.io/revision-history] is not a revision number: 'x'",
        ),
        (
            lambda d: d["items"][0]["metadata"].pop("creationTimestamp"),
            "k8s-replicasets: items[0].metadata.creationTimestamp is missing",
        ),
        (lambda d: d.pop("items"), "k8s-replicasets: items is missing"),
        (
            lambda d: d["items"].__setitem__(0, "oops"),
            "k8s-replicasets: items[0] must be a JSON object, got str",
        ),
    ],
)
def test_malformed_documents_name_the_field(mutate: object, message: str) -> None:
    document = load("k8s-replicasets.json")
    mutate(document)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        K8S.translate(document, {}, OPTIONS)
    assert str(err.value) == message
