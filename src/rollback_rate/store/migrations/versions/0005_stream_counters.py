"""Streams keep their counters: counted deployments (the projection's) and recorded
deployment and rollback events (the log's), so the Prometheus scrape reads ~1 row per
stream instead of counting a million.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

COUNTERS = (
    "deployments_counted",
    "deployments_recorded",
    "deployments_recorded_automated",
    "rollbacks_recorded",
    "rollbacks_recorded_automated",
)


def upgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        for name in COUNTERS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
    # Databases from before this revision: count once what is already there.
    op.execute(
        "UPDATE streams SET deployments_counted = "
        "(SELECT count(*) FROM deployments WHERE deployments.stream_id = streams.id)"
    )
    for column, kind, automated in (
        ("deployments_recorded", "deployment", None),
        ("deployments_recorded_automated", "deployment", True),
        ("rollbacks_recorded", "rollback", None),
        ("rollbacks_recorded_automated", "rollback", True),
    ):
        flag = " AND events.automated" if automated else ""
        op.execute(
            f"UPDATE streams SET {column} = (SELECT count(*) FROM events WHERE "
            f"events.stream_id = streams.id AND events.type = '{kind}'{flag})"
        )


def downgrade() -> None:
    with op.batch_alter_table("streams") as batch:
        for name in COUNTERS:
            batch.drop_column(name)
