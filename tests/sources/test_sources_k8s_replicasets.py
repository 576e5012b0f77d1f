"""Rebuilding Deployment revision history from `kubectl get replicasets -A -o json`, on
ReplicaSets exported from real clusters."""

from __future__ import annotations

import pytest

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources import get_source
from tests.sources.helpers import OPTIONS, changed, load

K8S = get_source("k8s-replicasets")
HISTORY = "k8s-replicasets.json"
UNDO = "k8s-replicasets-rollout-undo.json"
REVISION = "deployment.kubernetes.io/revision"
IMAGE = ("items", 0, "spec", "template", "spec", "containers", 0, "image")


def undo_export() -> dict:
    # The exporter trimmed the first ReplicaSet's annotations; the deployment controller
    # writes them on every ReplicaSet it creates (SetNewReplicaSetAnnotations), and the
    # second one's revision 3 with revision-history 1 leaves revision 2 for it.
    return changed(
        UNDO,
        because="restore the annotations the export trimmed from hello-world-6b9d85fbd6",
        add={
            ("items", 0, "metadata", "annotations"): {
                "deployment.kubernetes.io/desired-replicas": "1",
                "deployment.kubernetes.io/max-replicas": "2",
                REVISION: "2",
            }
        },
    )


def test_history_is_replayed_revision_by_revision() -> None:
    result = K8S.translate(load(HISTORY), {}, OPTIONS)
    assert result.ignored is None
    assert result.events == [
        {
            "type": "deployment",
            "id": "k8s:default/hello-world:rev1",
            "model": "hello-world",
            "environment": "default",
            "timestamp": "2020-12-03T16:26:59Z",
            "version": "1.19.2-alpine",
            "automated": False,
            "source": "k8s-replicasets",
            "revision": 1,
            "replicaset": "hello-world-779cbf9f67",
            "pod_template_hash": "779cbf9f67",
            "artifact": "nginx:1.19.2-alpine",
        },
        {
            "type": "deployment",
            "id": "k8s:default/hello-world:rev2",
            "model": "hello-world",
            "environment": "default",
            "timestamp": "2020-12-03T17:53:51Z",
            "version": "1.19.3-alpine",
            "automated": False,
            "source": "k8s-replicasets",
            "revision": 2,
            "replicaset": "hello-world-f77b4f6c8",
            "pod_template_hash": "f77b4f6c8",
            "artifact": "nginx:1.19.3-alpine",
        },
    ]


def test_rollout_undo_reuses_the_old_replicaset_one_second_later() -> None:
    events = K8S.translate(undo_export(), {}, OPTIONS).events
    assert [(e["id"], e["version"], e["timestamp"], e["replicaset"]) for e in events] == [
        (
            "k8s:default/hello-world:rev1",
            "1.19.3-alpine",
            "2020-11-24T18:06:07Z",
            "hello-world-7ff854f459",
        ),
        (
            "k8s:default/hello-world:rev2",
            "1.19.2-alpine",
            "2020-11-24T18:37:54Z",
            "hello-world-6b9d85fbd6",
        ),
        # kubectl rollout undo reused the 1.19.3 ReplicaSet: Kubernetes records no time
        (
            "k8s:default/hello-world:rev3",
            "1.19.3-alpine",
            "2020-11-24T18:37:55Z",
            "hello-world-7ff854f459",
        ),
    ]
    assert [e["id"] for e in events if e.get("timestamp_estimated")] == [
        "k8s:default/hello-world:rev3"
    ]


def test_the_export_as_published_names_the_missing_annotation() -> None:
    with pytest.raises(InvalidPayload) as err:
        K8S.translate(load(UNDO), {}, OPTIONS)
    assert str(err.value) == (
        f"k8s-replicasets: items[0].metadata.annotations[{REVISION}] is missing"
    )


def test_reimport_gives_identical_events() -> None:
    first = K8S.translate(undo_export(), {}, OPTIONS).events
    assert first == K8S.translate(undo_export(), {}, OPTIONS).events


def test_item_order_does_not_matter() -> None:
    document = undo_export()
    expected = K8S.translate(document, {}, OPTIONS).events
    document["items"].reverse()
    assert K8S.translate(document, {}, OPTIONS).events == expected


def test_pod_template_hash_when_image_has_no_tag() -> None:
    document = changed(HISTORY, because="an untagged image", replace={IMAGE: "nginx"})
    assert K8S.translate(document, {}, OPTIONS).events[0]["version"] == "779cbf9f67"


def test_an_image_pinned_by_digest_gives_the_digest() -> None:
    digest = "sha256:" + "23e4dacb" * 8
    document = changed(
        HISTORY,
        because="the same ReplicaSet with its image pinned by digest",
        replace={IMAGE: f"nginx@{digest}"},
    )
    [first, _] = K8S.translate(document, {}, OPTIONS).events
    assert (first["version"], first["digest"], first["artifact"]) == (
        digest,
        digest,
        f"nginx@{digest}",
    )


def test_no_deployment_owned_replicasets_is_ignored() -> None:
    document = changed(
        HISTORY,
        because="ReplicaSets created directly, with no owning Deployment",
        replace={
            ("items", 0, "metadata", "ownerReferences"): [],
            ("items", 1, "metadata", "ownerReferences"): [],
        },
    )
    result = K8S.translate(document, {}, OPTIONS)
    assert result.events == []
    assert result.ignored == "no ReplicaSet in the document is owned by a Deployment"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["items"][1]["metadata"]["annotations"].pop(REVISION),
            f"k8s-replicasets: items[1].metadata.annotations[{REVISION}] is missing",
        ),
        (
            lambda d: d["items"][1]["metadata"]["annotations"].__setitem__(
                "deployment.kubernetes.io/revision-history", "1,x"
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
    document = undo_export()
    mutate(document)  # type: ignore[operator]
    with pytest.raises(InvalidPayload) as err:
        K8S.translate(document, {}, OPTIONS)
    assert str(err.value) == message
