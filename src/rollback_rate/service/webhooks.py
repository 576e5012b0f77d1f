"""`POST /webhooks/{source}`: deliveries from CI/CD and registries become events.

One route per webhook source (so OpenAPI documents each one's authentication and the
request metrics label each separately), plus a hidden catch-all that answers 404 with
the known sources. A delivery is authenticated first, then handed to the ledger, which
verifies a signing source's signature, translates with the source's pure adapter and
records (the same validation and idempotency as `POST /api/v1/events` and
`rollback-rate import`):

- sources with a signature of their own (`authenticates=True`) are checked against the
  secret stored with `rollback-rate webhooks add SOURCE --secret ...`; no secret stored
  or a signature that does not verify: 401, nothing read further, nothing stored;
- sources without one (CDEvents, Argo Rollouts) need an API token with scope `ingest`,
  exactly like `POST /api/v1/events` (and `--no-auth` admits everyone, likewise).

Options come from query parameters so operators configure them in the webhook URL:
`?map_alias=champion=production` (repeatable) and `?environment=prod-eu`.
"""

# No `from __future__ import annotations`: the routes are built per source in closures,
# and FastAPI must see their annotations (which name per-source dependencies) evaluated.

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel

from rollback_rate.aggregation.query import check_name
from rollback_rate.ledger import Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES, ApiError, ErrorEnvelope
from rollback_rate.service.routes_events import json_response, read_body
from rollback_rate.service.schema import (
    MAP_ALIAS_ITEM,
    MAP_ALIAS_PATTERN,
    NAME,
    reject_unknown_query,
    schema_of,
)
from rollback_rate.service.state import get_ledger
from rollback_rate.sources import SOURCES, Source, SourceOptions, get_source

router = APIRouter(tags=["webhooks"], dependencies=[Depends(reject_unknown_query)])

_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# name -> (summary, how it authenticates, what it records); the order is the docs' order.
_ROUTES: dict[str, tuple[str, str, str]] = {
    "cdevents": (
        "Receive a CDEvent (CloudEvents structured or binary mode, or plain JSON)",
        "Send `Authorization: Bearer <API token with scope ingest>`.",
        "`service.deployed` and `service.upgraded` are deployments, `service.rolledback` "
        "a rollback; other CDEvents are ignored (202).",
    ),
    "mlflow": (
        "Receive an MLflow 3 model registry webhook",
        "Signed by MLflow: `X-MLflow-Signature`, `X-MLflow-Delivery-Id` and "
        "`X-MLflow-Timestamp` (deliveries more than 5 minutes off are refused).",
        "`model_version_alias.created` is a deployment to the alias (mapped with "
        "`map_alias`); moving an alias back to an older version is a rollback.",
    ),
    "github": (
        "Receive a GitHub deployment_status webhook",
        "Signed by GitHub: `X-Hub-Signature-256: sha256=<HMAC of the body>`.",
        "A `deployment_status` with state `success` is a deployment; other states, "
        "`ping` and other events are ignored (202).",
    ),
    "gitlab": (
        "Receive a GitLab deployment webhook",
        "GitLab sends the secret token as `X-Gitlab-Token`.",
        "A deployment hook with status `success` is a deployment; other statuses are "
        "ignored (202).",
    ),
    "argo-rollouts": (
        "Receive an Argo Rollouts notification",
        "Send `Authorization: Bearer <API token with scope ingest>`.",
        "`on-rollout-completed` is a deployment, `on-rollout-aborted` an automated "
        "rollback (with the aborted canary recorded as a deployment).",
    ),
    "sagemaker": (
        "Receive a SageMaker endpoint deployment event (EventBridge API destination)",
        "Send the secret as `X-Rollback-Rate-Token` (or `Authorization: Bearer <secret>`).",
        "`IN_SERVICE` is a deployment, `ROLLING_BACK` an automated rollback, "
        "`UPDATE_ROLLBACK_FAILED` a failed rollback; other states are ignored (202).",
    ),
}
# The header each signing source authenticates with: documented as its OpenAPI security.
_SIGNATURE_HEADERS = {
    "mlflow": "X-MLflow-Signature",
    "github": "X-Hub-Signature-256",
    "gitlab": "X-Gitlab-Token",
    "sagemaker": "X-Rollback-Rate-Token",
}
WEBHOOK_SOURCES: tuple[str, ...] = tuple(_ROUTES)
_MAP_ALIAS = re.compile(MAP_ALIAS_PATTERN)

MapAlias = Annotated[
    list[str] | None,
    Query(
        description="MLflow alias to environment, `ALIAS=ENVIRONMENT`; repeatable "
        "(`?map_alias=champion=production&map_alias=challenger=staging`).",
        json_schema_extra=schema_of(type="array", items=MAP_ALIAS_ITEM),
    ),
]
DefaultEnvironment = Annotated[
    str | None,
    Query(
        description="Environment for payloads that name none (SageMaker endpoints "
        "without an environment tag, Argo Rollouts without namespace); default production.",
        json_schema_extra=NAME,
    ),
]


class WebhookRecorded(BaseModel):
    """The delivery's events were stored (or were already stored: `duplicates`)."""

    status: str = "recorded"
    stored: int
    duplicates: int
    events: list[str]


class WebhookIgnored(BaseModel):
    """A valid delivery that says nothing about deployments or rollbacks."""

    status: str = "ignored"
    reason: str


