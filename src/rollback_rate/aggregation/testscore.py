"""The log's evidence for two tests of the ML Test Score (Breck et al. 2017), per model.

Infra 6 (canary before serving) and Infra 7 (rollback quickly and safely) are scored from
what the log shows: canary deployments and rollbacks as attributed (the projection, so
voided events are already out and amended rollbacks amended), drills and failed
rollbacks from the log itself, voided ones left out. Each kind is counted per model and
`automated` in SQL, and its latest few events listed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from rollback_rate.aggregation.query import ReportQuery
from rollback_rate.aggregation.sql import report_filters
from rollback_rate.attribution.correction_log import read_corrections
from rollback_rate.events.model import CORRECTIONS
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events, streams
from rollback_rate.store.schema import orphan_rollbacks as orphan

LATEST = 5  # events listed per model, kind and `automated`
LOGGED = ("drill", "failed_rollback")  # kinds read from the log, not the projection


@dataclass(frozen=True)
class EvidenceEvent:
    """One event the score rests on."""

    kind: str
    event_id: str
    ts: int
    automated: bool


@dataclass
class ModelEvidence:
    """A model's evidence, by (kind, automated): how many events, and the latest few
    (newest first)."""

    counts: Counter[tuple[str, bool]] = field(default_factory=Counter)
    latest: dict[tuple[str, bool], list[EvidenceEvent]] = field(default_factory=dict)

    def listed(self, row: Any) -> None:
        """List an event (a row with kind, event_id, ts, automated), if it is among the
        latest few of its kind: rows come newest first."""
        latest = self.latest.setdefault((row.kind, bool(row.automated)), [])
        if len(latest) < LATEST:
            latest.append(EvidenceEvent(row.kind, row.event_id, row.ts, bool(row.automated)))


def testscore_evidence(conn: Connection, query: ReportQuery) -> dict[str, ModelEvidence]:
    """Every model matching the filters (by name), with its evidence up to `query.as_of`
    and within `since`/`until` (each event by its own time)."""
    names = select(streams.c.model).distinct()
    for name in ("model", "environment"):
        if getattr(query, name) is not None:
            names = names.where(streams.c[name] == getattr(query, name))
    found = {model: ModelEvidence() for model in sorted(conn.execute(names).scalars())}
    # Canary deployments and rollbacks, as attributed: many, so counted in SQL, and only
    # the latest few of each (model, kind, automated) read.
    facts = _attributed(query).subquery()
    group = (facts.c.model, facts.c.kind, func.coalesce(facts.c.automated, False))
    newest = func.row_number().over(
        partition_by=group, order_by=(facts.c.ts.desc(), facts.c.seq.desc())
    )
    ranked = select(facts, newest.label("rn"), func.count().over(partition_by=group).label("n"))
    ranked_rows = ranked.subquery()
    for row in conn.execute(
        select(ranked_rows).where(ranked_rows.c.rn <= LATEST).order_by(ranked_rows.c.rn)
    ):
        evidence = found[row.model]
        if row.rn == 1:
            evidence.counts[row.kind, bool(row.automated)] += int(row.n)
        evidence.listed(row)
    # Drills and failed rollbacks live only in the log, where voided events still are: few,
    # so read whole and the voided ones left out here.
    voided = _voided(conn)
    model_of = {row.id: row.model for row in conn.execute(select(streams.c.id, streams.c.model))}
    # Sorted here: ordered by time, SQLite would scan the table through an index.
    logged = sorted(conn.execute(_logged(query)), key=lambda row: (-row.ts, -row.seq))
    for row in logged:
        if row.seq not in voided:
            evidence = found[model_of[row.stream_id]]
            evidence.counts[row.kind, bool(row.automated)] += 1
            evidence.listed(row)
    return found


# Canaries and drills have no index of their own: read in table order (`indexed=False`),
# not through the time indexes, which would fetch every row of the table at random.


def _attributed(query: ReportQuery) -> Any:
    """Canary deployments and rollbacks: (model, kind, seq, event_id, automated, ts)."""
    event = events.alias("event")
    canaries = (
        select(dep.c.model, _kind("canary_deployment"), dep.c.seq, event.c.event_id,
               event.c.automated, dep.c.deployed_at.label("ts"))
        .join(event, event.c.seq == dep.c.seq)
        .where(dep.c.stage == "canary", *report_filters(dep, "deployed_at", query, indexed=False))
    )  # fmt: skip
    # One rollback event may pop several deployments: one row per event.
    rolled_back = (
        select(dep.c.model, _kind("rollback"), dep.c.rollback_seq, event.c.event_id,
               dep.c.rollback_automated, dep.c.rolled_back_at)
        .join(event, event.c.seq == dep.c.rollback_seq)
        .where(*report_filters(dep, "rolled_back_at", query))
        .distinct()
    )  # fmt: skip
    orphaned = (
        select(orphan.c.model, _kind("rollback"), orphan.c.seq, event.c.event_id,
               orphan.c.automated, orphan.c.at)
        .join(event, event.c.seq == orphan.c.seq)
        .where(*report_filters(orphan, "at", query))
    )  # fmt: skip
    return union_all(canaries, rolled_back, orphaned)


def _logged(query: ReportQuery) -> Any:
    """Drills and failed rollbacks: (stream_id, kind, seq, event_id, automated, ts). By
    stream id, not joined to streams: SQLite would walk each stream's events by index."""
    kind = case((events.c.type == "rollback_failed", "failed_rollback"), else_="drill")
    return select(
        events.c.stream_id, kind.label("kind"), events.c.seq, events.c.event_id,
        events.c.automated, events.c.ts,
    ).where(
        or_(events.c.type == "rollback_failed",
            and_(events.c.type == "rollback", events.c.drill == true())),
        *report_filters(events, "ts", query, indexed=False),
    )  # fmt: skip


def _kind(name: str) -> Any:
    return literal(name, String).label("kind")


def _voided(conn: Connection) -> set[int]:
    """The seqs of voided events, from the streams that hold corrections (few)."""
    # Literal types, as the partial index of corrections says them: SQLite uses a partial
    # index only for a condition it can see implies the index's, never for `IN (?, ?)`.
    types: list[Any] = [literal_column(f"'{kind}'") for kind in CORRECTIONS]
    corrected = select(events.c.stream_id).where(events.c.type.in_(types)).distinct()
    ids = list(conn.execute(corrected).scalars())
    return {seq for found in read_corrections(conn, ids).values() for seq in found.voided}
