"""The models overview: live version, last deployment, last rollback and rate per stream.

Pure: the live version is the top of each stream's attribution stack, as the read model
gives it, and the rate comes from the same summaries as every report.
"""

from __future__ import annotations

from typing import Any

from rollback_rate.aggregation import Counts, ReportQuery, StreamRow
from rollback_rate.aggregation.sql import Key
from rollback_rate.metrics.summary import summarise
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc


def models_overview(
    query: ReportQuery, counts: dict[Key, Counts], rows: list[StreamRow]
) -> dict[str, Any]:
    """`GET /api/v1/models`: every stream the read model gave, grouped by model."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        tally = counts.get((row.model, row.environment))
        summary = summarise(tally) if tally is not None else None
        by_model.setdefault(row.model, []).append(
            {
                "environment": row.environment,
                "team": row.team,
                "live_version": row.live_version,
                "last_deployment": row.last_deployment,
                "last_rollback": row.last_rollback,
                "deployments": summary.deployments if summary else 0,
                "settled": summary.settled if summary else 0,
                "pending": summary.pending if summary else 0,
                "rollbacks": summary.rollbacks if summary else 0,
                "rollback_rate": summary.rollback_rate if summary else None,
                "band": summary.band if summary else None,
            }
        )
    return {
        "as_of": iso_utc(query.as_of),
        "window_hours": query.window / MICROS_PER_HOUR,
        "models": [{"model": name, "environments": envs} for name, envs in by_model.items()],
    }
