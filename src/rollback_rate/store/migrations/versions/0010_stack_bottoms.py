"""The frozen bottom of each stream's stack in a table of its own (issue 14): a write into
a stream with a long history reads it as two byte strings and rewrites it only when it
changed, instead of parsing and re-encoding the whole stack as JSON in every transaction.

Existing stacks stay whole in `streams.stack` until their stream's next write splits them
(the projection reads either form), so the upgrade itself touches no rows.

Revision ID: 0010
Revises: 0009
"""

import json
import sys
from array import array

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "stream_stacks",
        sa.Column("stream_id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("versions", sa.LargeBinary(), nullable=False),
        sa.Column("seqs", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id"),
    )


def downgrade() -> None:
    # Each stack whole again in `streams.stack`, as 0009's code reads it.
    conn = op.get_bind()
    frozen = conn.execute(sa.text("SELECT stream_id, versions, seqs FROM stream_stacks"))
    for stream_id, versions, seqs in frozen.all():
        numbers = array("q")
        numbers.frombytes(bytes(seqs))
        if sys.byteorder == "big":
            numbers.byteswap()  # saved little-endian
        bottom = [
            [version, None if seq == -1 else seq]
            for version, seq in zip(
                bytes(versions)[1:-1].decode("utf-8", "surrogatepass").split("\x00"),
                numbers.tolist(),
                strict=True,
            )
        ]
        top = conn.execute(
            sa.text("SELECT stack FROM streams WHERE id = :id"), {"id": stream_id}
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE streams SET stack = :stack WHERE id = :id"),
            {"stack": json.dumps(bottom + json.loads(top)), "id": stream_id},
        )
    op.drop_table("stream_stacks")
