"""Report indexes cover team, week and month too, so grouped reports never read the table.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

_ROLLED_BACK = sa.text("rolled_back_at IS NOT NULL")
_ROLLBACK_COLUMNS = ["rolled_back_at", "deployed_at", "stream_id", "rollback_automated",
                     "rollback_cause"]  # fmt: skip
_GROUPS = ["team", "week", "month"]


def upgrade() -> None:
    op.drop_index("ix_deployments_stream", table_name="deployments")
    op.create_index(
        "ix_deployments_stream_cover", "deployments", ["stream_id", "deployed_at", *_GROUPS]
    )
    op.drop_index("ix_deployments_rolled_back", table_name="deployments")
    op.create_index(
        "ix_deployments_rolled_back_cover",
        "deployments",
        [*_ROLLBACK_COLUMNS, *_GROUPS],
        sqlite_where=_ROLLED_BACK,
        postgresql_where=_ROLLED_BACK,
    )


def downgrade() -> None:
    op.drop_index("ix_deployments_rolled_back_cover", table_name="deployments")
    op.create_index(
        "ix_deployments_rolled_back",
        "deployments",
        _ROLLBACK_COLUMNS,
        sqlite_where=_ROLLED_BACK,
        postgresql_where=_ROLLED_BACK,
    )
    op.drop_index("ix_deployments_stream_cover", table_name="deployments")
    op.create_index("ix_deployments_stream", "deployments", ["stream_id", "deployed_at"])
