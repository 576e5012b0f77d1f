"""GitLab deployment events (``object_kind: "deployment"``, ``X-Gitlab-Event: Deployment Hook``).

GitLab fires the hook on every status change (``running``, ``success``, ``failed``,
``canceled``); only ``success`` is a completed deployment, the others are ignored with a
reason.  GitLab's "rollback" button re-deploys an older commit, which arrives as a plain
successful deployment; the core infers the rollback from the version history.

Mapping: model = ``project.name`` (GitLab deployments carry no free-form payload, so the
project is the model); version = the full commit ``sha`` (comparable across pipelines,
unlike job ids); environment = ``environment``; time = ``status_changed_at``, which GitLab
writes as ``2021-04-28 21:50:00 +0200`` and is normalised to UTC ``Z``.  Id =
``gitlab:deployment:<deployment_id>:success``: a deployment reaches ``success`` once, and
the id survives GitLab's redelivery of the same hook.

Authentication: GitLab sends the configured secret token verbatim in ``X-Gitlab-Token``;
it is compared in constant time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rollback_rate.errors import SignatureMismatch
from rollback_rate.sources.base import (
    BaseSource,
    SourceOptions,
    Translation,
    check_model,
    constant_time_equal,
    event,
    field,
    header,
    require_object,
    require_secret,
    utc_text,
)

NAME = "gitlab"


class GitLabSource(BaseSource):
    name = NAME
    authenticates = True

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        kind = field(data, "object_kind", source=NAME)
        if kind != "deployment":
            return Translation.skip(f"gitlab {kind} event is not a deployment event")
        status = field(data, "status", source=NAME)
        if status != "success":
            return Translation.skip(
                f"gitlab deployment status '{status}' is not a completed deployment"
            )
        deployment_id = field(data, "deployment_id", source=NAME, expected=(int, str))
        project = check_model(NAME, field(data, "project.name", source=NAME), "project.name")
        user = data.get("user")
        return Translation(
            events=[
                event(
                    kind="deployment",
                    source=NAME,
                    event_id=f"gitlab:deployment:{deployment_id}:success",
                    model=project,
                    environment=field(data, "environment", source=NAME),
                    timestamp=utc_text(
                        field(data, "status_changed_at", source=NAME),
                        source=NAME,
                        path="status_changed_at",
                    ),
                    version=field(data, "sha", source=NAME),
                    repository=field(
                        data, "project.path_with_namespace", source=NAME, required=False
                    ),
                    sha=data.get("sha"),
                    ref=field(data, "ref", source=NAME, required=False),
                    url=field(data, "environment_external_url", source=NAME, required=False)
                    or field(data, "deployable_url", source=NAME, required=False),
                    deployment_id=deployment_id,
                    user=user.get("username") if isinstance(user, Mapping) else None,
                )
            ]
        )

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
        require_secret(NAME, secret)
        token = header(headers, "x-gitlab-token")
        if not token:
            raise SignatureMismatch(f"{NAME}: X-Gitlab-Token header is missing")
        if not constant_time_equal(token, secret):
            raise SignatureMismatch(f"{NAME}: X-Gitlab-Token does not match the configured secret")


SOURCE = GitLabSource()
