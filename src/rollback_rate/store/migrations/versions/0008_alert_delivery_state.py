"""Alert delivery state: each alert sent once, whichever replica notices it (issue 10).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("rule", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("observed_at", sa.BigInteger),
        sa.Column("episode", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("rule", sa.Text, primary_key=True),
        sa.Column("alert_key", sa.Text, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("lease_owner", sa.String(100)),
        sa.Column("lease_until", sa.BigInteger),
        sa.Column("sent_at", sa.BigInteger),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_alert_deliveries_due", "alert_deliveries", ["next_attempt_at"],
                    sqlite_where=_PENDING, postgresql_where=_PENDING)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_alert_deliveries_due", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_table("alert_states")
