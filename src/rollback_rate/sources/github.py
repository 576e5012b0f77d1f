"""GitHub ``deployment_status`` webhooks.

Only a status with ``state == "success"`` is a completed deployment; ``queued``,
``pending``, ``in_progress``, ``failure``, ``error`` and ``inactive`` are ignored with a
reason (``inactive`` is GitHub marking the *previous* deployment superseded, not a new
one).  Other events (``X-GitHub-Event``; ``ping`` on hook creation) are ignored too.
GitHub has no rollback event: re-deploying an older sha or version is a deployment the
core recognises as a rollback from the version history.

Mapping: model = ``deployment.payload.model`` (the deployment payload may be an object
or a JSON string) else the repository name; version = ``deployment.payload.version``
else ``deployment.sha``; environment = ``deployment.environment``; time =
``deployment_status.created_at``; team / automated / cause / note from the deployment
payload when given; actor = ``sender.login`` (who triggered the event), else
``deployment_status.creator.login``.  No artifact or digest: GitHub's deployment names a
commit, not a built artifact.  Id = ``github:deployment_status:<deployment_status.id>``:
the status object's id is fixed when GitHub creates it, while ``X-GitHub-Delivery``
changes on every redelivery and so is never used.

Signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rollback_rate.errors import InvalidPayload, SignatureMismatch
from rollback_rate.sources.base import (
    BaseSource,
    SourceOptions,
    Translation,
    check_model,
    event,
    field,
    header,
    require_object,
    require_secret,
    utc_text,
)

NAME = "github"


def _deployment_payload(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    """``deployment.payload`` as an object; GitHub stores whatever the creator sent."""
    raw = deployment.get("payload")
    if isinstance(raw, str) and raw.strip():
        try:
            raw = json.loads(raw)
        except (json.JSONDecodeError, RecursionError):
            return {}
    return raw if isinstance(raw, Mapping) else {}


class GitHubSource(BaseSource):
    name = NAME
    authenticates = True

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        event_name = header(headers, "x-github-event")
        if event_name is None:  # exported file: infer the event from the body
            if "deployment_status" in data:
                event_name = "deployment_status"
            elif "zen" in data and "hook_id" in data:
                event_name = "ping"
            else:
                return Translation.skip("github payload is not a deployment_status event")
        if event_name == "ping":
            return Translation.skip("github ping event (webhook set up), nothing to record")
        if event_name != "deployment_status":
            return Translation.skip(f"github event '{event_name}' is not deployment_status")

        state = field(data, "deployment_status.state", source=NAME)
        if state != "success":
            return Translation.skip(
                f"deployment_status state '{state}' is not a completed deployment"
            )
        status_id = field(data, "deployment_status.id", source=NAME, expected=(int, str))
        created_at = field(data, "deployment_status.created_at", source=NAME)
        deployment = field(data, "deployment", source=NAME, expected=dict)
        environment = field(deployment, "environment", source=NAME, prefix="deployment.")
        sha = field(deployment, "sha", source=NAME, prefix="deployment.")
        extra = _deployment_payload(deployment)
        prefix = "deployment.payload."
        repo_name = field(data, "repository.name", source=NAME, required=False)
        model = field(extra, "model", source=NAME, required=False, prefix=prefix)
        if model is None:
            if repo_name is None:
                raise InvalidPayload(f"{NAME}: repository.name is missing")
            model = repo_name
            model_path = "repository.name"
        else:
            model_path = prefix + "model"
        version = field(
            extra, "version", source=NAME, expected=(str, int, float), required=False, prefix=prefix
        )
        automated = field(
            extra, "automated", source=NAME, expected=bool, required=False, prefix=prefix
        )
        status = data["deployment_status"]
        url = status.get("environment_url") or status.get("target_url") or None
        return Translation(
            events=[
                event(
                    kind="deployment",
                    source=NAME,
                    event_id=f"github:deployment_status:{status_id}",
                    model=check_model(NAME, model, model_path),
                    environment=environment,
                    timestamp=utc_text(
                        created_at, source=NAME, path="deployment_status.created_at"
                    ),
                    version=str(version) if version is not None else sha,
                    automated=bool(automated),
                    team=field(extra, "team", source=NAME, required=False, prefix=prefix),
                    cause=field(extra, "cause", source=NAME, required=False, prefix=prefix),
                    note=field(extra, "note", source=NAME, required=False, prefix=prefix),
                    repository=field(data, "repository.full_name", source=NAME, required=False),
                    sha=sha,
                    url=url if isinstance(url, str) else None,
                    deployment_id=deployment.get("id"),
                    actor=field(data, "sender.login", source=NAME, required=False)
                    or field(data, "deployment_status.creator.login", source=NAME, required=False),
                )
            ]
        )

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
        require_secret(NAME, secret)
        given = header(headers, "x-hub-signature-256")
        if not given:
            raise SignatureMismatch(f"{NAME}: X-Hub-Signature-256 header is missing")
        expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
            raise SignatureMismatch(f"{NAME}: X-Hub-Signature-256 does not match the body")


SOURCE = GitHubSource()
