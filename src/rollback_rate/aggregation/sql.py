"""The report's numbers, counted inside the database over the attribution projection.

A lean pass over every deployment (how many, how many settled by time), passes over the
few rolled-back, unplanned and fixed-forward deployments (each through a partial index
that covers it), root causes, medians and orphans: nothing scales with history in
Python, only with the number of groups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    Table,
    and_,
    case,
    func,
    literal,
    literal_column,
    not_,
    select,
    tuple_,
)

from rollback_rate.aggregation.cells import count_deployments
from rollback_rate.aggregation.grouping import (
    CELL_DIMENSIONS,
    STREAM_DIMENSIONS,
    Combine,
    grouped,
    grouped_by_cell,
    stream_filters,
)
from rollback_rate.aggregation.periods import LocalPeriods
from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.store.backend import backend_of
from rollback_rate.store.parallel import Alongside
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import orphan_rollbacks as orphan
from rollback_rate.store.schema import streams

Key = tuple[Any, ...]
Median = tuple[tuple[str, ...], Key, float]  # a grouping, one of its groups, its median
# (stream id, team, automated): rollbacks, exposure (microseconds) - what cost is made of
CostKey = tuple[int, str | None, bool]


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
    prevented: int = 0  # rolled back within the window while a canary
    bad_targets: int = 0  # rolled back onto a version rolled back before
    repeats: int = 0  # rolled back within `repeat_within` deployments of the last rollback
    unplanned: int = 0  # counted deployments that were hotfixes or emergency retrains
    fixed_forward: int = 0  # fixed forward within the window, not rolled back within it
    fixed_forward_open: int = 0  # of those, deployed inside a window still open
    exposure: dict[CostKey, list[int]] = field(default_factory=dict)  # -> [n, micros]

    def add(self, other: Counts) -> None:
        """Fold another group's tallies in (not the median: medians do not add up)."""
        for name in _ADDITIVE:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        merged = dict(self.root_causes)
        for cause, n in other.root_causes:
            merged[cause] = merged.get(cause, 0) + n
        self.root_causes = list(merged.items())
        for key, (n, micros) in other.exposure.items():
            tally = self.exposure.setdefault(key, [0, 0])
            tally[0] += n
            tally[1] += micros


_ADDITIVE = ("deployments", "settled", "rollbacks", "automated_rollbacks", "late_rollbacks",
             "orphan_rollbacks", "prevented", "bad_targets", "repeats", "unplanned",
             "fixed_forward", "fixed_forward_open")  # fmt: skip


def aggregate_many(
    conn: Connection,
    query: ReportQuery,
    groupings: Sequence[tuple[str, ...]],
    *,
    costed: bool = False,
    local: LocalPeriods | None = None,
    alongside: Alongside | None = None,
) -> list[dict[Key, Counts]]:
    """Counts for several groupings at once (overall `()`, by model, by week...); with
    `costed`, each group's rollbacks and exposure per stream, team and `automated` too.
    Every grouping is counted in SQL: every deployment from the rollup of cells
    (`cells.py`), the rolled-back, unplanned and fixed-forward few from their indexes.

    A grouping whose dimensions another grouping asked for refines (overall, beside by
    model) is not counted again: its groups are sums of the finer one's, folded here,
    over a few hundred groups instead of a million deployments. Groupings of dimensions
    with few values (by team, by month) are all folded from their combination (team and
    month). Only the median does not add up; on SQLite it comes from the same rows
    (`_medians`).

    With `local` periods (a report in a time zone other than UTC), a grouping by period
    computes each row's local period from its time instead of reading the stored UTC
    week or month; its deployments are then counted from their rows, since the rollup's
    cells are UTC periods.

    With `alongside` (PostgreSQL, `Database.alongside`), the medians' statement, the
    largest, runs on a second connection in the same snapshot while this one counts:
    the server works on both at once (team and month at a million deployments: its 64
    ms beside the other statements' 50).
    """
    requested = list(dict.fromkeys(groupings))
    counted = _counted(requested)
    bases = {
        dims: None if dims in counted
        else min((c for c in counted if set(dims) < set(c)), key=len)
        for dims in requested
    }  # fmt: skip
    median = backend_of(conn).median(dep.c.rolled_back_at - dep.c.deployed_at)
    medians: Future[list[Median]] | None = None
    if median is not None and alongside is not None:
        medians = alongside(
            lambda other: _aggregate_medians(other, query, list(bases), median, local)
        )
    try:
        found, carried = _count_groupings(
            conn, query, counted, bases, costed, local, delays_ride_along=median is None
        )
    except BaseException:
        if medians is not None:
            wait([medians])  # keep this snapshot, which it may still be taking, until then
        raise
    if median is None:
        _medians(bases, found, carried)
    else:
        found_medians = (
            medians.result() if medians is not None
            else _aggregate_medians(conn, query, list(bases), median, local)
        )  # fmt: skip
        for dims, key, value in found_medians:
            found[dims].setdefault(key, Counts()).median_rollback_micros = value
    return [found[dims] for dims in groupings]


