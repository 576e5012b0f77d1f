"""`GET /api/v1/report` and `GET /api/v1/models`: read-only views over the projection.

The report is `ledger.report(parse_query(...)).as_dict()`, exactly what
`rollback-rate report --format json` prints: one parser, one implementation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from rollback_rate.aggregation import parse_query
from rollback_rate.ledger import Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES
from rollback_rate.service.routes_events import json_response
from rollback_rate.service.schema import BY, NAME, PERIOD, TIMESTAMP, WINDOW, reject_unknown_query
from rollback_rate.service.state import get_ledger

router = APIRouter(prefix="/api/v1", tags=["report"], dependencies=[Depends(reject_unknown_query)])

Window = Annotated[
    str, Query(description="Observation window after each deployment.", json_schema_extra=WINDOW)
]
Text = Annotated[str | None, Query(description="Exact name.", json_schema_extra=NAME)]
Time = Annotated[str | None, Query(json_schema_extra=TIMESTAMP)]


class ReportResponse(BaseModel):
    """The JSON report of `rollback-rate report --format json` (see the README)."""

    as_of: str
    window_hours: float
    filters: dict[str, Any]
    overall: dict[str, Any]
    groups: list[dict[str, Any]]
    periods: list[dict[str, Any]]


class ModelEnvironment(BaseModel):
    environment: str
    team: str | None
    live_version: str | None
    last_deployment: dict[str, Any] | None
    last_rollback: dict[str, Any] | None
    deployments: int
    settled: int
    pending: int
    rollbacks: int
    rollback_rate: float | None
    band: str | None


class ModelEntry(BaseModel):
    model: str
    environments: list[ModelEnvironment]


class ModelsResponse(BaseModel):
    as_of: str
    window_hours: float
    models: list[ModelEntry]


@router.get(
    "/report",
    summary="Model Rollback Rate report",
    response_model=ReportResponse,
    responses=ERROR_RESPONSES,
)
def get_report(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Window = "7d",
    as_of: Annotated[
        str | None, Query(description="Default now.", json_schema_extra=TIMESTAMP)
    ] = None,
    by: Annotated[str | None, Query(json_schema_extra=BY)] = None,
    period: Annotated[
        str | None, Query(description="week or month.", json_schema_extra=PERIOD)
    ] = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Annotated[
        str | None, Query(description="Deployments at or after.", json_schema_extra=TIMESTAMP)
    ] = None,
    until: Annotated[
        str | None, Query(description="Deployments at or before.", json_schema_extra=TIMESTAMP)
    ] = None,
) -> Response:
    """The same options and JSON as `rollback-rate report --format json`."""
    query = parse_query(
        window=window,
        as_of=as_of,
        by=by,
        period=period,
        model=model,
        environment=environment,
        team=team,
        since=since,
        until=until,
    )
    return json_response(ledger.report(query).as_dict())


@router.get(
    "/models",
    summary="Models, their live versions and current rates",
    response_model=ModelsResponse,
    responses=ERROR_RESPONSES,
)
def get_models(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Window = "7d",
    model: Text = None,
    environment: Text = None,
) -> Response:
    """Per model and environment: the live version (top of the attribution stack), the
    last counted deployment, the last rollback and the settled rate over `window`."""
    query = parse_query(
        window=window, as_of=None, by="model,environment", model=model, environment=environment
    )
    return json_response(ledger.models(query))
