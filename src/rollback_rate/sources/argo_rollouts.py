"""Argo Rollouts notifications: a completed rollout is a deployment, an aborted one a rollback.

Argo Rollouts' notification templates see only the Rollout object, so the webhook
template (below) posts ``{"trigger": "<trigger name>", "rollout": <Rollout>}`` with the
trigger name written into each template.  ``on-rollout-completed`` becomes a deployment;
``on-rollout-aborted`` becomes an automated rollback; other triggers are ignored.

Mapping: model = annotation ``rollback-rate/model`` else ``metadata.name``; environment =
annotation ``rollback-rate/environment`` else ``metadata.namespace``; version = the image
tag of the first container of ``spec.template`` (else ``status.currentPodHash``, else the
``rollout.argoproj.io/revision`` annotation); artifact = that container's image reference;
digest = the ``sha256:`` it is pinned to (``image@sha256:...``), if any; time =
``lastUpdateTime`` of the ``Completed`` condition (else ``Progressing``), else now.  A
Rollout that uses ``workloadRef`` has no template of its own, but the controller puts the
referenced workload's template into the object it notifies with (``toObjectMap`` in
``utils/record/record.go``).  No actor: the Rollout object does not record who changed it.
Ids are built from ``metadata.uid`` + the rollout revision + what happened, so the same
notification sent twice (Argo retries on 5xx) keeps its id:
``argo-rollouts:<uid>:rev<revision>:completed``.

An abort sends traffic back to the stable ReplicaSet.  The aborted revision was never
"completed", so the core would otherwise never have seen it deployed and would pin the
rollback on the stable version.  An abort therefore yields two events: a deployment of
the aborted version (``argo-rollouts:<uid>:rev<revision>:started``, time one second
before the abort, ``timestamp_estimated: true``, ``stage: "canary"`` since it never took
full traffic) and the rollback (``argo-rollouts:<uid>:rev<revision>:aborted``,
``automated: true``, no version: the Rollout object names the stable ReplicaSet by pod
hash only, kept as ``stable_pod_hash``).
The abort time is the ``Progressing`` condition's ``lastUpdateTime`` (reason
``RolloutAborted``), else now; the rollback's note is ``status.message``, else that
condition's message (older controllers write no ``status.message``).  The notification
carries no signature: protect the route with the service's bearer token (the template
sends it).

The ``argo-rollouts-notification-configmap`` to apply (also in
``tests/sources/fixtures/argo-notifications-configmap.yaml``)::

    # Argo Rollouts -> rollback-rate.  Apply in the namespace where the Argo Rollouts
    # controller runs (usually argo-rollouts), then subscribe each Rollout (see the end).
    #
    # Templates only see `.rollout` (and `.recipient`), not the trigger's name, so there is
    # one template per trigger, each writing its trigger name as a literal.
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: argo-rollouts-notification-configmap
      namespace: argo-rollouts
    data:
      service.webhook.rollback-rate: |
        url: https://rollback-rate.example.com
        headers:
        - name: Content-Type
          value: application/json
        - name: Authorization
          value: Bearer $rollback-rate-token
      template.rollback-rate-rollout-completed: |
        webhook:
          rollback-rate:
            method: POST
            path: /webhooks/argo-rollouts
            body: |
              {"trigger": "on-rollout-completed", "rollout": {{toJson .rollout}}}
      template.rollback-rate-rollout-aborted: |
        webhook:
          rollback-rate:
            method: POST
            path: /webhooks/argo-rollouts
            body: |
              {"trigger": "on-rollout-aborted", "rollout": {{toJson .rollout}}}
      # These override the built-in triggers of the same name.  If you also use the
      # templates from notifications-install.yaml, keep them in the list, e.g.
      #   - send: [rollout-completed, rollback-rate-rollout-completed]
      trigger.on-rollout-completed: |
        - send: [rollback-rate-rollout-completed]
      trigger.on-rollout-aborted: |
        - send: [rollback-rate-rollout-aborted]
    ---
    apiVersion: v1
    kind: Secret
    metadata:
      name: argo-rollouts-notification-secret
      namespace: argo-rollouts
    stringData:
      rollback-rate-token: replace-with-the-rollback-rate-api-token
    # Subscribe a Rollout (optional model/environment overrides shown):
    #
    #   metadata:
    #     annotations:
    #       notifications.argoproj.io/subscribe.on-rollout-completed.rollback-rate: ""
    #       notifications.argoproj.io/subscribe.on-rollout-aborted.rollback-rate: ""
    #       rollback-rate/model: fraud-scorer
    #       rollback-rate/environment: production
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rollback_rate.sources.base import (
    BaseSource,
    SourceOptions,
    Translation,
    check_model,
    event,
    field,
    format_utc,
    image_digest,
    image_tag,
    parse_time,
    require_object,
    shift,
)

NAME = "argo-rollouts"
COMPLETED = "on-rollout-completed"
ABORTED = "on-rollout-aborted"
MODEL_ANNOTATION = "rollback-rate/model"
ENVIRONMENT_ANNOTATION = "rollback-rate/environment"
REVISION_ANNOTATION = "rollout.argoproj.io/revision"


def _condition_time(rollout: Mapping[str, Any], kinds: tuple[str, ...]) -> datetime | None:
    conditions = (
        field(
            rollout,
            "status.conditions",
            source=NAME,
            expected=list,
            required=False,
            prefix="rollout.",
        )
        or []
    )
    for kind in kinds:
        for index, condition in enumerate(conditions):
            if isinstance(condition, Mapping) and condition.get("type") == kind:
                stamp = condition.get("lastUpdateTime") or condition.get("lastTransitionTime")
                if stamp is not None:
                    path = f"rollout.status.conditions[{index}].lastUpdateTime"
                    return parse_time(stamp, source=NAME, path=path)
    return None


def _aborted_message(rollout: Mapping[str, Any]) -> str | None:
    """Why the Rollout was aborted: ``status.message``, else the RolloutAborted condition's."""
    message = field(rollout, "status.message", source=NAME, required=False, prefix="rollout.")
    if message:
        return str(message)
    status = rollout.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    for condition in conditions if isinstance(conditions, list) else []:
        if isinstance(condition, Mapping) and condition.get("reason") == "RolloutAborted":
            text = condition.get("message")
            return text if isinstance(text, str) and text else None
    return None


