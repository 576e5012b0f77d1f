"""Per-stream reads: live versions and positions (for reconcilers) and the models overview."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, String, func, literal, select, union_all

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
    """Every stream matching the filters, in (model, environment) order."""
    rows = conn.execute(
        select(streams.c.id, streams.c.model, streams.c.environment, streams.c.team,
               streams.c.stack)
        .where(*_filters(streams.c.model, streams.c.environment, model, environment))
        .order_by(streams.c.model, streams.c.environment)
    ).all()  # fmt: skip
    last_deploy = _last_deployments(conn, model, environment)
    last_rollback = _last_rollbacks(conn, model, environment)
    return [
        StreamRow(row.id, row.model, row.environment, row.team, _live(row.stack),
                  last_deploy.get(row.id), last_rollback.get(row.id))
        for row in rows
    ]  # fmt: skip


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


def _last_deployments(
    conn: Connection, model: str | None, environment: str | None
) -> dict[int, dict[str, Any]]:
    order = (dep.c.deployed_at.desc(), dep.c.seq.desc())
    ranked = (
        select(
            dep.c.stream_id,
            dep.c.version,
            dep.c.deployed_at,
            func.row_number().over(partition_by=dep.c.stream_id, order_by=order).label("rn"),
        )
        .where(*_filters(dep.c.model, dep.c.environment, model, environment))
        .subquery()
    )
    rows = conn.execute(select(ranked).where(ranked.c.rn == 1)).all()
    return {r.stream_id: {"version": r.version, "at": iso_utc(r.deployed_at)} for r in rows}


def _last_rollbacks(
    conn: Connection, model: str | None, environment: str | None
) -> dict[int, dict[str, Any]]:
    attributed = select(
        dep.c.stream_id,
        dep.c.rolled_back_at.label("at"),
        dep.c.rollback_seq.label("seq"),
        dep.c.rollback_automated.label("automated"),
        dep.c.rollback_cause.label("cause"),
        dep.c.version.label("version"),
    ).where(
        dep.c.rolled_back_at.is_not(None),
        *_filters(dep.c.model, dep.c.environment, model, environment),
    )
    orphaned = select(
        orphan.c.stream_id,
        orphan.c.at,
        orphan.c.seq,
        orphan.c.automated,
        orphan.c.cause,
        literal(None, String).label("version"),
    ).where(*_filters(orphan.c.model, orphan.c.environment, model, environment))
    both = union_all(attributed, orphaned).subquery()
    order = (both.c.at.desc(), both.c.seq.desc())
    ranked = select(
        both, func.row_number().over(partition_by=both.c.stream_id, order_by=order).label("rn")
    ).subquery()
    rows = conn.execute(select(ranked).where(ranked.c.rn == 1)).all()
    return {
        r.stream_id: {
            "at": iso_utc(r.at),
            "automated": bool(r.automated),
            "cause": r.cause,
            "rolled_back_version": r.version,
        }
        for r in rows
    }
