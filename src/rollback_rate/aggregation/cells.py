"""Counting every deployment from the rollup: whole cells summed, cut cells read raw.

A cell is the days an ISO week and a calendar month share (at most seven; a week that
spans two months makes two cells). `deployment_counts` keeps each stream's counted
deployments per team and cell, maintained with the projection. A report asks two things
of every deployment: is it inside [since, until] and at or before as_of, and is its
window closed (deployed at or before as_of - window). A cell that no such bound cuts
answers both for all its deployments at once; only the few cells a bound falls inside
(at most three: the ones holding since, the end, and as_of - window) are counted from
raw rows, found per stream on the (stream_id, deployed_at) index. So a report reads a
fraction of the rows it used to (about a fifth at a million deployments over a thousand
streams, far less for streams that deploy several times a week), whatever the bounds.

Without a lower bound or a team, even the whole cells need not all be read: a stream's
cells sum to its counted deployments, kept on its row, so the cells before the one of
as_of - window are its total less the few cells after (`_whole_cells_from_totals`).
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, not_, select, tuple_

from rollback_rate.aggregation.grouping import (
    CELL_DIMENSIONS,
    STREAM_DIMENSIONS,
    grouped,
    grouped_by_cell,
    stream_filters,
)
from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.store.backend import backend_of
from rollback_rate.store.schema import deployment_counts as cells
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import streams
from rollback_rate.timeutil import MICROS_PER_DAY, MIN_MICROS, iso_week, month, to_micros

Cell = tuple[str, str]  # (ISO week, month)


def cell_of(micros: int) -> Cell:
    return iso_week(micros), month(micros)


def cell_bounds(cell: Cell) -> tuple[int, int]:
    """[start, end) of a cell in UTC microseconds (the end may lie past year 9999)."""
    week, month_text = cell
    iso_year, number = week.split("-W")
    monday = _micros(date.fromisocalendar(int(iso_year), int(number), 1))
    year, month_number = (int(part) for part in month_text.split("-"))
    first = _micros(date(year, month_number, 1))
    days = monthrange(year, month_number)[1]
    return max(monday, first), min(monday + 7 * MICROS_PER_DAY, first + days * MICROS_PER_DAY)


def _micros(day: date) -> int:
    return to_micros(datetime(day.year, day.month, day.day, tzinfo=UTC))


def count_deployments(
    conn: Connection, query: ReportQuery, dims: Sequence[str]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """(group key, deployments, settled by time) per group of `dims` (stream_id, team,
    week, month, model, environment), for deployments within the query's time bounds
    and filters."""
    low = query.since if query.since is not None else MIN_MICROS
    high = min(query.until, query.as_of) if query.until is not None else query.as_of
    if high < low:
        return []
    closed_by = query.as_of - query.window  # windows closed for deployments until then
    cut = {cell_of(moment) for moment in (low, high, closed_by) if low <= moment <= high}
    first, last = cell_of(low), cell_of(high)
    totals: dict[tuple[Any, ...], list[int]] = {}
    # The cell of as_of - window, kept within the bounds: before them nothing is settled
    # by time, after them everything is (and a huge window reaches before year 1).
    closed_cell = cell_of(min(max(closed_by, low), high)) if closed_by >= low else None
    # Whole cells before the one holding as_of - window are settled; after it, not yet.
    ranges = [(first, last, False)] if closed_cell is None else [
        (first, closed_cell, True), (closed_cell, last, False)
    ]  # fmt: skip
    if closed_cell is not None and _by_stream_totals(query, dims):
        _whole_cells_from_totals(conn, query, dims, closed_cell, last, cut, totals)
    else:
        for lo, hi, settled in ranges:
            if lo > hi:
                continue
            statement = _whole_cells(query, dims, lo, hi, cut, backend_of(conn).groups_by_sorting)
            for row in conn.execute(statement):
                deployed = row[len(dims)]
                _add(totals, tuple(row[: len(dims)]), (deployed, deployed if settled else 0))
    for cell in sorted(cut):
        start, end = cell_bounds(cell)
        raw = _raw_cell(query, dims, max(start, low), min(end - 1, high), closed_by)
        for row in conn.execute(raw):
            _add(totals, tuple(row[: len(dims)]), row[len(dims) :])
    # A stream whose counted deployments all lie past the bounds adds a zero: no group.
    return [(key, deployed, settled) for key, (deployed, settled) in totals.items() if deployed]


def _add(totals: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], row: Any) -> None:
    tally = totals.setdefault(key, [0, 0])
    tally[0] += int(row[0] or 0)
    tally[1] += int(row[1] or 0)


def _by_stream_totals(query: ReportQuery, dims: Sequence[str]) -> bool:
    """Whether the whole cells can come from each stream's total (`_whole_cells_from_totals`):
    no lower time bound, and no team to split the total by."""
    return query.since is None and query.team is None and set(dims) <= _STREAM_KEYS


_STREAM_KEYS = {"stream_id", *STREAM_DIMENSIONS}  # what a stream row answers


def _whole_cells_from_totals(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    closed_cell: Cell,
    last: Cell,
    cut: set[Cell],
    totals: dict[tuple[Any, ...], list[int]],
) -> None:
    """The whole cells' deployments without reading the cells before `closed_cell`.

    With no lower bound, the settled whole cells are all a stream's cells before the one
    holding as_of - window, except cut ones; their sum is the stream's counted deployments
    (`streams.deployments_counted`, the sum of its cells, kept in the same transaction)
    less its cells from `closed_cell` on and its cut cells before it. Those are the last
    week or so of history, read on the cells' (week, month) index: a report over a
    million deployments reads a few thousand rows instead of every cell. The pending whole
    cells, between `closed_cell` and `last`, are among them.
    """
    keys = [streams.c.id if d == "stream_id" else streams.c[d] for d in dims]
    chosen = [
        streams.c[name] == getattr(query, name)
        for name in STREAM_DIMENSIONS
        if getattr(query, name) is not None
    ]
    figure = func.sum(streams.c.deployments_counted)
    for row in conn.execute(select(*keys, figure).where(*chosen).group_by(*keys)):
        total = int(row[len(dims)] or 0)
        _add(totals, tuple(row[: len(dims)]), (total, total))
    position = tuple_(cells.c.week, cells.c.month)
    whole = and_(position > tuple_(*closed_cell), position <= tuple_(*last),
                 *[not_(_is_cell(cut_cell)) for cut_cell in sorted(cut)])  # fmt: skip
    figures = [func.sum(cells.c.deployments), func.sum(case((whole, cells.c.deployments), else_=0))]
    taken_off = [position >= tuple_(*closed_cell)]
    taken_off += [_is_cell(cell) for cell in sorted(cut) if cell < closed_cell]
    for where in taken_off:  # each a range or one cell of the (week, month) index
        statement = grouped(
            cells, dims, figures, [where, *stream_filters(cells, query, "team_key")]
        )
        for row in conn.execute(statement):
            off, pending = int(row[len(dims)] or 0), int(row[len(dims) + 1] or 0)
            _add(totals, tuple(row[: len(dims)]), (pending - off, -off))


def _is_cell(cell: Cell) -> ColumnElement[bool]:
    return and_(cells.c.week == cell[0], cells.c.month == cell[1])


def _whole_cells(
    query: ReportQuery,
    dims: Sequence[str],
    first: Cell,
    last: Cell,
    cut: set[Cell],
    groups_by_sorting: bool,
) -> Any:
    """Deployments of the cells from `first` to `last` that no bound cuts."""
    position = tuple_(cells.c.week, cells.c.month)
    # A cut cell is an end of the range (count_deployments splits it at the one that holds
    # as_of - window): left out by a strict bound, not by a test of every cell (6 of 29 ms
    # by team and month at a million deployments). One inside, if any, by a test.
    inside = [cell for cell in sorted(cut) if first < cell < last]
    conditions: list[ColumnElement[bool]] = [
        position > tuple_(*first) if first in cut else position >= tuple_(*first),
        position < tuple_(*last) if last in cut else position <= tuple_(*last),
        *[not_(and_(cells.c.week == week, cells.c.month == m)) for week, m in inside],
        *stream_filters(cells, query, "team_key"),
    ]
    if groups_by_sorting and set(dims) <= CELL_DIMENSIONS:
        # Per cell and team in the order of the cell index, then by `dims`: grouped
        # straight by team and month, SQLite sorted every cell (171,000 at a million
        # deployments: 56 -> 21 ms).
        figure = func.sum(cells.c.deployments)
        return grouped_by_cell(cells, dims, [(figure, func.sum)], conditions,
                               team_column="team_key", no_team="")  # fmt: skip
    # The rollup keeps "no team" as "" (a key column); deployments keep NULL.
    team = case((cells.c.team_key == "", None), else_=cells.c.team_key)
    figures = [func.sum(cells.c.deployments)]
    return grouped(cells, dims, figures, conditions, key_columns={"team": team})


def _raw_cell(
    query: ReportQuery,
    dims: Sequence[str],
    start: int,
    end: int,
    closed_by: int,
) -> Any:
    settled = func.sum(case((dep.c.deployed_at <= closed_by, 1), else_=0))
    where = [
        # Per stream: each stream's few rows of the cell, found on the stream index.
        dep.c.stream_id.in_(select(streams.c.id)),
        dep.c.deployed_at >= start,
        dep.c.deployed_at <= end,
        *stream_filters(dep, query),
    ]
    return grouped(dep, dims, [func.count(), settled], where)
