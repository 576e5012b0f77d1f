"""Event log, streams and the attribution projection.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(200), nullable=False, unique=True),
        sa.Column("stream_id", sa.Integer, nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("version", sa.String(200)),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("automated", sa.Boolean, nullable=False),
        sa.Column("cause", sa.String(100)),
        sa.Column("team", sa.String(200)),
        sa.Column("note", sa.Text),
        sa.Column("attributes", sa.Text),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_events_stream_order", "events", ["stream_id", "ts", "seq"])
    op.create_table(
        "streams",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("stack", sa.Text, nullable=False, server_default="[]"),
        sa.Column("last_ts", sa.BigInteger),
        sa.Column("last_seq", sa.BigInteger),
        sa.UniqueConstraint("model", "environment", name="uq_streams_model_environment"),
    )
    op.create_table(
        "deployments",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("stream_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("deployed_at", sa.BigInteger, nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("rolled_back_at", sa.BigInteger),
        sa.Column("rollback_seq", sa.BigInteger),
        sa.Column("rollback_automated", sa.Boolean),
        sa.Column("rollback_cause", sa.String(100)),
    )
    op.create_index("ix_deployments_stream", "deployments", ["stream_id", "deployed_at"])
    op.create_index(
        "ix_deployments_rolled_back_at",
        "deployments",
        ["rolled_back_at"],
        sqlite_where=sa.text("rolled_back_at IS NOT NULL"),
        postgresql_where=sa.text("rolled_back_at IS NOT NULL"),
    )
    op.create_table(
        "orphan_rollbacks",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("stream_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("environment", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("automated", sa.Boolean, nullable=False),
        sa.Column("cause", sa.String(100)),
    )
    op.create_index("ix_orphan_rollbacks_stream", "orphan_rollbacks", ["stream_id"])


def downgrade() -> None:
    for table in ("orphan_rollbacks", "deployments", "streams", "events"):
        op.drop_table(table)
