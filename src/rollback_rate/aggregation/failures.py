"""Failed rollbacks (SageMaker's UpdateRollbackFailed): the safety net that did not hold.

They move no stack, so they live only in the event log; the report counts them and lists
the latest so a reader sees which models could not be restored. A voided one is left
out, as attribution leaves out a voided rollback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import report_filters
from rollback_rate.attribution.corrections import Correction, resolve
from rollback_rate.events.model import CORRECTIONS
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
    """How many failed rollbacks match the report's filters, and the latest few; those a
    void in force takes out are left out (issue 9)."""
    where = [events.c.type == "rollback_failed", *report_filters(events, "ts", query)]
    count = conn.execute(select(func.count()).select_from(events).where(*where)).scalar_one()
    if not count:
        return FailedRollbacks()
    voided = _voided(conn)
    if voided:
        where.append(events.c.seq.not_in(voided))
        count = conn.execute(select(func.count()).select_from(events).where(*where)).scalar_one()
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


def _voided(conn: Connection) -> list[int]:
    """The seqs of failed rollbacks a void in force takes out. Voids are few and live in
    their target's stream, so only the streams with failed rollbacks are read (each
    condition repeats a partial index's predicate, so both databases use it)."""
    # No DISTINCT: SQLite would then scan the stream index of the whole log for its order.
    failing = select(events.c.stream_id).where(events.c.type == "rollback_failed")
    target = events.alias("target_event")
    rows = conn.execute(
        select(events.c.seq, events.c.ts, target.c.seq, target.c.type)
        .select_from(events.join(target, target.c.event_id == events.c.target))
        .where(events.c.type.in_(CORRECTIONS), events.c.type == "void",
               events.c.stream_id.in_(failing.scalar_subquery()))
    ).all()  # fmt: skip
    out = resolve(Correction(seq, "void", ts, target_seq) for seq, ts, target_seq, _ in rows).voided
    return sorted(seq for _, _, seq, kind in rows if kind == "rollback_failed" and seq in out)
