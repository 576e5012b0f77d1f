"""Recent rollbacks and the time-to-rollback distribution, in the API's JSON shape.

Pure: functions of the query and what the read model counted (issue 11's dashboard views).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rollback_rate.aggregation import ReportQuery, RolledBackDeployment
from rollback_rate.timeutil import MICROS_PER_HOUR, iso_utc

# Bucket edges of the distribution, in hours: fine where most rollbacks happen (the first
# day), coarser after; the window's own edge is always added, so a bucket never straddles it.
EDGE_HOURS = (1, 2, 4, 8, 12, 24, 48, 72, 120, 168, 336, 720)


def delay_edges(window: int) -> list[int]:
    """Bucket edges in microseconds, ascending, the window among them."""
    return sorted({hours * MICROS_PER_HOUR for hours in EDGE_HOURS} | {window})


def _filters(query: ReportQuery) -> dict[str, Any]:
    return {
        "model": query.model,
        "environment": query.environment,
        "team": query.team,
        "since": iso_utc(query.since) if query.since is not None else None,
        "until": iso_utc(query.until) if query.until is not None else None,
    }


def rollbacks_document(query: ReportQuery, rows: Sequence[RolledBackDeployment]) -> dict[str, Any]:
    """`GET /api/v1/rollbacks`: each rolled-back deployment, newest rollback first."""
    return {
        "as_of": iso_utc(query.as_of),
        "window_hours": query.window / MICROS_PER_HOUR,
        "filters": _filters(query),
        "rollbacks": [
            {
                "model": row.model,
                "environment": row.environment,
                "team": row.team,
                "from_version": row.from_version,
                "to_version": row.to_version,
                "deployed_at": iso_utc(row.deployed_at),
                "rolled_back_at": iso_utc(row.rolled_back_at),
                "hours_after_deployment": (row.rolled_back_at - row.deployed_at) / MICROS_PER_HOUR,
                "within_window": row.rolled_back_at - row.deployed_at <= query.window,
                "automated": row.automated,
                "cause": row.cause,
                "rollback_id": row.rollback_id,
            }
            for row in rows
        ],
    }


def time_to_rollback_document(
    query: ReportQuery, edges: Sequence[int], counts: Sequence[int]
) -> dict[str, Any]:
    """`GET /api/v1/time-to-rollback`: rolled-back deployments per delay bucket.

    Bucket i holds delays in (from_hours, to_hours] (the first from 0 inclusive, the last
    has no upper bound). Every bucket up to the window is listed, then those after it up to
    the last that holds a rollback. `rollbacks` (within the window) and `late_rollbacks`
    equal the report's figures for the same filters.
    """
    bounds = [0, *edges]
    window_index = edges.index(query.window)
    buckets = []
    for index, n in enumerate(counts):
        upper = edges[index] if index < len(edges) else None
        buckets.append(
            {
                "from_hours": bounds[index] / MICROS_PER_HOUR,
                "to_hours": None if upper is None else upper / MICROS_PER_HOUR,
                "count": n,
                "within_window": index <= window_index,
            }
        )
    last = max([window_index, *(i for i, n in enumerate(counts) if n)])
    return {
        "as_of": iso_utc(query.as_of),
        "window_hours": query.window / MICROS_PER_HOUR,
        "filters": _filters(query),
        "rollbacks": sum(counts[: window_index + 1]),
        "late_rollbacks": sum(counts[window_index + 1 :]),
        "buckets": buckets[: last + 1],
    }