def _count_groupings(
    conn: Connection,
    query: ReportQuery,
    counted: Sequence[tuple[str, ...]],
    bases: dict[tuple[str, ...], tuple[str, ...] | None],
    costed: bool,
    local: LocalPeriods | None,
    *,
    delays_ride_along: bool,
) -> tuple[dict[tuple[str, ...], dict[Key, Counts]], dict[tuple[str, ...], dict[Key, list[float]]]]:
    """Every grouping's counts, counted or folded. With `delays_ride_along` (a database
    without a median aggregate: SQLite), each counted grouping reads its delays to
    rollback with its rollback figures, returned beside the counts, instead of reading
    the rolled-back rows a second time (grouped by team and month, sorting them again;
    by model, moving 70,000 rows into Python)."""
    found: dict[tuple[str, ...], dict[Key, Counts]] = {}
    carried: dict[tuple[str, ...], dict[Key, list[float]]] = {}
    for dims in counted:
        groups: dict[Key, Counts] = {} if dims else {(): Counts()}
        listed: dict[Key, list[str]] | None = {} if delays_ride_along else None
        found[dims] = _count(conn, query, dims, groups, costed, _local_in(dims, local), listed)
        if listed is not None:
            carried[dims] = {key: _delays(texts) for key, texts in listed.items()}
    for dims, base in bases.items():
        if base is not None:
            found[dims] = _fold(found[base], base, dims)
    return found, carried


# Dimensions with few values: a report by team (or environment) and by month counts
# their combinations once, a few hundred groups, instead of each grouping on its own.
_FEW_VALUES = frozenset({"team", "environment", "week", "month"})


