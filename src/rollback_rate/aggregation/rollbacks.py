"""Rolled-back deployments one by one, and how long after deployment they were rolled back.

The dashboard's "recent rollbacks" and "time to rollback" views (issue 11). Both read the
rolled-back few through the partial index over `rolled_back_at`, with the report's filters
(since/until and the grouping filters by deployment time, nothing after `as_of`), late
rollbacks included: the distribution shows them beyond the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, or_, select, tuple_

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import report_filters
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events


@dataclass(frozen=True)
class RolledBackDeployment:
    """One counted deployment and the rollback that ended it; times in UTC microseconds."""

    model: str
    environment: str
    team: str | None
    from_version: str
    to_version: str | None
    deployed_at: int
    rolled_back_at: int
    automated: bool
    cause: str
    rollback_id: str


def _restored_version() -> object:
    """The version live once the rollback was done, as a column expression.

    A rollback that names a version other than the one it rolled back (or an older
    version deployed again: an inferred rollback) restored that version. One that names
    none, or names the version it rolled back, popped one entry: the version below it is
    the latest earlier deployment of the stream that this rollback had not yet rolled back
    (stack entries below a deployment outlive it). Not exact when the entry below was
    restored by an earlier rollback to a version never deployed in the stream: such
    entries are not deployments.
    """
    below = dep.alias("below")
    earlier = (
        select(below.c.version)
        .where(
            below.c.stream_id == dep.c.stream_id,
            tuple_(below.c.deployed_at, below.c.seq) < tuple_(dep.c.deployed_at, dep.c.seq),
            or_(
                below.c.rolled_back_at.is_(None),
                tuple_(below.c.rolled_back_at, below.c.rollback_seq)
                > tuple_(dep.c.rolled_back_at, dep.c.rollback_seq),
            ),
        )
        .order_by(below.c.deployed_at.desc(), below.c.seq.desc())
        .limit(1)
        .correlate(dep)
        .scalar_subquery()
    )
    named = and_(events.c.version.is_not(None), events.c.version != dep.c.version)
    return case((named, events.c.version), else_=earlier)


def recent_rollbacks(
    conn: Connection, query: ReportQuery, limit: int
) -> list[RolledBackDeployment]:
    """The latest `limit` rolled-back deployments by rollback time, newest first; one row
    per deployment (a rollback that pops two deployments gives two rows)."""
    statement = (
        select(
            dep.c.model,
            dep.c.environment,
            dep.c.team,
            dep.c.version,
            _restored_version().label("to_version"),  # type: ignore[attr-defined]
            dep.c.deployed_at,
            dep.c.rolled_back_at,
            dep.c.rollback_automated,
            func.coalesce(dep.c.rollback_cause, "unspecified"),
            events.c.event_id,
        )
        .select_from(dep.join(events, events.c.seq == dep.c.rollback_seq))
        .where(
            *report_filters(dep, "deployed_at", query, indexed=False),
            dep.c.rolled_back_at <= query.as_of,
        )
        .order_by(dep.c.rolled_back_at.desc(), dep.c.rollback_seq.desc(), dep.c.seq.desc())
        .limit(limit)
    )
    return [
        RolledBackDeployment(
            row[0], row[1], row[2], row[3], row[4], int(row[5]), int(row[6]), bool(row[7]),
            row[8], row[9],
        )
        for row in conn.execute(statement)
    ]  # fmt: skip


def delay_histogram(conn: Connection, query: ReportQuery, edges: Sequence[int]) -> list[int]:
    """How many rolled-back deployments waited at most `edges[0]` microseconds, then more
    than `edges[i-1]` and at most `edges[i]`, then more than the last edge: len(edges)+1
    counts. Edges must ascend."""
    delay = dep.c.rolled_back_at - dep.c.deployed_at
    bucket = case(*((delay <= edge, i) for i, edge in enumerate(edges)), else_=len(edges))
    inner = (
        select(bucket.label("bucket"))
        .where(
            *report_filters(dep, "deployed_at", query, indexed=False),
            dep.c.rolled_back_at <= query.as_of,
        )
        .subquery()
    )
    counts = [0] * (len(edges) + 1)
    for index, n in conn.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket)):
        counts[int(index)] = int(n)
    return counts
