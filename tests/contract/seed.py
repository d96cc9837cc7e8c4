"""Rows the store contracts build on, written with plain SQL so no store under test is involved."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.models import Message, Room, User, utcnow

users = User.__table__
rooms = Room.__table__
messages = Message.__table__


async def add_user(engine: AsyncEngine, username: str) -> uuid.UUID:
    user_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            users.insert().values(
                id=user_id, username=username, display_name=username.title(), password_hash="x", created_at=utcnow()
            )
        )
    return user_id


async def add_message(
    engine: AsyncEngine, room_id: uuid.UUID, sender_id: uuid.UUID, content: str, at: datetime | None = None
) -> tuple[uuid.UUID, int]:
    """A message at the room's next seq, bumping `last_seq` as the commit does: its id and seq."""
    async with engine.begin() as conn:
        bump = update(rooms).where(rooms.c.id == room_id).values(last_seq=rooms.c.last_seq + 1)
        await conn.execute(bump)
        seq = (await conn.execute(select(rooms.c.last_seq).where(rooms.c.id == room_id))).scalar_one()
        message_id = uuid.uuid4()
        await conn.execute(
            messages.insert().values(
                id=message_id,
                room_id=room_id,
                seq=seq,
                sender_id=sender_id,
                content=content,
                client_id=None,
                created_at=at or utcnow(),
            )
        )
    return message_id, seq


async def delete_message(engine: AsyncEngine, message_id: uuid.UUID) -> None:
    """A tombstone, as a delete leaves it: the row and its seq stay, the content goes."""
    async with engine.begin() as conn:
        await conn.execute(update(messages).where(messages.c.id == message_id).values(deleted=True, content=""))
