"""Amazon SageMaker endpoint deployments, from EventBridge.

Input is the EventBridge event ``detail-type: "SageMaker Endpoint Deployment State Change"``
(``"SageMaker Endpoint State Change"`` carries the same ``detail`` fields and is accepted
too; both yield the same ids, so subscribing to both does not double count).  The
``detail`` has ``EndpointName``, ``EndpointArn``, ``EndpointConfigName`` (the config
serving traffic), ``EndpointStatus``, epoch-millisecond ``CreationTime`` /
``LastModifiedTime``, ``Tags`` and, while an update is in flight,
``PendingDeploymentSummary.EndpointConfigName`` / ``StartTime`` (the new config).
Statuses are spelt ``IN_SERVICE`` in events and ``InService`` in the API: both are
normalised.

* ``InService`` -> deployment of ``EndpointConfigName``.
* ``RollingBack`` -> the automated rollback (alarm-driven auto-rollback or a failed
  update) back to ``EndpointConfigName`` (the old config, still current), preceded by a
  deployment of the pending config that was being rolled out (it took canary traffic but
  never reached InService, so no other event reports it; without it the core would pin the
  rollback on the old config).  Its time is ``PendingDeploymentSummary.StartTime``, else
  one second before the rollback with ``timestamp_estimated: true``.
* ``UpdateRollbackFailed`` -> ``type: "rollback_failed"`` (recorded, not attributed).
* anything else (Creating, Updating, Deleting, ...) is ignored.

model = ``EndpointName`` (tag ``rollback-rate/model`` overrides); environment = tag
``rollback-rate/environment`` / ``environment`` / ``env`` else ``options.environment``
else ``production``; team = tag ``team``; artifact (on deployments) = the endpoint config
name deployed: the event names configs by name only, not by ARN.  No digest and no actor:
the event carries neither a content hash nor who called ``UpdateEndpoint``.

Ids.  SageMaker "may send multiple events to EventBridge for each state change", each
with its own EventBridge ``id``, so that id would double count.  Ids are built from what
the duplicates share instead: ``sagemaker:<EndpointArn>:in_service:<config>:<LastModifiedTime>``
for deployments, and, for a rollback (which emits several ROLLING_BACK events as it
progresses), the failed attempt itself: ``sagemaker:<EndpointArn>:rollback:<pending
config>:<pending StartTime>`` (restored config + LastModifiedTime when no pending summary).
Times fall back to the envelope's ``time`` when ``LastModifiedTime`` is absent.

Authentication: events arrive through an EventBridge API destination whose connection
adds a header: ``X-Rollback-Rate-Token: <secret>`` (API key auth) or
``Authorization: Bearer <secret>``; compared in constant time.
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
    format_utc,
    header,
    parse_time,
    require_object,
    require_secret,
    shift,
)

NAME = "sagemaker"
DETAIL_TYPES = (
    "SageMaker Endpoint Deployment State Change",
    "SageMaker Endpoint State Change",
)
_ENVIRONMENT_TAGS = ("rollback-rate/environment", "rollback-rate:environment", "environment", "env")
_MODEL_TAGS = ("rollback-rate/model", "rollback-rate:model")


def normalise_status(status: str) -> str:
    """``IN_SERVICE`` / ``InService`` / ``in-service`` -> ``inservice``."""
    return re.sub(r"[^a-z]", "", status.lower())


def _tags(detail: Mapping[str, Any]) -> dict[str, str]:
    """Tags as a lower-cased dict; EventBridge sends an object, the API a Key/Value list."""
    raw = detail.get("Tags")
    pairs: list[tuple[Any, Any]] = []
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = [(t.get("Key"), t.get("Value")) for t in raw if isinstance(t, Mapping)]
    return {str(k).lower(): v for k, v in pairs if isinstance(v, str) and v}


def _first_tag(tags: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((tags[n] for n in names if n in tags), None)


def _stamp(value: Any, fallback: str) -> str:
    """The raw time as it appears in the id: epoch ms digits, or the given text.

    "SageMaker Endpoint State Change" writes epoch milliseconds as floats
    (``1592411994287.0``), the deployment family as integers: both must give one id.
    """
    if value is None:
        return fallback
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SageMakerSource(BaseSource):
    name = NAME
    authenticates = True

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        detail_type = field(data, "detail-type", source=NAME)
        if detail_type not in DETAIL_TYPES:
            return Translation.skip(
                f"sagemaker event '{detail_type}' is not an endpoint state change"
            )
        detail = field(data, "detail", source=NAME, expected=dict)
        status = field(detail, "EndpointStatus", source=NAME, prefix="detail.")
        state = normalise_status(status)
        if state not in ("inservice", "rollingback", "updaterollbackfailed"):
            return Translation.skip(
                f"sagemaker endpoint status '{status}' is not a completed deployment or rollback"
            )
        endpoint = field(detail, "EndpointName", source=NAME, prefix="detail.")
        arn = field(detail, "EndpointArn", source=NAME, prefix="detail.")
        config = field(detail, "EndpointConfigName", source=NAME, prefix="detail.")
        modified_raw = field(
            detail,
            "LastModifiedTime",
            source=NAME,
            expected=(int, float, str),
            required=False,
            prefix="detail.",
        )
        envelope_time = field(data, "time", source=NAME, required=modified_raw is None)
        if modified_raw is not None:
            moment = parse_time(modified_raw, source=NAME, path="detail.LastModifiedTime")
        else:
            moment = parse_time(envelope_time, source=NAME, path="time")
        stamp = _stamp(modified_raw, format_utc(moment))
        tags = _tags(detail)
        model_tag = _first_tag(tags, _MODEL_TAGS)
        common: dict[str, Any] = {
            "source": NAME,
            "model": check_model(NAME, model_tag, "detail.Tags") if model_tag else endpoint,
            "environment": _first_tag(tags, _ENVIRONMENT_TAGS) or options.default_environment(),
            "team": tags.get("team"),
            "endpoint_arn": arn,
            "region": field(data, "region", source=NAME, required=False),
        }
        if state == "inservice":
            return Translation(
                events=[
                    event(
                        kind="deployment",
                        event_id=f"sagemaker:{arn}:in_service:{config}:{stamp}",
                        version=config,
                        artifact=config,
                        timestamp=format_utc(moment),
                        **common,
                    ),
                ]
            )
        if state == "updaterollbackfailed":
            return Translation(
                events=[
                    event(
                        kind="rollback_failed",
                        version=config,
                        timestamp=format_utc(moment),
                        event_id=f"sagemaker:{arn}:update_rollback_failed:{config}:{stamp}",
                        automated=True,
                        **common,
                    ),
                ]
            )
        return Translation(events=self._rollback(detail, arn, config, moment, stamp, common))

    def _rollback(
        self,
        detail: Mapping[str, Any],
        arn: str,
        config: str,
        moment: datetime,
        stamp: str,
        common: dict[str, Any],
    ) -> list[dict[str, Any]]:
        prefix = "detail.PendingDeploymentSummary."
        pending = field(
            detail,
            "PendingDeploymentSummary",
            source=NAME,
            expected=dict,
            required=False,
            prefix="detail.",
        )
        pending_config = None
        if pending is not None:
            pending_config = field(
                pending, "EndpointConfigName", source=NAME, required=False, prefix=prefix
            )
        if not pending_config or pending_config == config:
            return [
                event(
                    kind="rollback",
                    version=config,
                    timestamp=format_utc(moment),
                    event_id=f"sagemaker:{arn}:rollback:{config}:{stamp}",
                    automated=True,
                    **common,
                )
            ]
        start_raw = field(
            pending,
            "StartTime",
            source=NAME,
            expected=(int, float, str),
            required=False,
            prefix=prefix,
        )
        if start_raw is not None:
            started, estimated = parse_time(start_raw, source=NAME, path=prefix + "StartTime"), None
            attempt = f"{pending_config}:{_stamp(start_raw, '')}"
        else:
            started, estimated = shift(moment, -1), True
            attempt = f"{pending_config}:{stamp}"
        return [
            event(
                kind="deployment",
                version=pending_config,
                artifact=pending_config,
                timestamp=format_utc(started),
                event_id=f"sagemaker:{arn}:deploy:{attempt}",
                timestamp_estimated=estimated,
                **common,
            ),
            event(
                kind="rollback",
                version=config,
                timestamp=format_utc(moment),
                event_id=f"sagemaker:{arn}:rollback:{attempt}",
                automated=True,
                rolled_back_version=pending_config,
                **common,
            ),
        ]

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
        require_secret(NAME, secret)
        token = header(headers, "x-rollback-rate-token")
        if token is None:
            authorization = header(headers, "authorization") or ""
            scheme, _, value = authorization.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        if not token:
            raise SignatureMismatch(
                f"{NAME}: neither X-Rollback-Rate-Token nor Authorization: Bearer is present"
            )
        if not constant_time_equal(token, secret):
            raise SignatureMismatch(f"{NAME}: the token does not match the configured secret")


SOURCE = SageMakerSource()
