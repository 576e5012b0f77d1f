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
_GROUPS = ["team", "week", "month"]


def _index(name: str, where: str, columns: list[str]) -> None:
    condition = sa.text(where)
    op.create_index(name, "deployments", columns, sqlite_where=condition,
                    postgresql_where=condition)  # fmt: skip


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
        batch.add_column(sa.Column("deployed_since_rollback", sa.Integer()))
    op.drop_index("ix_deployments_rolled_back_cover", table_name="deployments")
    with op.batch_alter_table("deployments") as batch:
        batch.add_column(sa.Column("stage", sa.String(100)))
        batch.add_column(sa.Column("unplanned", sa.Boolean()))
        batch.add_column(sa.Column("fixed_forward_at", sa.BigInteger()))
        batch.add_column(sa.Column("fixed_forward_seq", sa.BigInteger()))
        batch.add_column(sa.Column("rollback_bad_target", sa.Boolean()))
        batch.add_column(sa.Column("rollback_gap", sa.Integer()))
    _index(
        "ix_deployments_rolled_back_cover",
        "rolled_back_at IS NOT NULL",
        [
            "rolled_back_at",
            "deployed_at",
            "stream_id",
            "rollback_automated",
            "rollback_cause",
            *_GROUPS,
            "stage",
            "rollback_bad_target",
            "rollback_gap",
        ],
    )
    _index(
        "ix_deployments_unplanned_cover",
        "unplanned IS NOT NULL",
        ["stream_id", "deployed_at", *_GROUPS],
    )
    _index(
        "ix_deployments_fixed_forward_cover",
        "fixed_forward_at IS NOT NULL",
        ["fixed_forward_at", "deployed_at", "stream_id", "rolled_back_at", *_GROUPS],
    )
    # Attribution's new bookkeeping (bad targets, exercise) is filled by `db rebuild`;
    # a database from before this revision has no event using the new fields.
    op.execute(
        "UPDATE streams SET last_exercised_at = (SELECT max(at) FROM (SELECT rolled_back_at AS at "
        "FROM deployments WHERE deployments.stream_id = streams.id UNION ALL SELECT at "
        "FROM orphan_rollbacks WHERE orphan_rollbacks.stream_id = streams.id) AS exercised)"
    )


def downgrade() -> None:
    for name in ("ix_deployments_fixed_forward_cover", "ix_deployments_unplanned_cover",
                 "ix_deployments_rolled_back_cover"):  # fmt: skip
        op.drop_index(name, table_name="deployments")
    with op.batch_alter_table("deployments") as batch:
        for name in ("rollback_gap", "rollback_bad_target", "fixed_forward_seq",
                     "fixed_forward_at", "unplanned", "stage"):  # fmt: skip
            batch.drop_column(name)
    _index(
        "ix_deployments_rolled_back_cover",
        "rolled_back_at IS NOT NULL",
        [
            "rolled_back_at",
            "deployed_at",
            "stream_id",
            "rollback_automated",
            "rollback_cause",
            *_GROUPS,
        ],
    )
    with op.batch_alter_table("streams") as batch:
        batch.drop_column("deployed_since_rollback")
        batch.drop_column("last_exercised_at")
        batch.drop_column("rolled_back_versions")
    op.drop_index("ix_events_corrections", table_name="events")
    with op.batch_alter_table("events") as batch:
        for name in ("actor", "unplanned", "stage", "drill", "digest", "artifact", "target"):
            batch.drop_column(name)
        batch.alter_column("automated", existing_type=sa.Boolean(), nullable=False)
