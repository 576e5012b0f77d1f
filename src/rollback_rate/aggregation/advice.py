"""What root-cause advice is computed from: the report's counted rollbacks, per cause.

For one scope (the report's filters), optionally split by team or model: each cause's
rollbacks (deployments rolled back within the window, as `root_causes` counts them), the
rollback events behind them (the evidence), and, when costed, their exposure per model,
environment, team and `automated`; and the same causes' counts in the period before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, func, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import Key, report_filters, within_window
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events

UNSPECIFIED = "unspecified"  # a rollback that recorded no cause (README, "The event format")
# (model, environment, team, automated): rollbacks, exposure (microseconds)
ExposureKey = tuple[str, str, str | None, bool]


@dataclass
class CauseTally:
    """One cause's counted rollbacks in one group, and the rollback events behind them."""

    count: int = 0
    event_ids: dict[str, None] = field(default_factory=dict)  # distinct, in rollback order
    exposure: dict[ExposureKey, list[int]] = field(default_factory=dict)  # -> [n, micros]


@dataclass(frozen=True)
class AdviceCounts:
    """Per group key (() without grouping): causes this period, and counts the period
    before (None when the query has no period before it)."""

    current: dict[Key, dict[str, CauseTally]]
    previous: dict[Key, dict[str, int]] | None


def advice_counts(conn: Connection, query: ReportQuery) -> AdviceCounts:
    """The causes of the query's counted rollbacks, grouped by `query.by`."""
    keys = [dep.c[d] for d in query.by]
    cause = func.coalesce(dep.c.rollback_cause, UNSPECIFIED)
    rows = conn.execute(
        select(*keys, cause, events.c.event_id, dep.c.model, dep.c.environment, dep.c.team,
               dep.c.rollback_automated, dep.c.rolled_back_at - dep.c.deployed_at)
        .join(events, events.c.seq == dep.c.rollback_seq)
        .where(*report_filters(dep, "deployed_at", query, indexed=False), within_window(query))
        .order_by(dep.c.rolled_back_at, dep.c.rollback_seq, dep.c.seq)
    )  # fmt: skip
    current: dict[Key, dict[str, CauseTally]] = {}
    width = len(keys)
    for row in rows:
        name, event_id, model, environment, team, automated, micros = row[width:]
        tally = current.setdefault(tuple(row[:width]), {}).setdefault(name, CauseTally())
        tally.count += 1
        tally.event_ids[event_id] = None  # one event can roll back several deployments
        exposure = tally.exposure.setdefault((model, environment, team, bool(automated)), [0, 0])
        exposure[0] += 1
        exposure[1] += int(micros)
    before = query.previous()  # grouped as the query is (`previous` groups by nothing)
    return AdviceCounts(
        current, None if before is None else _cause_counts(conn, replace(before, by=query.by))
    )


def _cause_counts(conn: Connection, query: ReportQuery) -> dict[Key, dict[str, int]]:
    keys = [dep.c[d] for d in query.by]
    cause = func.coalesce(dep.c.rollback_cause, UNSPECIFIED).label("cause")
    statement = (
        select(*keys, cause, func.count())
        .where(*report_filters(dep, "deployed_at", query, indexed=False), within_window(query))
        .group_by(*keys, cause)
    )
    counts: dict[Key, dict[str, int]] = {}
    for row in conn.execute(statement):
        counts.setdefault(tuple(row[: len(keys)]), {})[row[len(keys)]] = int(row[-1])
    return counts
