"""user connection: who each message names (the rooms' mention counts); direct messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mentions",
        sa.Column("message_id", sa.Uuid(), sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("room_id", sa.Uuid(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_mentions_user_room_seq", "mentions", ["user_id", "room_id", "seq"], unique=False)
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), nullable=False, server_default="room"))
        batch_op.add_column(sa.Column("dm_key", sa.String(length=73), nullable=True))
        batch_op.create_unique_constraint("uq_rooms_dm_key", ["dm_key"])


def downgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rooms_dm_key", type_="unique")
        batch_op.drop_column("dm_key")
        batch_op.drop_column("kind")
    op.drop_index("ix_mentions_user_room_seq", table_name="mentions")
    op.drop_table("mentions")