def _image(rollout: Mapping[str, Any]) -> str | None:
    """The image reference of the first container of the Rollout's pod template."""
    containers = (
        field(
            rollout,
            "spec.template.spec.containers",
            source=NAME,
            expected=list,
            required=False,
            prefix="rollout.",
        )
        or []
    )
    if containers and isinstance(containers[0], Mapping):
        image = containers[0].get("image")
        if isinstance(image, str) and image.strip():
            return image
    return None


def _version(rollout: Mapping[str, Any], image: str | None, revision: str | None) -> str | None:
    if image and (tag := image_tag(image)):
        return tag
    pod_hash = field(
        rollout, "status.currentPodHash", source=NAME, required=False, prefix="rollout."
    )
    return pod_hash or revision


class ArgoRolloutsSource(BaseSource):
    name = NAME

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        trigger = field(data, "trigger", source=NAME)
        if trigger not in (COMPLETED, ABORTED):
            return Translation.skip(f"argo-rollouts trigger {trigger} is not completed/aborted")
        rollout = field(data, "rollout", source=NAME, expected=dict)
        uid = field(rollout, "metadata.uid", source=NAME, prefix="rollout.")
        name = field(rollout, "metadata.name", source=NAME, prefix="rollout.")
        annotations = (
            field(
                rollout,
                "metadata.annotations",
                source=NAME,
                expected=dict,
                required=False,
                prefix="rollout.",
            )
            or {}
        )
        model_override = annotations.get(MODEL_ANNOTATION)
        model_path = f"rollout.metadata.annotations[{MODEL_ANNOTATION}]"
        model = check_model(NAME, model_override, model_path) if model_override else name
        environment = (
            annotations.get(ENVIRONMENT_ANNOTATION)
            or field(rollout, "metadata.namespace", source=NAME, required=False, prefix="rollout.")
            or options.default_environment()
        )
        revision = annotations.get(REVISION_ANNOTATION)
        revision = str(revision) if revision is not None else None
        image = _image(rollout)
        version = _version(rollout, image, revision)
        key = f"argo-rollouts:{uid}:rev{revision or version}"
        common: dict[str, Any] = {
            "source": NAME,
            "model": model,
            "environment": environment,
            "rollout": name,
            "revision": revision,
        }
        deployed: dict[str, Any] = {
            "version": version,
            "artifact": image,
            "digest": image_digest(image) if image else None,
        }
        if trigger == COMPLETED:
            moment = _condition_time(rollout, ("Completed", "Progressing"))
            when = moment or options.current_time()
            return Translation(
                events=[
                    event(
                        kind="deployment",
                        event_id=f"{key}:completed",
                        timestamp=format_utc(when),
                        **deployed,
                        **common,
                    ),
                ]
            )
        aborted_at = _condition_time(rollout, ("Progressing",)) or options.current_time()
        return Translation(
            events=[
                event(
                    kind="deployment",
                    event_id=f"{key}:started",
                    timestamp=format_utc(shift(aborted_at, -1)),
                    timestamp_estimated=True,
                    stage="canary",
                    **deployed,
                    **common,
                ),
                event(
                    kind="rollback",
                    event_id=f"{key}:aborted",
                    version=None,
                    timestamp=format_utc(aborted_at),
                    automated=True,
                    aborted_version=version,
                    stable_pod_hash=field(
                        rollout, "status.stableRS", source=NAME, required=False, prefix="rollout."
                    ),
                    note=_aborted_message(rollout),
                    **common,
                ),
            ]
        )


SOURCE = ArgoRolloutsSource()
