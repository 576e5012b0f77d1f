"""Covering partial index over rolled-back deployments; partial index of failed rollbacks.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"

_ROLLED_BACK = sa.text("rolled_back_at IS NOT NULL")
_FAILED = sa.text("type = 'rollback_failed'")


def upgrade() -> None:
    op.drop_index("ix_deployments_rolled_back_at", table_name="deployments")
    op.create_index(
        "ix_deployments_rolled_back",
        "deployments",
        ["rolled_back_at", "deployed_at", "stream_id", "rollback_automated", "rollback_cause"],
        sqlite_where=_ROLLED_BACK,
        postgresql_where=_ROLLED_BACK,
    )
    op.create_index(
        "ix_events_failed_rollbacks",
        "events",
        ["ts"],
        sqlite_where=_FAILED,
        postgresql_where=_FAILED,
    )


def downgrade() -> None:
    op.drop_index("ix_events_failed_rollbacks", table_name="events")
    op.drop_index("ix_deployments_rolled_back", table_name="deployments")
    op.create_index(
        "ix_deployments_rolled_back_at",
        "deployments",
        ["rolled_back_at"],
        sqlite_where=_ROLLED_BACK,
        postgresql_where=_ROLLED_BACK,
    )
