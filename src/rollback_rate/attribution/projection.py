"""Keeps the deployments/orphan_rollbacks projection in step with the event log.

Only streams that received events are touched. When every new event of a stream is at or
after the last one attributed, attribution continues from the saved stack (the common,
cheap case); an event from the past makes that stream replay from its first event, so the
result never depends on arrival order (issue 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update

from rollback_rate.attribution.stack import (
    Deployed,
    Orphaned,
    Outcome,
    RolledBack,
    StreamEvent,
    StreamState,
    apply,
)
from rollback_rate.store.schema import deployments, events, orphan_rollbacks, streams
from rollback_rate.timeutil import iso_week, month

_PAGE = 5_000
_FLUSH_AT = 5_000

_mark_rolled_back = (
    update(deployments)
    .where(deployments.c.seq == bindparam("b_seq"))
    .values(
        rolled_back_at=bindparam("b_at"),
        rollback_seq=bindparam("b_rollback_seq"),
        rollback_automated=bindparam("b_automated"),
        rollback_cause=bindparam("b_cause"),
    )
)


def refresh_streams(conn: Connection, earliest_new_ts: Mapping[int, int]) -> None:
    """Bring the projection up to date for each stream id, given its earliest new event."""
    for stream_id in sorted(earliest_new_ts):
        _refresh(conn, stream_id, earliest_new_ts[stream_id])


def rebuild_all(conn: Connection) -> int:
    """Replay every stream from scratch (after a rules change); return how many."""
    ids = [row[0] for row in conn.execute(select(streams.c.id))]
    for stream_id in ids:
        _refresh(conn, stream_id, None)
    return len(ids)


def _refresh(conn: Connection, stream_id: int, earliest_new_ts: int | None) -> None:
    row = conn.execute(
        select(
            streams.c.model,
            streams.c.environment,
            streams.c.team,
            streams.c.stack,
            streams.c.last_ts,
            streams.c.last_seq,
        ).where(streams.c.id == stream_id)
    ).one()
    incremental = (
        earliest_new_ts is not None and row.last_ts is not None and earliest_new_ts >= row.last_ts
    )
    if incremental:
        state = StreamState([tuple(entry) for entry in orjson.loads(row.stack)], row.team)
        after = (row.last_ts, row.last_seq)
    else:
        conn.execute(delete(deployments).where(deployments.c.stream_id == stream_id))
        conn.execute(delete(orphan_rollbacks).where(orphan_rollbacks.c.stream_id == stream_id))
        state, after = StreamState(), None
    writer = _ProjectionWriter(conn, stream_id, row.model, row.environment)
    last = after
    for event in _events_after(conn, stream_id, after):
        writer.record(apply(state, event))
        last = (event.ts, event.seq)
    writer.flush()
    conn.execute(
        update(streams)
        .where(streams.c.id == stream_id)
        .values(
            stack=orjson.dumps(state.stack).decode(),
            team=state.team,
            last_ts=last[0] if last else None,
            last_seq=last[1] if last else None,
        )
    )


def _events_after(
    conn: Connection, stream_id: int, after: tuple[int, int] | None
) -> Iterator[StreamEvent]:
    # Keyset pages keep memory flat and leave the connection free for the writer's
    # statements between pages, on both drivers.
    columns = (
        events.c.seq,
        events.c.type,
        events.c.version,
        events.c.ts,
        events.c.automated,
        events.c.cause,
        events.c.team,
    )
    while True:
        query = select(*columns).where(events.c.stream_id == stream_id)
        if after is not None:
            query = query.where(tuple_(events.c.ts, events.c.seq) > tuple_(*after))
        page = conn.execute(query.order_by(events.c.ts, events.c.seq).limit(_PAGE)).all()
        for record in page:
            yield StreamEvent(*record)
        if len(page) < _PAGE:
            return
        after = (page[-1].ts, page[-1].seq)


class _ProjectionWriter:
    """Buffers projection rows so a long replay writes in batches, not row by row."""

    def __init__(self, conn: Connection, stream_id: int, model: str, environment: str) -> None:
        self.conn = conn
        self.base = {"stream_id": stream_id, "model": model, "environment": environment}
        self.new: dict[int, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.orphans: list[dict[str, Any]] = []

    def record(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Deployed):
                self.new[outcome.seq] = self._deployment_row(outcome)
            elif isinstance(outcome, RolledBack):
                self._rolled_back(outcome)
            elif isinstance(outcome, Orphaned):
                self.orphans.append(self._orphan_row(outcome))
        if len(self.new) + len(self.updates) + len(self.orphans) >= _FLUSH_AT:
            self.flush()

    def _rolled_back(self, outcome: RolledBack) -> None:
        values = {
            "rolled_back_at": outcome.at,
            "rollback_seq": outcome.rollback_seq,
            "rollback_automated": outcome.automated,
            "rollback_cause": outcome.cause,
        }
        pending = self.new.get(outcome.deployment_seq)
        if pending is not None:
            pending.update(values)
        else:
            self.updates.append(
                {
                    "b_seq": outcome.deployment_seq,
                    "b_at": outcome.at,
                    "b_rollback_seq": outcome.rollback_seq,
                    "b_automated": outcome.automated,
                    "b_cause": outcome.cause,
                }
            )

    def _deployment_row(self, outcome: Deployed) -> dict[str, Any]:
        return {
            **self.base,
            "seq": outcome.seq,
            "team": outcome.team,
            "version": outcome.version,
            "deployed_at": outcome.ts,
            "week": iso_week(outcome.ts),
            "month": month(outcome.ts),
            "rolled_back_at": None,
            "rollback_seq": None,
            "rollback_automated": None,
            "rollback_cause": None,
        }

    def _orphan_row(self, outcome: Orphaned) -> dict[str, Any]:
        return {
            **self.base,
            "seq": outcome.seq,
            "team": outcome.team,
            "at": outcome.at,
            "week": iso_week(outcome.at),
            "month": month(outcome.at),
            "automated": outcome.automated,
            "cause": outcome.cause,
        }

    def flush(self) -> None:
        if self.new:
            self.conn.execute(insert(deployments), list(self.new.values()))
            self.new.clear()
        if self.updates:
            self.conn.execute(_mark_rolled_back, self.updates)
            self.updates.clear()
        if self.orphans:
            self.conn.execute(insert(orphan_rollbacks), self.orphans)
            self.orphans.clear()
