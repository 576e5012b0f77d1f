"""Indexes in (cell, team) order (issue 14): a report by team and period groups the
rollup's cells and the rolled-back deployments per cell and team as it reads them, a few
thousand groups, and only those by team and month, instead of sorting every row (SQLite
groups by sorting; at a million deployments the cells 56 -> 21 ms, the rollback figures
70 -> 42 ms).

- The rollup's cell index takes the team before the stream: the same columns, so the same
  size and upkeep per write.
- SQLite only, like 0009's: a partial index of the rolled-back deployments by cell, team
  and cause, covering the rollback figures.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"

_CELL_INDEX = "ix_deployment_counts_cell"
_BY_CELL = "ix_deployments_rolled_back_by_cell"
_BY_CELL_COLUMNS = [
    "week", "month", "team", "rollback_cause", "rolled_back_at", "deployed_at",
    "rollback_automated", "stage", "rollback_bad_target", "rollback_gap", "stream_id",
]  # fmt: skip


def upgrade() -> None:
    _cell_index(["week", "month", "team_key", "stream_id", "deployments"])
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(_BY_CELL, "deployments", _BY_CELL_COLUMNS,
                        sqlite_where=sa.text("rolled_back_at IS NOT NULL"))  # fmt: skip
        # Statistics for the new indexes now, not at the next import (the planner would guess).
        op.execute("PRAGMA analysis_limit=1000")
        op.execute("ANALYZE deployments")
        op.execute("ANALYZE deployment_counts")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(_BY_CELL, table_name="deployments")
    _cell_index(["week", "month", "stream_id", "team_key", "deployments"])


def _cell_index(columns: list[str]) -> None:
    op.drop_index(_CELL_INDEX, table_name="deployment_counts")
    op.create_index(_CELL_INDEX, "deployment_counts", columns)
