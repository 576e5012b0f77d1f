"""The report's numbers, counted inside the database over the attribution projection.

Three grouped queries (counts, root causes, median time to roll back) plus orphan counts;
nothing scales with history in Python, only with the number of groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import orphan_rollbacks as orphan

Key = tuple[Any, ...]


@dataclass
class Counts:
    """Raw tallies for one group; metrics turn them into rates and bands."""

    deployments: int = 0
    settled: int = 0
    rollbacks: int = 0
    automated_rollbacks: int = 0
    late_rollbacks: int = 0
    orphan_rollbacks: int = 0
    median_rollback_micros: float | None = None
    root_causes: list[tuple[str, int]] = field(default_factory=list)


def aggregate(conn: Connection, query: ReportQuery, dims: Sequence[str]) -> dict[Key, Counts]:
    """Counts per group of `dims` (no dims: one overall group keyed `()`)."""
    groups: dict[Key, Counts] = {} if dims else {(): Counts()}
    _count_deployments(conn, query, dims, groups)
    _count_causes(conn, query, dims, groups)
    _median_time_to_rollback(conn, query, dims, groups)
    _count_orphans(conn, query, dims, groups)
    return groups


def _within(query: ReportQuery) -> ColumnElement[bool]:
    # Rule 5: rolled back by as_of, at most `window` after the deployment (the edge counts).
    return and_(
        dep.c.rolled_back_at <= query.as_of,
        dep.c.rolled_back_at - dep.c.deployed_at <= query.window,
    )


def _filters(table: Table, time_column: str, query: ReportQuery) -> list[ColumnElement[bool]]:
    moment = table.c[time_column]
    clauses: list[ColumnElement[bool]] = [moment <= query.as_of]
    if query.since is not None:
        clauses.append(moment >= query.since)
    if query.until is not None:
        clauses.append(moment <= query.until)
    for name in ("model", "environment", "team"):
        value = getattr(query, name)
        if value is not None:
            clauses.append(table.c[name] == value)
    return clauses


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_deployments(
    conn: Connection, query: ReportQuery, dims: Sequence[str], groups: dict[Key, Counts]
) -> None:
    within = _within(query)
    late = and_(
        dep.c.rolled_back_at <= query.as_of, dep.c.rolled_back_at - dep.c.deployed_at > query.window
    )
    settled = or_(within, dep.c.deployed_at + query.window <= query.as_of)
    keys = [dep.c[d] for d in dims]
    statement = (
        select(
            *keys,
            func.count(),
            _flag(settled),
            _flag(within),
            _flag(and_(within, dep.c.rollback_automated == literal(True))),
            _flag(late),
        )
        .where(*_filters(dep, "deployed_at", query))
        .group_by(*keys)
    )
    for row in conn.execute(statement):
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        (
            counts.deployments,
            counts.settled,
            counts.rollbacks,
            counts.automated_rollbacks,
            counts.late_rollbacks,
        ) = (int(value) for value in row[len(dims) :])


def _count_causes(
    conn: Connection, query: ReportQuery, dims: Sequence[str], groups: dict[Key, Counts]
) -> None:
    keys = [dep.c[d] for d in dims]
    cause = func.coalesce(dep.c.rollback_cause, "unspecified").label("cause")
    statement = (
        select(*keys, cause, func.count().label("n"))
        .where(*_filters(dep, "deployed_at", query), _within(query))
        .group_by(*keys, cause)
    )
    for row in conn.execute(statement):
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        counts.root_causes.append((row.cause, int(row.n)))
    for counts in groups.values():
        counts.root_causes.sort(key=lambda item: (-item[1], item[0]))


def _median_time_to_rollback(
    conn: Connection, query: ReportQuery, dims: Sequence[str], groups: dict[Key, Counts]
) -> None:
    # Portable median: number each group's delays, average the middle one or two.
    keys = [dep.c[d] for d in dims]
    delay = (dep.c.rolled_back_at - dep.c.deployed_at).label("delay")
    ranked = (
        select(
            *keys,
            delay,
            func.row_number().over(partition_by=keys or None, order_by=delay).label("rn"),
            func.count().over(partition_by=keys or None).label("n"),
        )
        .where(*_filters(dep, "deployed_at", query), _within(query))
        .subquery()
    )
    middle = and_(ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2)
    rkeys = [ranked.c[d] for d in dims]
    statement = select(*rkeys, func.avg(ranked.c.delay)).where(middle).group_by(*rkeys)
    for row in conn.execute(statement):
        if row[len(dims)] is None:  # no rollbacks: an ungrouped AVG still returns a row
            continue
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        counts.median_rollback_micros = float(row[len(dims)])


def _count_orphans(
    conn: Connection, query: ReportQuery, dims: Sequence[str], groups: dict[Key, Counts]
) -> None:
    keys = [orphan.c[d] for d in dims]
    statement = select(*keys, func.count()).where(*_filters(orphan, "at", query)).group_by(*keys)
    for row in conn.execute(statement):
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        counts.orphan_rollbacks = int(row[len(dims)])
