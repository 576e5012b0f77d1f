"""Per-stream reads: live versions and positions (for reconcilers) and the models overview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, select

from rollback_rate.store.schema import deployments as dep
from rollback_rate.store.schema import events, streams
from rollback_rate.store.schema import orphan_rollbacks as orphan
from rollback_rate.timeutil import iso_utc


@dataclass(frozen=True)
class StreamPosition:
    """Where a stream stands: its live version (the top of its attribution stack, None when
    nothing is live) and the last event attributed to it."""

    live: str | None
    last_ts: int | None
    last_event_id: str | None


def stream_positions(
    conn: Connection, models: Iterable[str] | None = None
) -> dict[tuple[str, str], StreamPosition]:
    """Each stream of `models` (None: all) by (model, environment). A known stream with
    nothing live maps to a position whose `live` is None, so a caller can tell it from a
    stream never heard of."""
    query = select(
        streams.c.model, streams.c.environment, streams.c.stack, streams.c.last_ts,
        events.c.event_id,
    ).select_from(streams.outerjoin(events, events.c.seq == streams.c.last_seq))  # fmt: skip
    if models is not None:
        wanted = sorted(set(models))
        if not wanted:
            return {}
        query = query.where(streams.c.model.in_(wanted))
    return {
        (row.model, row.environment): StreamPosition(_live(row.stack), row.last_ts, row.event_id)
        for row in conn.execute(query)
    }


@dataclass(frozen=True)
class StreamRow:
    """A stream as the models overview shows it, before rates are added."""

    id: int
    model: str
    environment: str
    team: str | None
    live_version: str | None
    last_deployment: dict[str, Any] | None
    last_rollback: dict[str, Any] | None


def stream_rows(conn: Connection, model: str | None, environment: str | None) -> list[StreamRow]:
    """Every stream matching the filters, in (model, environment) order, with its last
    deployment and last rollback: each found by one seek per stream on an index that
    starts with the stream (never by reading every deployment)."""
    where = _filters(streams.c.model, streams.c.environment, model, environment)
    latest = (
        select(dep.c.seq)
        .where(dep.c.stream_id == streams.c.id)
        .order_by(dep.c.deployed_at.desc(), dep.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    rolled = (
        select(dep.c.seq)
        .where(dep.c.stream_id == streams.c.id, dep.c.rolled_back_at.is_not(None))
        .order_by(dep.c.rolled_back_at.desc(), dep.c.rollback_seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    orphaned = (
        select(orphan.c.seq)
        .where(orphan.c.stream_id == streams.c.id)
        .order_by(orphan.c.at.desc(), orphan.c.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(streams.c.id, streams.c.model, streams.c.environment, streams.c.team,
               streams.c.stack, latest.label("deployed"), rolled.label("rolled"),
               orphaned.label("orphaned"))
        .where(*where)
        .order_by(streams.c.model, streams.c.environment)
    ).all()  # fmt: skip
    deployed = _deployments(conn, [r.deployed for r in rows] + [r.rolled for r in rows])
    orphans = _orphans(conn, [r.orphaned for r in rows])
    return [
        StreamRow(row.id, row.model, row.environment, row.team, _live(row.stack),
                  _last_deployment(deployed.get(row.deployed)),
                  _last_rollback(deployed.get(row.rolled), orphans.get(row.orphaned)))
        for row in rows
    ]  # fmt: skip


def _deployments(conn: Connection, seqs: list[int | None]) -> dict[int, Any]:
    wanted = sorted({seq for seq in seqs if seq is not None})
    found: dict[int, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(
            dep.c.seq,
            dep.c.version,
            dep.c.deployed_at,
            dep.c.rolled_back_at,
            dep.c.rollback_seq,
            dep.c.rollback_automated,
            dep.c.rollback_cause,
        )
        for row in conn.execute(query.where(dep.c.seq.in_(chunk))):  # fmt: skip
            found[row.seq] = row
    return found


def _orphans(conn: Connection, seqs: list[int | None]) -> dict[int, Any]:
    wanted = sorted({seq for seq in seqs if seq is not None})
    found: dict[int, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(orphan.c.seq, orphan.c.at, orphan.c.automated, orphan.c.cause)
        for row in conn.execute(query.where(orphan.c.seq.in_(chunk))):
            found[row.seq] = row
    return found


def _last_deployment(row: Any) -> dict[str, Any] | None:
    return None if row is None else {"version": row.version, "at": iso_utc(row.deployed_at)}


def _last_rollback(rolled: Any, orphaned: Any) -> dict[str, Any] | None:
    """The later of the last rollback of a deployment and the last orphan rollback (by
    time, then arrival)."""
    candidates = []
    if rolled is not None:
        candidates.append(
            (
                (rolled.rolled_back_at, rolled.rollback_seq),
                {
                    "at": iso_utc(rolled.rolled_back_at),
                    "automated": bool(rolled.rollback_automated),
                    "cause": rolled.rollback_cause,
                    "rolled_back_version": rolled.version,
                },
            )
        )
    if orphaned is not None:
        candidates.append(((orphaned.at, orphaned.seq), {
            "at": iso_utc(orphaned.at), "automated": bool(orphaned.automated),
            "cause": orphaned.cause, "rolled_back_version": None}))  # fmt: skip
    return max(candidates, key=lambda item: item[0])[1] if candidates else None


def _live(stack: str | None) -> str | None:
    entries = orjson.loads(stack) if stack else []
    return str(entries[-1][0]) if entries else None


def _filters(
    model_col: Any, env_col: Any, model: str | None, environment: str | None
) -> Sequence[ColumnElement[bool]]:
    clauses = []
    if model is not None:
        clauses.append(model_col == model)
    if environment is not None:
        clauses.append(env_col == environment)
    return clauses
