"""GitLab deployment events (``object_kind: "deployment"``, ``X-Gitlab-Event: Deployment Hook``).

GitLab fires the hook on every status change (``running``, ``success``, ``failed``,
``canceled``); only ``success`` is a completed deployment, the others are ignored with a
reason.  GitLab's "rollback" button re-deploys an older commit, which arrives as a plain
successful deployment; the core infers the rollback from the version history.

Mapping: model = ``project.name`` (GitLab deployments carry no free-form payload, so the
project is the model); version = the full commit sha at the end of ``commit_url``
(``.../-/commit/<sha>``), else ``short_sha``: the hook has no ``sha`` field (GitLab's
``lib/gitlab/data_builder/deployment.rb`` sends only these two), and a commit sha stays
comparable across pipelines, unlike job ids; environment = ``environment``; time =
``status_changed_at``, which GitLab writes as ``2021-04-28 21:50:00 +0200`` and is
normalised to UTC ``Z``; actor = ``user.username`` (null for deployments without a user);
``ref`` is kept when sent (the current payload builder adds it).  No artifact or digest:
the hook names a commit, not a built artifact.  Id =
``gitlab:deployment:<deployment_id>:success``: a deployment reaches ``success`` once, and
the id survives GitLab's redelivery of the same hook.

Authentication: GitLab sends the configured secret token verbatim in ``X-Gitlab-Token``;
it is compared in constant time.
"""

from __future__ import annotations

import re
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
# GitLab's UrlBuilder writes commit URLs as .../-/commit/<sha> (older GitLab: .../commit/<sha>);
# SHA-256 repositories have 64 hex digits.
_COMMIT_SHA = re.compile(r"/commit/([0-9a-f]{40}|[0-9a-f]{64})/?$")


def _commit_sha(data: Mapping[str, Any]) -> str | None:
    """The full commit sha that ends ``commit_url``, if it names one."""
    url = field(data, "commit_url", source=NAME, required=False)
    match = _COMMIT_SHA.search(url) if url else None
    return match.group(1) if match else None


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
        sha = _commit_sha(data)
        short_sha = field(data, "short_sha", source=NAME, required=sha is None)
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
                    version=sha or short_sha,
                    repository=field(
                        data, "project.path_with_namespace", source=NAME, required=False
                    ),
                    sha=sha,
                    short_sha=short_sha,
                    ref=field(data, "ref", source=NAME, required=False),
                    url=field(data, "environment_external_url", source=NAME, required=False)
                    or field(data, "deployable_url", source=NAME, required=False),
                    deployment_id=deployment_id,
                    actor=field(data, "user.username", source=NAME, required=False),
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
