"""Failed rollbacks (SageMaker's UpdateRollbackFailed): the safety net that did not hold.

They move no stack, so they live only in the event log; the report counts them and lists
the latest so a reader sees which models could not be restored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import report_filters
from rollback_rate.store.schema import events, streams
from rollback_rate.timeutil import iso_utc

LATEST = 20


@dataclass(frozen=True)
class FailedRollbacks:
    count: int = 0
    latest: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "latest": self.latest}


def failed_rollbacks(conn: Connection, query: ReportQuery) -> FailedRollbacks:
    """How many failed rollbacks match the report's filters, and the latest few."""
    where = [events.c.type == "rollback_failed", *report_filters(events, "ts", query)]
    count = conn.execute(select(func.count()).select_from(events).where(*where)).scalar_one()
    if not count:
        return FailedRollbacks()
    rows = conn.execute(
        select(streams.c.model, streams.c.environment, events.c.version, events.c.ts)
        .join(streams, streams.c.id == events.c.stream_id)
        .where(*where)
        .order_by(events.c.ts.desc(), events.c.seq.desc())
        .limit(LATEST)
    )
    latest = [
        {"model": r.model, "environment": r.environment, "version": r.version,
         "timestamp": iso_utc(r.ts)}
        for r in rows
    ]  # fmt: skip
    return FailedRollbacks(int(count), latest)
