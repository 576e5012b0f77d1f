"""Buffers projection rows so attribution writes in batches across streams, not row by row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

from rollback_rate.attribution.changes import ChangeLog
from rollback_rate.attribution.stack import Deployed, FixedForward, Orphaned, Outcome, RolledBack
from rollback_rate.store.backend import backend_of
from rollback_rate.store.statement_queue import StatementQueue
from rollback_rate.timeutil import MICROS_PER_DAY, periods, periods_of_day

_FLUSH_AT = 10_000
# A deployment's rollback columns (until rolled back), then its fix-forward ones.
_NOT_YET = (None, None, None, None, None, None)
_NOT_FIXED = (None, None)
_DEPLOYMENT_COLUMNS = ("seq", "stream_id", "model", "environment", "team", "version",
                       "deployed_at", "week", "month", "rolled_back_at", "rollback_seq",
                       "rollback_automated", "rollback_cause", "rollback_bad_target",
                       "rollback_gap", "stage", "unplanned", "fixed_forward_at",
                       "fixed_forward_seq")  # fmt: skip
_ROLLBACK = slice(9, 15)
_FIXED_FORWARD = slice(17, 19)
# Sets of columns that are None together: the team; the rollback, until there is one; its
# cause; a bad target (flags are NULL when false); the gap; the stage; unplanned; the
# fix-forward (SQLite leaves an empty set out of the insert rather than bind None).
_DEPLOYMENT_NULLABLE = ((4,), (9, 10, 11), (12,), (13,), (14,), (15,), (16,), (17, 18))
_ORPHAN_COLUMNS = ("seq", "stream_id", "model", "environment", "team", "at", "week", "month",
                   "automated", "cause")  # fmt: skip
_ORPHAN_NULLABLE = ((4,), (9,))
_MARK_ROLLED_BACK = (
    "UPDATE deployments SET rolled_back_at = ?, rollback_seq = ?, rollback_automated = ?, "
    "rollback_cause = ?, rollback_bad_target = ?, rollback_gap = ? WHERE seq = ?"
)
# Counted deployments per cell of the rollup (aggregation/cells.py), added up.
_COUNT_CELLS = (
    "INSERT INTO deployment_counts (stream_id, team_key, week, month, deployments) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream_id, team_key, week, month) "
    "DO UPDATE SET deployments = deployment_counts.deployments + excluded.deployments"
)
_MARK_FIXED_FORWARD = (
    "UPDATE deployments SET fixed_forward_at = ?, fixed_forward_seq = ? WHERE seq = ?"
)


class ProjectionWriter:
    """Turns outcomes into projection rows, buffered, handed to the statement queue."""

    def __init__(
        self, conn: Connection, queue: StatementQueue, changes: ChangeLog | None = None
    ) -> None:
        self.conn = conn
        self.backend = backend_of(conn)
        self.queue = queue
        self.changes = changes
        self.base: tuple[int, str, str] = (0, "", "")
        self.new: dict[int, list[Any]] = {}
        self.updates: list[Sequence[Any]] = []
        self.fixes: list[Sequence[Any]] = []
        self.orphans: list[Sequence[Any]] = []
        self.cells: dict[tuple[int, str, str, str], int] = {}

    def stream(self, stream_id: int, model: str, environment: str) -> None:
        self.base = (stream_id, model, environment)

    def record(self, outcomes: Iterable[Outcome]) -> int:
        """Buffer the rows of one event's outcomes; return how many deployments it counted."""
        counted = 0
        for outcome in outcomes:
            if type(outcome) is Deployed:  # the common case: inline, no calls
                seq, ts, version, team, stage, unplanned = outcome
                week, month = periods_of_day(ts // MICROS_PER_DAY)
                self.new[seq] = [seq, *self.base, team, version, ts, week, month, *_NOT_YET,
                                 stage, unplanned or None, *_NOT_FIXED]  # fmt: skip
                cell = (self.base[0], team or "", week, month)
                self.cells[cell] = self.cells.get(cell, 0) + 1
                counted += 1
            elif type(outcome) is RolledBack:
                self._rolled_back(outcome)
            elif type(outcome) is Orphaned:
                week, month = periods(outcome.at)
                self.orphans.append(
                    (outcome.seq, *self.base, outcome.team, outcome.at, week, month,
                     outcome.automated, outcome.cause)
                )  # fmt: skip
            elif type(outcome) is FixedForward:
                self._fixed_forward(outcome)
        if self.changes is not None and outcomes:
            self.changes.record(self.base[0], outcomes)
        if len(self.new) + len(self.updates) + len(self.orphans) >= _FLUSH_AT:
            self.flush()
        return counted

    def _rolled_back(self, outcome: RolledBack) -> None:
        rolled_back = [outcome.at, outcome.rollback_seq, outcome.automated, outcome.cause,
                       outcome.bad_target or None, outcome.gap]  # fmt: skip
        pending = self.new.get(outcome.deployment_seq)
        if pending is not None:  # still buffered: written rolled back in the first place
            pending[_ROLLBACK] = rolled_back
        else:
            self.updates.append((*rolled_back, outcome.deployment_seq))

    def _fixed_forward(self, outcome: FixedForward) -> None:
        fixed = [outcome.at, outcome.by_seq]
        pending = self.new.get(outcome.deployment_seq)
        if pending is not None:
            pending[_FIXED_FORWARD] = fixed
        else:
            self.fixes.append((*fixed, outcome.deployment_seq))

    def flush(self) -> None:
        """Hand the buffered rows to the queue (they are its from now on)."""
        if self.new or self.updates or self.orphans or self.fixes:
            cells = [(*cell, n) for cell, n in self.cells.items()]
            batch = (list(self.new.values()), self.updates, self.orphans, self.fixes, cells)
            self.new, self.updates, self.orphans, self.fixes, self.cells = {}, [], [], [], {}
            self.queue.submit(self._write, *batch)

    def _write(
        self,
        new: list[list[Any]],
        updates: list[Sequence[Any]],
        orphans: list[Sequence[Any]],
        fixes: list[Sequence[Any]],
        cells: list[Sequence[Any]],
    ) -> None:
        backend = self.backend
        backend.insert_rows(
            self.conn, "deployments", _DEPLOYMENT_COLUMNS, new, _DEPLOYMENT_NULLABLE
        )
        backend.execute_many(self.conn, _COUNT_CELLS, cells)
        backend.execute_many(self.conn, _MARK_ROLLED_BACK, updates)
        backend.execute_many(self.conn, _MARK_FIXED_FORWARD, fixes)
        backend.insert_rows(
            self.conn, "orphan_rollbacks", _ORPHAN_COLUMNS, orphans, _ORPHAN_NULLABLE
        )
