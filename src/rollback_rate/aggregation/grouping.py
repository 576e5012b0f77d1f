"""Grouped counts whose groups may be stream dimensions, counted in SQL.

The projection's indexes start with (or cover) the stream id, not the model or the
environment: grouping by those straight away would read every row's table entry. So a
count grouped by model or environment is counted per stream first (an index-only
grouping), then the stream counts are joined to `streams` and summed per group: the few
stream groups are added up in SQL, not in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, case, func, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.store.schema import streams

STREAM_DIMENSIONS = ("model", "environment")
# The dimensions `grouped_by_cell` groups by: a row's team and its UTC period.
CELL_DIMENSIONS = frozenset({"team", "week", "month"})


def stream_filters(
    table: Table, query: ReportQuery, team_column: str = "team"
) -> list[ColumnElement[bool]]:
    """The query's model, environment and team filters on a projection `table`. Model and
    environment go through the stream id, which every projection table indexes."""
    clauses: list[ColumnElement[bool]] = []
    for name in STREAM_DIMENSIONS:
        value = getattr(query, name)
        if value is not None:
            ids = select(streams.c.id).where(streams.c[name] == value)
            clauses.append(table.c.stream_id.in_(ids.scalar_subquery()))
    if query.team is not None:
        clauses.append(table.c[team_column] == query.team)
    return clauses


def grouped(
    table: Table,
    dims: Sequence[str],
    figures: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
    extra_keys: Sequence[ColumnElement[Any]] = (),
    key_columns: dict[str, ColumnElement[Any]] | None = None,
    combine: Sequence[Combine] | None = None,
) -> Select[Any]:
    """`SELECT dims, extra keys, figures ... GROUP BY dims, extra keys` over `table`, each
    figure an additive aggregate (a count or a sum), or one that `combine` says how to
    combine across streams. `key_columns` names the column of a dimension when it is not
    `table`'s column of that name."""
    own = key_columns or {}

    def column(name: str) -> ColumnElement[Any]:
        return own[name] if name in own else table.c[name]

    if not any(name in STREAM_DIMENSIONS for name in dims):
        keys = [column(name).label(name) for name in dims] + list(extra_keys)
        return select(*keys, *figures).where(*where).group_by(*keys)
    inner_keys = [table.c.stream_id.label("stream_id")]
    inner_keys += [column(name).label(name) for name in dims if name not in STREAM_DIMENSIONS]
    inner_keys += [key.label(f"k{i}") for i, key in enumerate(extra_keys)]
    labelled = [figure.label(f"f{i}") for i, figure in enumerate(figures)]
    inner = select(*inner_keys, *labelled).where(*where).group_by(*inner_keys).subquery()
    outer_keys = [
        streams.c[name] if name in STREAM_DIMENSIONS else inner.c[name] for name in dims
    ] + [inner.c[f"k{i}"] for i in range(len(extra_keys))]
    combined = combine or [func.sum] * len(figures)
    sums = [how(inner.c[f"f{i}"]) for i, how in enumerate(combined)]
    return (
        select(*outer_keys, *sums)
        .join_from(inner, streams, streams.c.id == inner.c.stream_id)
        .group_by(*outer_keys)
    )


Combine = Callable[[ColumnElement[Any]], ColumnElement[Any]]
Figure = tuple[ColumnElement[Any], Combine]  # an aggregate, and how its values combine


def grouped_by_cell(
    table: Table,
    dims: Sequence[str],
    figures: Sequence[Figure],
    where: Sequence[ColumnElement[bool]],
    extra_keys: Sequence[ColumnElement[Any]] = (),
    *,
    team_column: str = "team",
    no_team: str | None = None,
) -> Select[Any]:
    """`grouped` for `dims` among CELL_DIMENSIONS, in two steps, for a database that groups
    by sorting (SQLite): first by week, month, team and the extra keys, the order of an
    index that starts with them (the rollup's cell index; the rolled-back deployments' by
    cell), so the rows are grouped as they are read, without a sort; then those groups, a
    few thousand, by `dims`. Each figure is an aggregate over the rows and the aggregate
    that combines its values from the first step (`func.sum` for a count). `no_team` is
    the value `team_column` keeps for no team, where that is not NULL."""
    team = table.c[team_column]
    first_keys = [table.c.week.label("week"), table.c.month.label("month"), team.label("team")]
    first_keys += [key.label(f"k{i}") for i, key in enumerate(extra_keys)]
    labelled = [figure.label(f"f{i}") for i, (figure, _) in enumerate(figures)]
    first = select(*first_keys, *labelled).where(*where).group_by(*first_keys).subquery()
    named = (
        first.c.team
        if no_team is None
        else case((first.c.team == no_team, None), else_=first.c.team)
    )
    columns = {"team": named, "week": first.c.week, "month": first.c.month}
    keys: list[ColumnElement[Any]] = [columns[name].label(name) for name in dims]
    keys += [first.c[f"k{i}"] for i in range(len(extra_keys))]
    combined = [combine(first.c[f"f{i}"]) for i, (_, combine) in enumerate(figures)]
    return select(*keys, *combined).group_by(*keys)
