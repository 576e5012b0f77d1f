"""Outcomes that became known in a span of time: what rate alerts watch (issue 10).

A deployment's outcome is known when it is rolled back within the observation window (a
failure, at the rollback's time) or when the window closes without one (a success, at
deployment time + window). Counting the outcomes known in a span, rather than the
deployments made in it, gives a rolling rate without the bias of recent deployments
whose windows are still open: a rollback counts at once, a success a window later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, and_, func, not_, select

from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events


@dataclass
class OutcomeTally:
    """One model, environment and team's outcomes known in the span; the rollback events
    behind its failures, oldest first."""

    model: str
    environment: str
    team: str | None
    settled: int = 0
    rollbacks: int = 0
    rollback_event_ids: list[str] = field(default_factory=list)


def settled_outcomes(
    conn: Connection, start: int, end: int, window: int, models: Sequence[str] | None = None
) -> list[OutcomeTally]:
    """Outcomes known in (start, end], per model, environment and team (of `models`,
    None: all), in that order."""
    rolled_back_within = and_(
        dep.c.rolled_back_at.is_not(None), dep.c.rolled_back_at - dep.c.deployed_at <= window
    )
    scope: list[ColumnElement[bool]] = []
    if models is not None:
        scope.append(dep.c.model.in_(sorted(set(models))))
    keys = (dep.c.model, dep.c.environment, dep.c.team)
    tallies: dict[tuple[str, str, str | None], OutcomeTally] = {}
    successes = conn.execute(
        select(*keys, func.count())
        .where(*scope, dep.c.deployed_at > start - window, dep.c.deployed_at <= end - window,
               not_(rolled_back_within))
        .group_by(*keys)
    )  # fmt: skip
    for model, environment, team, n in successes:
        tally = tallies.setdefault(
            (model, environment, team), OutcomeTally(model, environment, team)
        )
        tally.settled += int(n)
    failures = conn.execute(
        select(*keys, events.c.event_id)
        .join(events, events.c.seq == dep.c.rollback_seq)
        .where(*scope, dep.c.rolled_back_at > start, dep.c.rolled_back_at <= end,
               rolled_back_within)
        .order_by(dep.c.rolled_back_at, dep.c.seq)
    )  # fmt: skip
    for model, environment, team, event_id in failures:
        tally = tallies.setdefault(
            (model, environment, team), OutcomeTally(model, environment, team)
        )
        tally.settled += 1
        tally.rollbacks += 1
        if event_id not in tally.rollback_event_ids[-1:]:
            tally.rollback_event_ids.append(event_id)
    return [tallies[key] for key in sorted(tallies, key=lambda k: (k[0], k[1], k[2] or ""))]
