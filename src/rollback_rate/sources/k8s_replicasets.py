"""Kubernetes Deployment history, rebuilt from ``kubectl get replicasets -A -o json``.

A Deployment keeps one ReplicaSet per pod template.  Each ReplicaSet carries the
revision it holds now (annotation ``deployment.kubernetes.io/revision``) and, when a
``kubectl rollout undo`` (or re-applying an old template) reused it, the revisions it held
before (``deployment.kubernetes.io/revision-history``, comma separated).  Mapping every
revision number to its ReplicaSet replays the Deployment's history 1..N; each revision
becomes a deployment event, in order.  A revision that reuses an old ReplicaSet deploys
an old version again, which the core recognises as a rollback, so this adapter never
emits ``rollback`` itself.  Revisions whose ReplicaSet was garbage-collected
(``revisionHistoryLimit``) are simply absent.

Mapping: model = the owning Deployment's name (``ownerReferences`` kind Deployment);
environment = namespace; version = image tag of the first container, else the
``pod-template-hash`` label; artifact = that container's image reference; digest = the
``sha256:`` it is pinned to (``image@sha256:...``), if any; id =
``k8s:<namespace>/<deployment>:rev<N>`` (revision numbers never repeat within a Deployment,
so re-importing a later export re-emits the same ids).  No actor: a ReplicaSet does not
record who changed its Deployment (its writer is the deployment controller).

Times.  A ReplicaSet's ``creationTimestamp`` is exact for the first revision it held.
When it is reused, Kubernetes records no time; the rule is deterministic rather than
guessed: the reused revision's time is one second after the previous revision's time,
and the event says ``timestamp_estimated: true``.  (The next ReplicaSet's creation time
would be wrong: it may be much later, or not exist.)

The whole ``List`` is one payload (``whole_document``), since the history spans items.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from rollback_rate.errors import InvalidPayload
from rollback_rate.sources.base import (
    BaseSource,
    SourceOptions,
    Translation,
    event,
    field,
    format_utc,
    image_digest,
    image_tag,
    parse_time,
    require_object,
    shift,
)

NAME = "k8s-replicasets"
REVISION = "deployment.kubernetes.io/revision"
HISTORY = "deployment.kubernetes.io/revision-history"


class _Holder(NamedTuple):
    """The ReplicaSet that held one revision of a Deployment."""

    name: str
    created: datetime
    first_revision: int
    current: bool  # the revision is the ReplicaSet's current one (not from history)
    version: str
    pod_hash: str | None
    image: str | None


def _revision(value: Any, path: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidPayload(f"{NAME}: {path} is not a revision number: {value!r}") from None
    if number < 1:
        raise InvalidPayload(f"{NAME}: {path} is not a revision number: {value!r}")
    return number


def _owner(metadata: Mapping[str, Any]) -> str | None:
    for owner in metadata.get("ownerReferences") or []:
        if isinstance(owner, Mapping) and owner.get("kind") == "Deployment" and owner.get("name"):
            return str(owner["name"])
    return None


def _read(item: Any, index: int) -> tuple[tuple[str, str], dict[int, _Holder]] | None:
    """One ReplicaSet -> ((namespace, deployment), {revision: holder}), or None if unowned."""
    prefix = f"items[{index}]."
    rs = require_object(NAME, item, f"items[{index}]")
    metadata = field(rs, "metadata", source=NAME, expected=dict, prefix=prefix)
    deployment = _owner(metadata)
    if deployment is None:
        return None
    meta = prefix + "metadata."
    name = field(metadata, "name", source=NAME, prefix=meta)
    namespace = field(metadata, "namespace", source=NAME, prefix=meta)
    created = parse_time(
        field(metadata, "creationTimestamp", source=NAME, prefix=meta),
        source=NAME,
        path=meta + "creationTimestamp",
    )
    annotations = (
        field(metadata, "annotations", source=NAME, expected=dict, required=False, prefix=meta)
        or {}
    )
    path = f"{meta}annotations[{REVISION}]"
    if annotations.get(REVISION) is None:
        raise InvalidPayload(f"{NAME}: {path} is missing")
    current = _revision(annotations[REVISION], path)
    history_path = f"{meta}annotations[{HISTORY}]"
    history = [
        _revision(part, history_path)
        for part in str(annotations.get(HISTORY) or "").split(",")
        if part.strip()
    ]
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), Mapping) else {}
    pod_hash = labels.get("pod-template-hash")
    containers = (
        field(
            rs,
            "spec.template.spec.containers",
            source=NAME,
            expected=list,
            required=False,
            prefix=prefix,
        )
        or []
    )
    image = (
        containers[0].get("image") if containers and isinstance(containers[0], Mapping) else None
    )
    version = (image_tag(image) if isinstance(image, str) else None) or pod_hash or name
    revisions = sorted({*history, current})
    holders = {
        number: _Holder(
            name,
            created,
            revisions[0],
            number == current,
            version,
            pod_hash,
            image if isinstance(image, str) else None,
        )
        for number in revisions
    }
    return (namespace, deployment), holders


class ReplicaSetsSource(BaseSource):
    name = NAME
    whole_document = True

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        document = require_object(NAME, payload, "document")
        items = field(document, "items", source=NAME, expected=list)
        histories: dict[tuple[str, str], dict[int, _Holder]] = {}
        for index, item in enumerate(items):
            read = _read(item, index)
            if read is None:
                continue
            key, holders = read
            history = histories.setdefault(key, {})
            for number, holder in holders.items():
                known = history.get(number)
                # Two ReplicaSets claiming one revision: trust the one for which it is current.
                if (
                    known is None
                    or (holder.current and not known.current)
                    or (holder.current == known.current and holder.name < known.name)
                ):
                    history[number] = holder
        if not histories:
            return Translation.skip("no ReplicaSet in the document is owned by a Deployment")
        events: list[dict[str, Any]] = []
        for (namespace, deployment), history in sorted(histories.items()):
            events.extend(_replay(namespace, deployment, history))
        return Translation(events=events)


def _replay(namespace: str, deployment: str, history: dict[int, _Holder]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    previous: datetime | None = None
    for number in sorted(history):
        holder = history[number]
        estimated = number != holder.first_revision and previous is not None
        when = shift(previous, 1) if estimated and previous is not None else holder.created
        previous = when
        events.append(
            event(
                kind="deployment",
                source=NAME,
                event_id=f"k8s:{namespace}/{deployment}:rev{number}",
                model=deployment,
                environment=namespace,
                timestamp=format_utc(when),
                version=holder.version,
                revision=number,
                replicaset=holder.name,
                pod_template_hash=holder.pod_hash,
                artifact=holder.image,
                digest=image_digest(holder.image) if holder.image else None,
                timestamp_estimated=True if estimated else None,
            )
        )
    return events


SOURCE = ReplicaSetsSource()
