"""the room's event log: edits, tombstones, reactions and replies on messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("reply_to_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("reactions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("updated_seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_change", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_actor_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("last_emoji", sa.String(length=32), nullable=True))
    # Every stored message is in the state its creation gave it.
    op.execute("UPDATE messages SET updated_seq = seq")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_room_updated_seq", ["room_id", "updated_seq"], unique=False)
        batch_op.create_index("ix_messages_reply_to_id", ["reply_to_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_reply_to_id")
        batch_op.drop_index("ix_messages_room_updated_seq")
        for column in (
            "last_emoji",
            "last_actor_id",
            "last_change",
            "updated_seq",
            "reactions",
            "reply_to_id",
            "deleted",
            "edited_at",
        ):
            batch_op.drop_column(column)