def _counted(requested: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The groupings counted in SQL: those no other requested grouping refines, or, when
    there are several and all have few values, the one grouping that refines them all."""
    finest = [
        dims for dims in requested
        if not any(set(dims) < set(other) for other in requested)
    ]  # fmt: skip
    if len(finest) > 1 and all(set(dims) <= _FEW_VALUES for dims in finest):
        return [tuple(dict.fromkeys(name for dims in finest for name in dims))]
    return finest


def _local_in(dims: Sequence[str], local: LocalPeriods | None) -> LocalPeriods | None:
    """The local periods when `dims` groups by their period, else None (UTC cells)."""
    return local if local is not None and local.period in dims else None


def _coarser(base_dims: tuple[str, ...], dims: tuple[str, ...]) -> Callable[[Key], Key]:
    """The key of the group of `dims` that holds a group of the finer `base_dims`."""
    positions = [base_dims.index(name) for name in dims]
    return lambda key: tuple(key[i] for i in positions)


def _fold(
    base: dict[Key, Counts], base_dims: tuple[str, ...], dims: tuple[str, ...]
) -> dict[Key, Counts]:
    """The groups of `dims`, each the sum of the groups of `base_dims` (finer) in it."""
    holder = _coarser(base_dims, dims)
    groups: dict[Key, Counts] = {} if dims else {(): Counts()}
    for key, counts in base.items():
        groups.setdefault(holder(key), Counts()).add(counts)
    for counts in groups.values():
        counts.root_causes.sort(key=_cause_order)
    return groups


def _cause_order(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _count(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    costed: bool,
    local: LocalPeriods | None,
    delays: dict[Key, list[str]] | None = None,
) -> dict[Key, Counts]:
    _count_deployments(conn, query, dims, groups, local)
    _count_rollbacks(conn, query, dims, groups, local, delays)
    _count_unplanned(conn, query, dims, groups, local)
    _count_fixed_forward(conn, query, dims, groups, local)
    _count_orphans(conn, query, dims, groups, local)
    if costed:
        _count_exposure(conn, query, dims, groups, local)
    return groups


# Rollback figures read only the rolled-back few, from the partial index that covers them
# (`indexed=False` below). Left free, SQLite would rather walk the stream index, for its
# GROUP BY order or a join to streams, and fetch every deployment's row: slow once imports
# interleave streams in the table. `deployed_at + 0` takes that index out of its choices.


def within_window(query: ReportQuery) -> ColumnElement[bool]:
    # Rule 5: rolled back by as_of, at most `window` after the deployment (the edge counts).
    return and_(
        dep.c.rolled_back_at <= query.as_of,
        dep.c.rolled_back_at - dep.c.deployed_at <= query.window,
    )


def report_filters(
    table: Table, time_column: str, query: ReportQuery, *, indexed: bool = True
) -> list[ColumnElement[bool]]:
    """The query's filters on `table`; `indexed=False` keeps the time column's conditions
    from steering the planner to an index that starts with it."""
    moment = table.c[time_column] if indexed else table.c[time_column] + 0
    clauses: list[ColumnElement[bool]] = [moment <= query.as_of]
    if query.since is not None:
        clauses.append(moment >= query.since)
    if query.until is not None:
        clauses.append(moment <= query.until)
    return clauses + stream_filters(table, query)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # count(*) FILTER skips a row at once where the condition fails; a sum of CASE
    # evaluated and added a 0 for it.
    return func.count().filter(condition)


def _rows(
    conn: Connection, statement: Any, dims: Sequence[str], groups: dict[Key, Counts]
) -> list[tuple[Counts, list[int]]]:
    """Each result row's group (created when new) and its figures after the keys."""
    found = []
    for row in conn.execute(statement):
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        found.append((counts, [int(value or 0) for value in row[len(dims) :]]))
    return found


def _count_deployments(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
) -> None:
    # Every deployment: how many, how many with a closed window (from the rollup; by
    # local period, from the rows).
    found = (
        count_deployments(conn, query, dims)
        if local is None
        else _count_deployment_rows(conn, query, dims, local)
    )
    for key, deployed, settled in found:
        counts = groups.setdefault(key, Counts())
        counts.deployments += deployed
        counts.settled += settled


def _count_deployment_rows(
    conn: Connection, query: ReportQuery, dims: Sequence[str], local: LocalPeriods
) -> list[tuple[Key, int, int]]:
    figures = [func.count(), _flag(dep.c.deployed_at <= query.as_of - query.window)]
    where = report_filters(dep, "deployed_at", query)
    statement = grouped(dep, dims, figures, where, key_columns=_local(dep, "deployed_at", local))
    return [
        (tuple(row[: len(dims)]), int(row[len(dims)]), int(row[len(dims) + 1] or 0))
        for row in conn.execute(statement)
    ]


def _count_rollbacks(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
    delays: dict[Key, list[str]] | None = None,
) -> None:
    # The rolled-back few, which the rolled_back_at index finds and covers, in one pass:
    # per group and root cause (a few thousand rows), summed here into the group's figures.
    # With `delays`, each group's delays within the window too, as the texts of
    # Backend.listed (one per root cause).
    closed_by = query.as_of - query.window
    within = within_window(query)
    late = dep.c.rolled_back_at - dep.c.deployed_at > query.window
    figures = [
        _flag(within),
        _flag(and_(within, dep.c.rollback_automated == literal(True))),
        _flag(late),
        _flag(and_(within, dep.c.deployed_at > closed_by)),
        _flag(and_(within, dep.c.stage == "canary")),
        _flag(and_(within, dep.c.rollback_bad_target == literal(True))),
        _flag(and_(within, dep.c.rollback_gap <= query.repeat_within)),
    ]
    backend = backend_of(conn)
    combined: list[Combine] = [func.sum] * len(figures)
    if delays is not None:
        delay = dep.c.rolled_back_at - dep.c.deployed_at
        figures.append(backend.listed(case((within, delay))))
        combined.append(backend.listed)  # the texts joined: comma-separated still
    where = [
        *report_filters(dep, "deployed_at", query, indexed=False),
        dep.c.rolled_back_at <= query.as_of,
    ]
    # Grouped by the cause column itself, not by its name with "unspecified" for none:
    # then SQLite reads the groups of a grouping by stream, or by team and period, in the
    # order of an index (stream, cause, ...; week, month, team, cause, ...) instead of
    # sorting them. A missing cause is named here.
    by_cause = [dep.c.rollback_cause]
    if backend.groups_by_sorting and local is None and set(dims) <= CELL_DIMENSIONS:
        pairs = list(zip(figures, combined, strict=True))
        rolled_back = grouped_by_cell(dep, dims, pairs, where, extra_keys=by_cause)
    else:
        rolled_back = grouped(dep, dims, figures, where, extra_keys=by_cause,
                              key_columns=_local(dep, "deployed_at", local),
                              combine=combined)  # fmt: skip
    width = len(dims)
    causes: dict[Key, dict[str, int]] = {}
    for row in conn.execute(rolled_back):
        key = tuple(row[:width])
        counts = groups.setdefault(key, Counts())
        rollbacks, automated, late_count, settled_early, prevented, bad, repeats = (
            int(value or 0) for value in row[width + 1 : width + 8]
        )
        if delays is not None and row[width + 8] is not None:
            delays.setdefault(key, []).append(row[width + 8])
        counts.rollbacks += rollbacks
        counts.automated_rollbacks += automated
        counts.late_rollbacks += late_count
        counts.settled += settled_early  # rolled back inside a window that is still open
        counts.prevented += prevented
        counts.bad_targets += bad
        counts.repeats += repeats
        if rollbacks:  # a cause with only late rollbacks is no cause of the rate
            named = causes.setdefault(key, {})
            cause = row[width] or "unspecified"
            named[cause] = named.get(cause, 0) + rollbacks
    for key, named in causes.items():
        groups[key].root_causes = sorted(named.items(), key=_cause_order)


def _count_unplanned(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
) -> None:
    where = [
        *report_filters(dep, "deployed_at", query, indexed=False),
        dep.c.unplanned.is_not(None),
    ]
    statement = grouped(
        dep, dims, [func.count()], where, key_columns=_local(dep, "deployed_at", local)
    )
    for counts, (unplanned,) in _rows(conn, statement, dims, groups):
        counts.unplanned = unplanned


def _count_fixed_forward(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
) -> None:
    # Change failures besides rollbacks: fixed forward within the window by as_of, and
    # not also rolled back within it (those count once, as rollbacks).
    fixed_within = and_(
        dep.c.fixed_forward_at <= query.as_of,
        dep.c.fixed_forward_at - dep.c.deployed_at <= query.window,
        not_(and_(dep.c.rolled_back_at.is_not(None), within_window(query))),
    )
    figures = [func.count(), _flag(dep.c.deployed_at > query.as_of - query.window)]
    where = [
        *report_filters(dep, "deployed_at", query, indexed=False),
        dep.c.fixed_forward_at.is_not(None),
        fixed_within,
    ]
    statement = grouped(dep, dims, figures, where, key_columns=_local(dep, "deployed_at", local))
    for counts, (fixed, fixed_open) in _rows(conn, statement, dims, groups):
        counts.fixed_forward, counts.fixed_forward_open = fixed, fixed_open


def _count_exposure(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
) -> None:
    # What cost is made of: per stream, team and `automated`, the rollbacks within the
    # window and their summed exposure (rollback time minus deployment time).
    detail = [dep.c.stream_id, dep.c.team, dep.c.rollback_automated]
    figures = [func.count(), func.sum(dep.c.rolled_back_at - dep.c.deployed_at)]
    where = [*report_filters(dep, "deployed_at", query, indexed=False), within_window(query)]
    statement = grouped(dep, dims, figures, where, extra_keys=detail,
                        key_columns=_local(dep, "deployed_at", local))  # fmt: skip
    for row in conn.execute(statement):
        counts = groups.setdefault(tuple(row[: len(dims)]), Counts())
        stream_id, team, automated, n, micros = row[len(dims) :]
        tally = counts.exposure.setdefault((stream_id, team, bool(automated)), [0, 0])
        tally[0] += int(n)
        tally[1] += int(micros or 0)


def _medians(
    bases: dict[tuple[str, ...], tuple[str, ...] | None],
    found: dict[tuple[str, ...], dict[Key, Counts]],
    carried: dict[tuple[str, ...], dict[Key, list[float]]],
) -> None:
    """Every group's median time to rollback where the database has no median aggregate
    (SQLite; PostgreSQL's is `_aggregate_medians`): the middle delay or the mean of the
    middle two. Each counted grouping's delays came with its rollback figures (`carried`,
    see `_count_groupings`), and a folded grouping gathers its finer groups' delays and
    sorts them here (tens of thousands of numbers: milliseconds), so the rolled-back
    rows are read once per report, not once per grouping."""
    for dims, base in bases.items():
        if base is None:
            delays = carried[dims]
        else:
            holder = _coarser(base, dims)
            delays = {}
            for key, values in carried[base].items():
                delays.setdefault(holder(key), []).extend(values)
        for key, values in delays.items():
            values.sort()
            _set_median(found[dims], key, values)


def _aggregate_medians(
    conn: Connection,
    query: ReportQuery,
    groupings: Sequence[tuple[str, ...]],
    median: ColumnElement[Any],
    local: LocalPeriods | None,
) -> list[Median]:
    """Each group's median from the database's aggregate, percentile_cont(0.5)
    (Backend.median), for every grouping in one statement (GROUPING SETS: one read of
    the rolled-back rows, not one per grouping); GROUPING() says which grouping a row
    is, since a dimension left out and a dimension that is NULL (no team) look alike.
    Model and environment come from the streams table, so the rolled-back rows are read
    from an index alone. Moving the rows to Python instead was measured slower (196
    against 93 ms by model at a million deployments)."""
    names = list(dict.fromkeys(d for dims in groupings for d in dims))
    own = _local(dep, "deployed_at", local)
    column = {
        d: streams.c[d] if d in STREAM_DIMENSIONS else own[d] if d in own else dep.c[d]
        for d in names
    }
    by_stream = any(d in STREAM_DIMENSIONS for d in names)
    source = dep.join(streams, streams.c.id == dep.c.stream_id) if by_stream else dep
    where = [*report_filters(dep, "deployed_at", query, indexed=False), within_window(query)]
    sets = func.grouping_sets(*(tuple_(*(column[d] for d in dims)) for dims in groupings))
    left_out = [func.grouping(column[d]) for d in names]
    statement = select(*column.values(), *left_out, median).select_from(source).where(*where)
    of_dims = {frozenset(dims): dims for dims in groupings}
    width = len(names)
    found = []
    for row in conn.execute(statement.group_by(sets)):
        if row[-1] is None:  # no rollbacks: an ungrouped aggregate still gives a row
            continue
        flags = zip(names, row[width : 2 * width], strict=True)
        present = frozenset(d for d, out in flags if not out)
        dims = of_dims[present]
        values = dict(zip(names, row[:width], strict=True))
        found.append((dims, tuple(values[d] for d in dims), float(row[-1])))
    return found


def _delays(texts: Sequence[str]) -> list[float]:
    """The delays in `texts` (comma-separated integers), as floats: Python sorts those
    faster (69,000: 7 against 11 ms). They are the same integers below 2^53 microseconds
    (285 years); past that, rounded to double precision, as PostgreSQL's percentile_cont
    takes them."""
    return _FLOATS.decode(f"[{','.join(texts)}]")


_FLOATS = msgspec.json.Decoder(list[float])


def _set_median(groups: dict[Key, Counts], key: Key, ordered: list[float]) -> None:
    if not ordered:
        return
    middle = (len(ordered) - 1) // 2
    median = (ordered[middle] + ordered[len(ordered) // 2]) / 2  # one value when odd
    groups.setdefault(key, Counts()).median_rollback_micros = float(median)


def _count_orphans(
    conn: Connection,
    query: ReportQuery,
    dims: Sequence[str],
    groups: dict[Key, Counts],
    local: LocalPeriods | None,
) -> None:
    own = _local(orphan, "at", local)
    keys = [own[d].label(d) if d in own else orphan.c[d] for d in dims]
    statement = (
        select(*keys, func.count()).where(*report_filters(orphan, "at", query)).group_by(*keys)
    )
    for counts, (orphans,) in _rows(conn, statement, dims, groups):
        counts.orphan_rollbacks = orphans


def _local(table: Table, time_column: str, local: LocalPeriods | None) -> dict[str, Any]:
    """The key column of the local period, computed from `table`'s time (none in UTC)."""
    return {} if local is None else {local.period: local_period(table.c[time_column], local)}


def local_period(moment: ColumnElement[int], local: LocalPeriods) -> ColumnElement[str]:
    """The label of the local period holding `moment`: a balanced tree of CASEs over the
    periods' UTC starts, so each row takes about log2(periods) comparisons whatever the
    span. Starts and labels are our own integers and `2026-W14`-style names, written
    inline: no parameter limits, no untyped parameters for PostgreSQL to guess at."""

    def label(index: int) -> ColumnElement[str]:
        text = local.labels[index]
        assert text.replace("-", "").replace("W", "").isdigit(), text
        return literal_column(f"'{text}'", String)

    def tree(low: int, high: int) -> ColumnElement[str]:  # periods low .. high-1
        if high - low == 1:
            return label(low)
        middle = (low + high) // 2
        start: ColumnElement[Any] = literal_column(str(int(local.starts[middle])))
        return case((moment < start, tree(low, middle)), else_=tree(middle, high))

    return tree(0, len(local.labels))


def time_span(conn: Connection, query: ReportQuery) -> tuple[int, int] | None:
    """The earliest and latest deployment or orphan time of the streams the query's model
    and environment filters select (None when there are none): what local periods must
    cover. Read per stream from the stream index, not by scanning every deployment."""
    selected = [
        streams.c[name] == getattr(query, name)
        for name in ("model", "environment")
        if getattr(query, name) is not None
    ]
    of_stream = dep.c.stream_id == streams.c.id
    per_stream = (
        select(
            select(func.min(dep.c.deployed_at)).where(of_stream).scalar_subquery().label("first"),
            select(func.max(dep.c.deployed_at)).where(of_stream).scalar_subquery().label("last"),
        )
        .where(*selected)
        .subquery()
    )
    first, last = conn.execute(
        select(func.min(per_stream.c.first), func.max(per_stream.c.last))
    ).one()
    orphans = select(func.min(orphan.c.at), func.max(orphan.c.at))
    if selected:
        orphans = orphans.where(orphan.c.stream_id.in_(select(streams.c.id).where(*selected)))
    orphan_first, orphan_last = conn.execute(orphans).one()
    firsts = [t for t in (first, orphan_first) if t is not None]
    lasts = [t for t in (last, orphan_last) if t is not None]
    return (int(min(firsts)), int(max(lasts))) if firsts else None
