"""The contract's later fields: corrections (target), artefacts and digests, drills,
stages, unplanned deployments and actors; what attribution keeps of them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

_CORRECTIONS = sa.text("type IN ('void', 'amend')")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.alter_column("automated", existing_type=sa.Boolean(), nullable=True)
        batch.add_column(sa.Column("target", sa.String(200)))
        batch.add_column(sa.Column("artifact", sa.Text()))
        batch.add_column(sa.Column("digest", sa.String(200)))
        batch.add_column(sa.Column("drill", sa.Boolean()))
        batch.add_column(sa.Column("stage", sa.String(100)))
        batch.add_column(sa.Column("unplanned", sa.Boolean()))
        batch.add_column(sa.Column("actor", sa.String(200)))
    op.create_index(
        "ix_events_corrections",
        "events",
        ["stream_id"],
        sqlite_where=_CORRECTIONS,
        postgresql_where=_CORRECTIONS,
    )
    with op.batch_alter_table("streams") as batch:
        batch.add_column(
            sa.Column("rolled_back_versions", sa.Text(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("last_exercised_at", sa.BigInteger()))
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("stage", sa.String(100)))
        batch.add_column(sa.Column("unplanned", sa.Boolean()))
        batch.add_column(sa.Column("fixed_forward_at", sa.BigInteger()))
        batch.add_column(sa.Column("fixed_forward_seq", sa.BigInteger()))
        batch.add_column(sa.Column("rollback_bad_target", sa.Boolean()))
    # Attribution's new bookkeeping (bad targets, exercise) is filled by `db rebuild`;
    # a database from before this revision has no event using the new fields.
    op.execute(
        "UPDATE streams SET last_exercised_at = (SELECT max(at) FROM (SELECT rolled_back_at AS at "
        "FROM deployments WHERE deployments.stream_id = streams.id UNION ALL SELECT at "
        "FROM orphan_rollbacks WHERE orphan_rollbacks.stream_id = streams.id) AS exercised)"
    )


def downgrade() -> None:
    with op.batch_alter_table("deployments") as batch:
        for name in ("rollback_bad_target", "fixed_forward_seq", "fixed_forward_at",
                     "unplanned", "stage"):  # fmt: skip
            batch.drop_column(name)
    with op.batch_alter_table("streams") as batch:
        batch.drop_column("last_exercised_at")
        batch.drop_column("rolled_back_versions")
    op.drop_index("ix_events_corrections", table_name="events")
    with op.batch_alter_table("events") as batch:
        for name in ("actor", "unplanned", "stage", "drill", "digest", "artifact", "target"):
            batch.drop_column(name)
        batch.alter_column("automated", existing_type=sa.Boolean(), nullable=False)