def deliver(
    ledger: Ledger, source: Source, request: Request, body: bytes, options: SourceOptions
) -> Response:
    """Hand an authenticated delivery to the ledger and answer what it did.

    InvalidPayload (422, naming the field), InvalidInput (422, every problem located as
    `<source> event N`) and SignatureMismatch (401) propagate to the service's error
    handlers; nothing is stored.
    """
    delivery = ledger.deliver(source.name, body, _headers(request), options)
    if delivery.ignored is not None:
        return json_response({"status": "ignored", "reason": delivery.ignored}, status=202)
    return json_response(
        {
            "status": "recorded",
            "stored": delivery.stored,
            "duplicates": delivery.duplicates,
            "events": delivery.event_ids,
        }
    )


def parse_options(map_alias: list[str] | None, environment: str | None) -> SourceOptions:
    """Query parameters to adapter options; a malformed pair is a 422 naming it."""
    alias_map: dict[str, str] = {}
    for pair in map_alias or []:
        alias, _, target = pair.partition("=")
        if not _MAP_ALIAS.fullmatch(pair):  # the schema's pattern: neither side blank, no NUL
            reason = f"{pair!r} is not ALIAS=ENVIRONMENT (e.g. champion=production)"
            raise ApiError(
                422,
                "invalid_option",
                f"map_alias {reason}",
                [{"location": "query.map_alias", "field": "map_alias", "reason": reason}],
            )
        alias_map[alias.strip()] = target.strip()
    check_name(environment, "environment")  # the schema's NAME: 1 to 200 characters, no NUL
    return SourceOptions(alias_map=alias_map, environment=(environment or "").strip() or None)


def _headers(request: Request) -> dict[str, str]:
    return {key.lower(): value for key, value in request.headers.items()}


def _stored_secret(source: Source) -> Callable[..., str]:
    """Dependency: the secret stored for `source`, else 401 telling how to store one."""
    documented = APIKeyHeader(
        name=_SIGNATURE_HEADERS[source.name],
        scheme_name=f"{source.name}-signature",
        description=_ROUTES[source.name][1],
        auto_error=False,
    )

    def dependency(
        ledger: Annotated[Ledger, Depends(get_ledger)],
        _signature: Annotated[str | None, Depends(documented)],
    ) -> str:
        secret = ledger.webhook_secret(source.name)
        if not secret:
            raise ApiError(
                401,
                "unauthorized",
                f"no webhook secret is configured for source {source.name!r}; run "
                f"`rollback-rate webhooks add {source.name} --secret ...` with the secret "
                "the sender signs with",
                headers=_CHALLENGE,
            )
        return secret

    dependency.__name__ = f"{source.name.replace('-', '_')}_secret"
    return dependency


def _signed_route(source: Source) -> Callable[..., Response]:
    def receive(
        request: Request,
        _secret: Annotated[str, Depends(_stored_secret(source))],  # first: 401 before the body
        body: Annotated[bytes, Depends(read_body)],
        ledger: Annotated[Ledger, Depends(get_ledger)],
        map_alias: MapAlias = None,
        environment: DefaultEnvironment = None,
    ) -> Response:
        options = parse_options(map_alias, environment)
        return deliver(ledger, source, request, body, options)

    return receive


def _token_route(source: Source) -> Callable[..., Response]:
    def receive(
        request: Request,
        _token: Annotated[Any, Depends(require_scope("ingest"))],  # first: no body read without
        body: Annotated[bytes, Depends(read_body)],
        ledger: Annotated[Ledger, Depends(get_ledger)],
        map_alias: MapAlias = None,
        environment: DefaultEnvironment = None,
    ) -> Response:
        options = parse_options(map_alias, environment)
        return deliver(ledger, source, request, body, options)

    return receive


def _responses(signed: bool) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        **ERROR_RESPONSES,
        202: {"model": WebhookIgnored, "description": "Valid but irrelevant; nothing stored"},
        413: {"model": ErrorEnvelope, "description": "Body too large"},
    }
    if signed:
        responses.pop(403)
        responses[401] = {
            "model": ErrorEnvelope,
            "description": "No secret stored for the source (`unauthorized`), or the "
            "signature does not verify (`signature_mismatch`); nothing stored",
        }
    return responses


def _register(name: str) -> None:
    source = get_source(name)
    summary, authentication, records = _ROUTES[name]
    signed = source.authenticates
    if signed:
        setup = f"Store the shared secret first: `rollback-rate webhooks add {name} --secret -`."
    else:
        setup = "Create a token with `rollback-rate tokens create --name NAME --scope ingest`."
    router.add_api_route(
        f"/webhooks/{name}",
        _signed_route(source) if signed else _token_route(source),
        methods=["POST"],
        summary=summary,
        description=(
            f"{authentication} {setup}\n\n{records}\n\n"
            "Answers 200 `recorded` with the event ids (`duplicates` counts events already "
            "stored, e.g. a redelivery), 202 `ignored` with the reason, or an error "
            "envelope: 422 for a malformed payload (the message names the field)."
        ),
        response_model=WebhookRecorded,
        response_description="Recorded: the delivery's event ids (`duplicates`: already stored)",
        responses=_responses(signed),
        operation_id=f"webhook_{name.replace('-', '_')}",
    )


for _name in WEBHOOK_SOURCES:
    _register(_name)


@router.post("/webhooks/{source}", include_in_schema=False)
def unknown_webhook(source: str) -> Response:
    """Any other name, including import-only sources (k8s-replicasets): 404."""
    known = ", ".join(WEBHOOK_SOURCES)
    hint = ""
    if source in SOURCES:
        hint = f" ({source} is import-only: `rollback-rate import FILE --format {source}`)"
    raise ApiError(
        404, "unknown_source", f"no webhook source {source!r}{hint}; webhook sources are: {known}"
    )
