"""`GET /api/v1/report` and `GET /api/v1/models`: read-only views over the projection.

The report is `ledger.report(parse_query(...)).as_dict()`, exactly what
`rollback-rate report --format json` prints: one parser, one implementation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from rollback_rate.aggregation import parse_query
from rollback_rate.aggregation.periods import time_zone_names
from rollback_rate.aggregation.query import ORDERS
from rollback_rate.ledger import Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES
from rollback_rate.service.response_cache import kept_json
from rollback_rate.service.schema import (
    BY,
    NAME,
    PERIOD,
    TIMESTAMP,
    WINDOW,
    reject_unknown_query,
    schema_of,
)
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
    tz: str
    filters: dict[str, Any]
    overall: dict[str, Any]
    groups: list[dict[str, Any]]
    periods: list[dict[str, Any]]
    failed_rollbacks: dict[str, Any]


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
    request: Request,
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
    order: Annotated[
        str,
        Query(
            description="How groups are listed: by name, raw rate or shrunk estimate.",
            json_schema_extra=schema_of(type="string", enum=list(ORDERS)),
        ),
    ] = "name",
    tz: Annotated[
        str | None,
        Query(
            description="IANA time zone of period boundaries and bare dates, e.g. "
            "Europe/Berlin (default UTC); times in the JSON stay UTC.",
            json_schema_extra=schema_of(type="string", enum=time_zone_names()),
        ),
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
        order=order,
        tz=tz,
    )
    return kept_json(request, ledger, lambda: ledger.report(query).as_dict())


@router.get(
    "/models",
    summary="Models, their live versions and current rates",
    response_model=ModelsResponse,
    responses=ERROR_RESPONSES,
)
def get_models(
    request: Request,
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
    return kept_json(request, ledger, lambda: ledger.models(query))


class RolledBack(BaseModel):
    model: str
    environment: str
    team: str | None
    from_version: str
    to_version: str | None
    deployed_at: str
    rolled_back_at: str
    hours_after_deployment: float
    within_window: bool
    automated: bool
    cause: str
    rollback_id: str


class RollbacksResponse(BaseModel):
    as_of: str
    window_hours: float
    filters: dict[str, Any]
    rollbacks: list[RolledBack]


class DelayBucket(BaseModel):
    from_hours: float
    to_hours: float | None
    count: int
    within_window: bool


class TimeToRollbackResponse(BaseModel):
    as_of: str
    window_hours: float
    filters: dict[str, Any]
    rollbacks: int
    late_rollbacks: int
    buckets: list[DelayBucket]


AsOf = Annotated[str | None, Query(description="As of (default now).", json_schema_extra=TIMESTAMP)]
Since = Annotated[
    str | None, Query(description="Deployments at or after.", json_schema_extra=TIMESTAMP)
]
Until = Annotated[
    str | None, Query(description="Deployments at or before.", json_schema_extra=TIMESTAMP)
]


@router.get(
    "/rollbacks",
    summary="Recent rollbacks, one row per rolled-back deployment",
    response_model=RollbacksResponse,
    responses=ERROR_RESPONSES,
)
def get_rollbacks(
    request: Request,
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Window = "7d",
    as_of: AsOf = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=500, description="How many, newest first.")] = 20,
) -> Response:
    """The latest rolled-back deployments by rollback time (late ones included, flagged by
    `within_window`): the version rolled back (`from_version`), the version restored
    (`to_version`), cause, automation and hours after deployment. Filters as the report's."""
    query = parse_query(
        window=window, as_of=as_of, model=model, environment=environment, team=team,
        since=since, until=until,
    )  # fmt: skip
    return kept_json(request, ledger, lambda: ledger.recent_rollbacks(query, limit))


@router.get(
    "/time-to-rollback",
    summary="Distribution of time from deployment to rollback",
    response_model=TimeToRollbackResponse,
    responses=ERROR_RESPONSES,
)
def get_time_to_rollback(
    request: Request,
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Window = "7d",
    as_of: AsOf = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Since = None,
    until: Until = None,
) -> Response:
    """Rolled-back deployments counted per bucket of hours after deployment, `(from_hours,
    to_hours]`; the window is a bucket edge, and buckets after it hold late rollbacks."""
    query = parse_query(
        window=window, as_of=as_of, model=model, environment=environment, team=team,
        since=since, until=until,
    )  # fmt: skip
    return kept_json(request, ledger, lambda: ledger.time_to_rollback(query))
