"""The models overview: live version, last deployment, last rollback and rate per stream.

The live version is the top of each stream's attribution stack; the rate comes from the
same report as everywhere else, grouped by model and environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, String, func, literal, select, union_all

from rollback_rate.aggregation import ReportQuery
from rollback_rate.metrics.report import build_report
from rollback_rate.store import Database
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import orphan_rollbacks as orphan
from rollback_rate.store.schema import streams
from rollback_rate.timeutil import iso_utc


def models_overview(database: Database, query: ReportQuery) -> dict[str, Any]:
    """`GET /api/v1/models`: every stream matching the query's model/environment filters."""
    model, environment = query.model, query.environment
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
    return {
        "as_of": head["as_of"],
        "window_hours": head["window_hours"],
        "models": [{"model": name, "environments": envs} for name, envs in by_model.items()],
    }


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
