"""What a Prometheus scrape shows, per stream, read without scanning the history.

The rate gauges are a report by model and environment as of now, and a report counts
every deployment. A scrape every 15 seconds cannot: at a million deployments that is
about a second of work each time. Three facts make it cheap instead:

* each stream row keeps its counted deployments (`deployments_counted`, maintained by
  attribution) and its recorded events (the counters);
* a deployment's window closes `window` after it: only the deployments of the last
  `window` (and any dated after `as_of`) are not settled by time, and the stream index
  finds those few per stream;
* rollbacks are few, and the partial index over rolled-back deployments covers them.

So deployments = counted - those after `as_of`; settled = counted - those of the last
`window` (or later) + those of them rolled back within the window by `as_of`; the same
numbers as the report, which a test holds them to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, select

from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import streams


@dataclass(frozen=True)
class StreamGauge:
    """One stream's figures as of a moment, over a window, and its recorded events."""

    model: str
    environment: str
    deployments: int
    settled: int
    rollbacks: int
    deployments_recorded: int
    deployments_recorded_automated: int
    rollbacks_recorded: int
    rollbacks_recorded_automated: int


def stream_gauges(conn: Connection, as_of: int, window: int) -> list[StreamGauge]:
    """Every stream's gauges, in (model, environment) order."""
    opened = as_of - window  # deployments after this are not settled by time
    within = and_(dep.c.rolled_back_at <= as_of, dep.c.rolled_back_at - dep.c.deployed_at <= window)
    recent: dict[int, tuple[int, int, int]] = {}
    query = (
        select(
            dep.c.stream_id,
            func.count(),
            func.sum(case((dep.c.deployed_at > as_of, 1), else_=0)),
            func.sum(case((and_(dep.c.deployed_at <= as_of, within), 1), else_=0)),
        )
        # Per stream: each stream's few recent rows, found on the stream index.
        .where(dep.c.stream_id.in_(select(streams.c.id)), dep.c.deployed_at > opened)
        .group_by(dep.c.stream_id)
    )
    for stream_id, total, future, early in conn.execute(query):
        recent[stream_id] = (int(total), int(future or 0), int(early or 0))
    rolled_back: dict[int, int] = dict(
        conn.execute(
            select(dep.c.stream_id, func.count())
            .where(dep.c.rolled_back_at.is_not(None), within, dep.c.deployed_at + 0 <= as_of)
            .group_by(dep.c.stream_id)
        ).all()
    )
    gauges = []
    columns = (streams.c.id, streams.c.model, streams.c.environment,
               streams.c.deployments_counted, streams.c.deployments_recorded,
               streams.c.deployments_recorded_automated, streams.c.rollbacks_recorded,
               streams.c.rollbacks_recorded_automated)  # fmt: skip
    ordered = select(*columns).order_by(streams.c.model, streams.c.environment)
    for row in conn.execute(ordered):
        total, future, early = recent.get(row.id, (0, 0, 0))
        gauges.append(
            StreamGauge(
                model=row.model,
                environment=row.environment,
                deployments=row.deployments_counted - future,
                settled=row.deployments_counted - total + early,
                rollbacks=int(rolled_back.get(row.id, 0)),
                deployments_recorded=row.deployments_recorded,
                deployments_recorded_automated=row.deployments_recorded_automated,
                rollbacks_recorded=row.rollbacks_recorded,
                rollbacks_recorded_automated=row.rollbacks_recorded_automated,
            )
        )
    return gauges
