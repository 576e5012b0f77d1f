"""`GET /api/v1/report` and `GET /api/v1/models`: read-only views over the projection.

The report is `build_report(parse_query(...)).as_dict()`, exactly what
`rollback-rate report --format json` prints: one parser, one implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Connection, String, func, literal, select, union_all

from rollback_rate.aggregation import parse_query
from rollback_rate.metrics import build_report
from rollback_rate.service.auth import require_scope
from rollback_rate.service.errors import ERROR_RESPONSES
from rollback_rate.service.routes_events import json_response
from rollback_rate.service.state import get_database
from rollback_rate.store import Database
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import orphan_rollbacks as orphan
from rollback_rate.store.schema import streams
from rollback_rate.timeutil import iso_utc

router = APIRouter(prefix="/api/v1", tags=["report"])

Window = Annotated[str, Query(description="Observation window after each deployment: 7d, 36h.")]
Text = Annotated[str | None, Query()]


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
    database: Annotated[Database, Depends(get_database)],
    window: Window = "7d",
    as_of: Annotated[str | None, Query(description="Report as of (default now).")] = None,
    by: Annotated[str | None, Query(description="model, environment and/or team.")] = None,
    period: Annotated[str | None, Query(description="week or month.")] = None,
    model: Text = None,
    environment: Text = None,
    team: Text = None,
    since: Annotated[str | None, Query(description="Deployments at or after.")] = None,
    until: Annotated[str | None, Query(description="Deployments at or before.")] = None,
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
    return json_response(build_report(database, query).as_dict())


@router.get(
    "/models",
    summary="Models, their live versions and current rates",
    response_model=ModelsResponse,
    responses=ERROR_RESPONSES,
)
def get_models(
    _token: Annotated[Any, Depends(require_scope("read"))],
    database: Annotated[Database, Depends(get_database)],
    window: Window = "7d",
    model: Text = None,
    environment: Text = None,
) -> Response:
    """Per model and environment: the live version (top of the attribution stack), the
    last counted deployment, the last rollback and the settled rate over `window`."""
    query = parse_query(
        window=window, as_of=None, by="model,environment", model=model, environment=environment
    )
    report = build_report(database, query)
    rates = {(key["model"], key["environment"]): summary for key, summary in report.groups}
    with database.read() as conn:
        stream_rows = conn.execute(
            select(
                streams.c.id,
                streams.c.model,
                streams.c.environment,
                streams.c.team,
                streams.c.stack,
            )
            .where(*_stream_filters(streams.c.model, streams.c.environment, model, environment))
            .order_by(streams.c.model, streams.c.environment)
        ).all()
        last_deploy = _last_deployments(conn, model, environment)
        last_rollback = _last_rollbacks(conn, model, environment)
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in stream_rows:
        stack = orjson.loads(row.stack)
        summary = rates.get((row.model, row.environment))
        by_model.setdefault(row.model, []).append(
            {
                "environment": row.environment,
                "team": row.team,
                "live_version": stack[-1][0] if stack else None,
                "last_deployment": last_deploy.get(row.id),
                "last_rollback": last_rollback.get(row.id),
                "deployments": summary.deployments if summary else 0,
                "settled": summary.settled if summary else 0,
                "pending": summary.pending if summary else 0,
                "rollbacks": summary.rollbacks if summary else 0,
                "rollback_rate": summary.rollback_rate if summary else None,
                "band": summary.band if summary else None,
            }
        )
    head = report.as_dict()
    return json_response(
        {
            "as_of": head["as_of"],
            "window_hours": head["window_hours"],
            "models": [{"model": name, "environments": envs} for name, envs in by_model.items()],
        }
    )


def _stream_filters(
    model_col: Any, env_col: Any, model: str | None, environment: str | None
) -> Sequence[ColumnElement[bool]]:
    clauses = []
    if model is not None:
        clauses.append(model_col == model)
    if environment is not None:
        clauses.append(env_col == environment)
    return clauses


def _last_deployments(
    conn: Connection, model: str | None, environment: str | None
) -> dict[int, dict[str, Any]]:
    order = (dep.c.deployed_at.desc(), dep.c.seq.desc())
    ranked = (
        select(
            dep.c.stream_id,
            dep.c.version,
            dep.c.deployed_at,
            func.row_number().over(partition_by=dep.c.stream_id, order_by=order).label("rn"),
        )
        .where(*_stream_filters(dep.c.model, dep.c.environment, model, environment))
        .subquery()
    )
    rows = conn.execute(select(ranked).where(ranked.c.rn == 1)).all()
    return {r.stream_id: {"version": r.version, "at": iso_utc(r.deployed_at)} for r in rows}


def _last_rollbacks(
    conn: Connection, model: str | None, environment: str | None
) -> dict[int, dict[str, Any]]:
    attributed = select(
        dep.c.stream_id,
        dep.c.rolled_back_at.label("at"),
        dep.c.rollback_seq.label("seq"),
        dep.c.rollback_automated.label("automated"),
        dep.c.rollback_cause.label("cause"),
        dep.c.version.label("version"),
    ).where(
        dep.c.rolled_back_at.is_not(None),
        *_stream_filters(dep.c.model, dep.c.environment, model, environment),
    )
    orphaned = select(
        orphan.c.stream_id,
        orphan.c.at,
        orphan.c.seq,
        orphan.c.automated,
        orphan.c.cause,
        literal(None, String).label("version"),
    ).where(*_stream_filters(orphan.c.model, orphan.c.environment, model, environment))
    both = union_all(attributed, orphaned).subquery()
    order = (both.c.at.desc(), both.c.seq.desc())
    ranked = select(
        both, func.row_number().over(partition_by=both.c.stream_id, order_by=order).label("rn")
    ).subquery()
    rows = conn.execute(select(ranked).where(ranked.c.rn == 1)).all()
    return {
        r.stream_id: {
            "at": iso_utc(r.at),
            "automated": bool(r.automated),
            "cause": r.cause,
            "rolled_back_version": r.version,
        }
        for r in rows
    }
