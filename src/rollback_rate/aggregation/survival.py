"""What a Kaplan-Meier curve of time to rollback is computed from, tallied in the database.

Each counted deployment is one observation: rolled back by `as_of` (late ones included) at
its delay, or censored at `as_of`. A million deployments need not be a million rows in
Python: the curve depends on a censored deployment only through whether it was still at
risk at each rollback delay, so every deployment censored at or past the largest delay
(most of history: rollbacks come within days, censoring spans years) is tallied at that
delay, and only the recent rest by its own duration. Every query reads a covering index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, case, func, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import STREAM_DIMENSIONS, Key, report_filters
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import streams


@dataclass
class SurvivalTallies:
    """One group's observations, ties counted: rolled-back deployments by delay, and the
    others by time from deployment to `as_of` (microseconds). Those censored at or past the
    group's largest delay are all tallied at that delay (at 0 without rollbacks): the curve
    stays exactly the same, as they are at risk at every delay either way."""

    rolled_back: Counter[int] = field(default_factory=Counter)
    censored: Counter[int] = field(default_factory=Counter)

    def fold_censored(self) -> None:
        """Tally every censoring at or past the largest delay at that delay."""
        last = max(self.rolled_back, default=0)
        folded: Counter[int] = Counter()
        for duration, n in self.censored.items():
            folded[min(duration, last)] += n
        self.censored = folded


@dataclass(frozen=True)
class SurvivalCounts:
    """The observations of the curves of a survival report: overall and per group."""

    overall: SurvivalTallies
    groups: dict[Key, SurvivalTallies] = field(default_factory=dict)


def survival_counts(conn: Connection, query: ReportQuery) -> SurvivalCounts:
    """Overall and per group of `query.by`, the observations of each curve."""
    groups = _tallies(conn, query)
    overall = SurvivalTallies()
    for tallies in groups.values():
        overall.rolled_back.update(tallies.rolled_back)
        overall.censored.update(tallies.censored)
    for tallies in (overall, *groups.values()):
        tallies.fold_censored()
    return SurvivalCounts(overall, groups if query.by else {})


def _tallies(conn: Connection, query: ReportQuery) -> dict[Key, SurvivalTallies]:
    """Per group of `query.by` (one group `()` without it), the observations of its curve;
    those censored past every group's largest delay tallied at the largest."""
    keys, group_of = _grouping(conn, query.by)
    rolled_filters = [
        *report_filters(dep, "deployed_at", query, indexed=False),
        dep.c.rolled_back_at <= query.as_of,
    ]
    delay = dep.c.rolled_back_at - dep.c.deployed_at
    longest = conn.execute(select(func.max(delay)).where(*rolled_filters)).scalar()
    # Deployed at or before `past_every_delay`: if censored, then at or past every delay.
    past_every_delay = query.as_of - int(longest or 0)
    groups: dict[Key, SurvivalTallies] = {}
    rolled_recent: Counter[tuple[Key, int]] = Counter()  # (group, deployed_at)
    rolled_early: Counter[Key] = Counter()
    recent = case((dep.c.deployed_at > past_every_delay, dep.c.deployed_at))
    rolled = select(*keys, delay, recent, func.count()).where(*rolled_filters)
    for row in conn.execute(rolled.group_by(*keys, delay, recent)):
        group = group_of(row)
        micros, deployed_at, n = int(row[-3]), row[-2], int(row[-1])
        groups.setdefault(group, SurvivalTallies()).rolled_back[micros] += n
        if deployed_at is None:
            rolled_early[group] += n
        else:
            rolled_recent[group, int(deployed_at)] += n
    # Every deployment (the stream index covers these), less the rolled-back ones above.
    everything = report_filters(dep, "deployed_at", query)
    early: Counter[Key] = Counter()
    statement = select(*keys, func.count()).where(
        *everything, dep.c.deployed_at <= past_every_delay
    )
    for row in conn.execute(statement.group_by(*keys)):
        early[group_of(row)] += int(row[-1])
    for group, n in early.items():
        if n > rolled_early[group]:
            tallies = groups.setdefault(group, SurvivalTallies())
            tallies.censored[query.as_of - past_every_delay] += n - rolled_early[group]
    latest: Counter[tuple[Key, int]] = Counter()
    statement = select(*keys, dep.c.deployed_at, func.count()).where(
        *everything, dep.c.deployed_at > past_every_delay
    )
    for row in conn.execute(statement.group_by(*keys, dep.c.deployed_at)):
        latest[group_of(row), int(row[-2])] += int(row[-1])
    for (group, deployed_at), n in latest.items():
        if n > rolled_recent[group, deployed_at]:
            tallies = groups.setdefault(group, SurvivalTallies())
            tallies.censored[query.as_of - deployed_at] += n - rolled_recent[group, deployed_at]
    return groups


def _grouping(
    conn: Connection, by: tuple[str, ...]
) -> tuple[list[Any], Callable[[Sequence[Any]], Key]]:
    """The columns to group by, and the group of a result row that starts with them.

    Model and environment are counted per stream (the indexes lead with its id) and named
    from the streams table, as the report does."""
    by_stream = [d for d in by if d in STREAM_DIMENSIONS]
    others = [d for d in by if d not in STREAM_DIMENSIONS]
    if not by_stream:
        return [dep.c[d] for d in by], lambda row: tuple(row[: len(by)])
    # Each stream's values of `by`, the others' places left as None to fill in.
    named = {
        row.id: tuple(getattr(row, d) if d in by_stream else None for d in by)
        for row in conn.execute(select(streams.c.id, streams.c.model, streams.c.environment))
    }
    if not others:
        return [dep.c.stream_id], lambda row: named[row[0]]
    places = [by.index(d) for d in others]

    def group_of(row: Sequence[Any]) -> Key:
        key = list(named[row[0]])
        for offset, place in enumerate(places, start=1):
            key[place] = row[offset]
        return tuple(key)

    return [dep.c.stream_id, *(dep.c[d] for d in others)], group_of
