"""The facts of rollback readiness, per live stream, read in one snapshot (issue 10).

A stream is live when its attribution stack has a top entry. Its rollback target is the
entry just below: what a rollback without a version restores (stack rule 4). That entry's
seq names the deployment event whose `artifact` and `digest` say whether the target can
be redeployed as it ran; a restored entry (seq null: a version the stream never deployed
here) has neither. The stream row keeps the versions rollbacks took off it (a target
among them is a bad target) and when rolling back was last exercised (a rollback or a
drill); the median time to roll back is over every counted rollback of the stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, and_, func, select

from rollback_rate.aggregation.query import check_name
from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events, streams


@dataclass(frozen=True)
class ReadinessQuery:
    """Which streams: exact model, environment and team (the stream's last team)."""

    model: str | None = None
    environment: str | None = None
    team: str | None = None

    def __post_init__(self) -> None:
        for option in ("model", "environment", "team"):
            check_name(getattr(self, option), option)


@dataclass(frozen=True)
class ReadinessRow:
    """One live stream's facts; event ids are those of the live and target deployments."""

    model: str
    environment: str
    team: str | None
    live_version: str
    live_event_id: str | None
    target_version: str | None
    target_event_id: str | None
    target_artifact: str | None
    target_digest: str | None
    target_rolled_back_before: bool
    last_exercised_at: int | None
    median_rollback_micros: float | None


def readiness_rows(conn: Connection, query: ReadinessQuery) -> list[ReadinessRow]:
    """Every live stream matching the query, in (model, environment) order."""
    names = [name for name in ("model", "environment", "team") if getattr(query, name) is not None]
    clauses = [streams.c[name] == getattr(query, name) for name in names]
    found = conn.execute(
        select(streams.c.id, streams.c.model, streams.c.environment, streams.c.team,
               streams.c.stack, streams.c.rolled_back_versions, streams.c.last_exercised_at)
        .where(*clauses)
        .order_by(streams.c.model, streams.c.environment)
    ).all()  # fmt: skip
    live = []
    for row in found:
        stack = orjson.loads(row.stack) if row.stack else []
        if stack:
            live.append((row, stack[-1], stack[-2] if len(stack) > 1 else None))
    seqs = {entry[1] for _, top, below in live for entry in (top, below)
            if entry is not None and entry[1] is not None}  # fmt: skip
    facts = _deployment_facts(conn, seqs)
    medians = _medians(conn, [row.id for row, _, _ in live])
    rows = []
    for row, (version, seq), below in live:
        target_version, target_seq = below if below is not None else (None, None)
        target = facts.get(target_seq) if target_seq is not None else None
        rolled_back = set(orjson.loads(row.rolled_back_versions or "[]"))
        rows.append(
            ReadinessRow(
                model=row.model,
                environment=row.environment,
                team=row.team,
                live_version=str(version),
                live_event_id=facts[seq][0] if seq in facts else None,
                target_version=None if target_version is None else str(target_version),
                target_event_id=None if target is None else target[0],
                target_artifact=None if target is None else target[1],
                target_digest=None if target is None else target[2],
                target_rolled_back_before=target_version is not None
                and str(target_version) in rolled_back,
                last_exercised_at=row.last_exercised_at,
                median_rollback_micros=medians.get(row.id),
            )
        )
    return rows


def _deployment_facts(
    conn: Connection, seqs: set[int]
) -> dict[int, tuple[str, str | None, str | None]]:
    if not seqs:
        return {}
    rows = conn.execute(
        select(events.c.seq, events.c.event_id, events.c.artifact, events.c.digest).where(
            events.c.seq.in_(sorted(seqs))
        )
    )
    return {row.seq: (row.event_id, row.artifact, row.digest) for row in rows}


def _medians(conn: Connection, stream_ids: list[int]) -> dict[int, float]:
    """Median of rollback time minus deployment time over each stream's counted rollbacks,
    late ones included (a portable median: the middle one or two of each stream)."""
    if not stream_ids:
        return {}
    delay = (dep.c.rolled_back_at - dep.c.deployed_at).label("delay")
    ranked = (
        select(
            dep.c.stream_id,
            delay,
            func.row_number().over(partition_by=dep.c.stream_id, order_by=delay).label("rn"),
            func.count().over(partition_by=dep.c.stream_id).label("n"),
        )
        .where(dep.c.rolled_back_at.is_not(None), dep.c.stream_id.in_(stream_ids))
        .subquery()
    )
    middle = and_(ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2)
    statement = (
        select(ranked.c.stream_id, func.avg(ranked.c.delay))
        .where(middle)
        .group_by(ranked.c.stream_id)
    )
    return {stream_id: float(median) for stream_id, median in conn.execute(statement)}
