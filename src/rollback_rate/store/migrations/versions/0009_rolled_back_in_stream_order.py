"""Two partial indexes of rolled-back deployments in stream order, on SQLite (issue 14):
a report by model or stream then reads its rollback figures per root cause, and each
stream's delays for the medians, in index order instead of sorting them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"

_ROLLED_BACK = sa.text("rolled_back_at IS NOT NULL")
_INDEXES: dict[str, list[str | sa.TextClause]] = {
    "ix_deployments_rolled_back_by_stream": [
        "stream_id", "rollback_cause", "rolled_back_at", "deployed_at", "rollback_automated",
        "team", "week", "month", "stage", "rollback_bad_target", "rollback_gap",
    ],
    "ix_deployments_rollback_delay": [
        "stream_id", sa.text("(rolled_back_at - deployed_at)"), "deployed_at", "rolled_back_at",
        "team", "week", "month",
    ],
}  # fmt: skip


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL hashes its groups: these would only cost its writes
    for name, columns in _INDEXES.items():
        op.create_index(name, "deployments", columns, sqlite_where=_ROLLED_BACK)
    # Statistics for the new indexes now, not at the next import (the planner would guess).
    op.execute("PRAGMA analysis_limit=1000")
    op.execute("ANALYZE deployments")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _INDEXES:
        op.drop_index(name, table_name="deployments")
