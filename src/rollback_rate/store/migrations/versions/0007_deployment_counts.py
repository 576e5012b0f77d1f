"""Rollup of counted deployments per stream, team, ISO week and month (issue 14): reports
sum these cells instead of reading every deployment, and count raw rows only where a
time bound cuts a cell.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "deployment_counts",
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.String(200), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("deployments", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "team_key", "week", "month"),
    )
    op.create_index(
        "ix_deployment_counts_cell",
        "deployment_counts",
        ["week", "month", "stream_id", "team_key", "deployments"],
    )
    # The models overview finds each stream's last rollback by one seek.
    rolled_back = sa.text("rolled_back_at IS NOT NULL")
    op.create_index(
        "ix_deployments_stream_rolled_back",
        "deployments",
        ["stream_id", "rolled_back_at"],
        sqlite_where=rolled_back,
        postgresql_where=rolled_back,
    )
    op.drop_index("ix_orphan_rollbacks_stream", table_name="orphan_rollbacks")
    op.create_index("ix_orphan_rollbacks_stream", "orphan_rollbacks", ["stream_id", "at"])
    op.execute(
        "INSERT INTO deployment_counts (stream_id, team_key, week, month, deployments) "
        "SELECT stream_id, coalesce(team, ''), week, month, count(*) FROM deployments "
        "GROUP BY stream_id, coalesce(team, ''), week, month"
    )


def downgrade() -> None:
    op.drop_index("ix_orphan_rollbacks_stream", table_name="orphan_rollbacks")
    op.create_index("ix_orphan_rollbacks_stream", "orphan_rollbacks", ["stream_id"])
    op.drop_index("ix_deployments_stream_rolled_back", table_name="deployments")
    op.drop_index("ix_deployment_counts_cell", table_name="deployment_counts")
    op.drop_table("deployment_counts")
