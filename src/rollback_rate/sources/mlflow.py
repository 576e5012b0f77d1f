"""MLflow 3.x Model Registry webhooks: an alias move is a deployment.

MLflow posts ``{"entity": ..., "action": ..., "timestamp": <ISO time>, "data": {...}}``.
Only ``model_version_alias.created`` (``data = {"name", "alias", "version"}``) matters: it
points an alias such as ``champion`` at a version, which is how MLflow users promote and
roll back models.  Moving the alias back to an older version is just another deployment;
the core infers the rollback from the version history.  Everything else is ignored.

Mapping: model = ``data.name``; environment = ``options.alias_map[alias]`` or the alias
itself; version = ``data.version``; time = the body's ``timestamp``, else the
``X-MLflow-Timestamp`` header (unix seconds), else now.  No artifact, digest or actor: the
alias payload is ``{"name", "alias", "version"}`` only (``ModelVersionAliasCreatedPayload``
in ``mlflow/webhooks/types.py``; the version's ``source`` URI travels only in
``model_version.created``), and no MLflow webhook payload names the user who acted.

Id choice.  MLflow (``mlflow/webhooks/delivery.py``) creates ``X-MLflow-Delivery-Id`` (a
uuid4), ``X-MLflow-Timestamp`` and the body ``timestamp`` once per send; the HTTP retries
of that send repeat the same bytes and headers.  The delivery id must never be the key,
and name+alias+version alone is wrong too: moving ``champion`` 3 -> 4 -> 3 is a rollback
whose second "3" must not collapse into the first.  So the id is
``mlflow:<name>:<alias>:<version>:<body timestamp>``: stable across retries and
re-imports of the same body, distinct for each alias move.  Without a body timestamp the
header's is used; with neither, the id has no time part (documented degradation).

Signature: ``X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret,
"<delivery id>.<timestamp>.<raw body>")>``; deliveries older (or newer) than five minutes
are refused as replays.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    format_utc,
    header,
    parse_time,
    require_object,
    require_secret,
)

NAME = "mlflow"
TOLERANCE_SECONDS = 300
_ALIAS_CREATED = "model_version_alias.created"


class MLflowSource(BaseSource):
    name = NAME
    authenticates = True

    def translate(
        self, payload: Any, headers: Mapping[str, str], options: SourceOptions
    ) -> Translation:
        data = require_object(NAME, payload)
        entity = field(data, "entity", source=NAME)
        action = field(data, "action", source=NAME)
        kind = f"{entity}.{action}"
        if kind != _ALIAS_CREATED:
            return Translation.skip(f"mlflow event {kind} does not move a model alias")
        name = check_model(NAME, field(data, "data.name", source=NAME), "data.name")
        alias = field(data, "data.alias", source=NAME)
        version = field(data, "data.version", source=NAME, expected=(str, int))
        version = str(version)

        body_time = field(data, "timestamp", source=NAME, required=False)
        header_time = header(headers, "x-mlflow-timestamp")
        if body_time is not None:
            moment = parse_time(body_time, source=NAME, path="timestamp")
        elif header_time is not None:
            moment = parse_time(
                _header_seconds(header_time), source=NAME, path="X-MLflow-Timestamp header"
            )
        else:
            moment = options.current_time()
        when = format_utc(moment)
        stamp = when if (body_time is not None or header_time is not None) else None
        event_id = f"mlflow:{name}:{alias}:{version}" + (f":{stamp}" if stamp else "")
        return Translation(
            events=[
                event(
                    kind="deployment",
                    source=NAME,
                    event_id=event_id,
                    model=name,
                    environment=options.alias_map.get(alias, alias),
                    timestamp=when,
                    version=version,
                    alias=alias,
                    workspace=field(data, "workspace", source=NAME, required=False),
                )
            ]
        )

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str, now: datetime) -> None:
        require_secret(NAME, secret)
        signature = header(headers, "x-mlflow-signature")
        delivery_id = header(headers, "x-mlflow-delivery-id")
        timestamp = header(headers, "x-mlflow-timestamp")
        for label, value in (
            ("X-MLflow-Signature", signature),
            ("X-MLflow-Delivery-Id", delivery_id),
            ("X-MLflow-Timestamp", timestamp),
        ):
            if not value:
                raise SignatureMismatch(f"{NAME}: {label} header is missing")
        assert signature and delivery_id and timestamp  # narrowed for mypy
        try:
            sent = int(timestamp.strip())
        except ValueError:
            raise SignatureMismatch(f"{NAME}: X-MLflow-Timestamp is not unix seconds") from None
        age = now.timestamp() - sent
        if abs(age) > TOLERANCE_SECONDS:
            direction = "old" if age > 0 else "in the future"
            raise SignatureMismatch(
                f"{NAME}: delivery timestamp is {abs(int(age))}s {direction} "
                f"(tolerance {TOLERANCE_SECONDS}s); refusing a possible replay"
            )
        signed = delivery_id.encode() + b"." + timestamp.strip().encode() + b"." + body
        digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode("ascii")
        # Standard Webhooks allows several space-separated signatures (key rotation).
        candidates = signature.split()
        if not any(hmac.compare_digest(c.encode(), expected.encode()) for c in candidates):
            raise SignatureMismatch(f"{NAME}: X-MLflow-Signature does not match the body")


def _header_seconds(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InvalidPayload(f"{NAME}: X-MLflow-Timestamp header is not unix seconds") from None


SOURCE = MLflowSource()
