"""`GET /api/v1/advice` and `GET /api/v1/readiness`: from rate to action (issue 10).

The same options and JSON as the CLI's `--format json`: one parser, one implementation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from rollback_rate.aggregation import ReadinessQuery, parse_query
from rollback_rate.ledger import Ledger
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES
from rollback_rate.service.routes_events import json_response
from rollback_rate.service.schema import NAME, TIMESTAMP, WINDOW, reject_unknown_query, schema_of
from rollback_rate.service.state import get_ledger

router = APIRouter(prefix="/api/v1", tags=["action"], dependencies=[Depends(reject_unknown_query)])

Text = Annotated[str | None, Query(description="Exact name.", json_schema_extra=NAME)]


class AdviceResponse(BaseModel):
    """The advice of `rollback-rate advise --format json` (see the README)."""

    as_of: str
    window_hours: float
    filters: dict[str, Any]
    period: dict[str, Any]
    previous_period: dict[str, Any] | None
    overall: dict[str, Any]
    groups: list[dict[str, Any]]


@router.get(
    "/advice",
    summary="Where to invest: causes of rollbacks, ranked",
    response_model=AdviceResponse,
    responses=ERROR_RESPONSES,
)
def get_advice(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    window: Annotated[
        str, Query(description="Observation window: 7d, 36h.", json_schema_extra=WINDOW)
    ] = "7d",
    as_of: Annotated[
        str | None, Query(description="As of (default now).", json_schema_extra=TIMESTAMP)
    ] = None,
    by: Annotated[
        str | None,
        Query(
            description="team or model.",
            json_schema_extra=schema_of(type="string", enum=["team", "model"]),
        ),
    ] = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Annotated[
        str | None,
        Query(
            description="Deployments at or after (default: 90 days before until or as_of).",
            json_schema_extra=TIMESTAMP,
        ),
    ] = None,
    until: Annotated[
        str | None, Query(description="Deployments at or before.", json_schema_extra=TIMESTAMP)
    ] = None,
) -> Response:
    """The same options and JSON as `rollback-rate advise --format json`."""
    query = parse_query(window=window, as_of=as_of, by=by, model=model,
                        environment=environment, team=team, since=since, until=until)  # fmt: skip
    return json_response(ledger.advice(query).as_dict())


class ReadinessResponse(BaseModel):
    """The readiness of `rollback-rate readiness --format json` (see the README)."""

    as_of: str
    max_days_since_exercised: float
    filters: dict[str, Any]
    counts: dict[str, int]
    streams: list[dict[str, Any]]


@router.get(
    "/readiness",
    summary="Rollback readiness of every live stream",
    response_model=ReadinessResponse,
    responses=ERROR_RESPONSES,
)
def get_readiness(
    _token: Annotated[Any, Depends(require_scope("read"))],
    ledger: Annotated[Ledger, Depends(get_ledger)],
    model: Text = None,
    environment: Text = None,
    team: Text = None,
) -> Response:
    """The same JSON as `rollback-rate readiness --format json`: per live stream, the
    rollback target, whether its artefact and digest are known, when rolling back was
    last exercised, and the verdict with its reasons, worst first."""
    return json_response(ledger.readiness(ReadinessQuery(model, environment, team)).as_dict())
