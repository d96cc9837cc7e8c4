"""Notifications as stored: the `NotificationStore` interface and its SQL implementation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.models import Notification, utcnow
from roomcast.storage.queries import KEYS_PER_STATEMENT, key_match, mentions, participants, users
from roomcast.storage.records import as_utc

notifications = Notification.__table__

LIST_LIMIT = 500
NotificationKey = tuple[uuid.UUID, uuid.UUID, str]  # (user, room, type)


@dataclass(frozen=True, slots=True)
class Recipient:
    room_id: uuid.UUID
    user_id: uuid.UUID
    username: str
    last_read_seq: int


@dataclass(frozen=True, slots=True)
class NotificationCount:
    """`count` more messages of `type` for the user in the room, the newest being `message_id`."""

    user_id: uuid.UUID
    room_id: uuid.UUID
    type: str
    message_id: uuid.UUID
    count: int


@dataclass(frozen=True, slots=True)
class MentionRow:
    """The message `message_id` (the room's `seq`) names the participant `user_id`."""

    message_id: uuid.UUID
    user_id: uuid.UUID
    room_id: uuid.UUID
    seq: int


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    room_id: uuid.UUID
    type: str
    message_id: uuid.UUID
    count: int
    is_read: bool
    created_at: datetime
    updated_at: datetime


class NotificationStore(Protocol):
    """One notification per (user, room, type), counting the messages it stands for.

    `add` is one transaction. For a (user, room, type) with no notification it inserts one
    with the given count; onto an unread one it adds the count; a read one starts over, unread,
    at the given count. Either way the notification points at the newest `message_id` and its
    `updated_at` moves, while its id and `created_at` stay. The participant reads see committed
    state; rooms or users that do not exist are simply absent. Datetimes are aware UTC.
    """

    async def room_sizes(self, room_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many participants each room has; rooms with none are left out."""
        ...

    async def recipients(self, room_ids: Sequence[uuid.UUID]) -> list[Recipient]:
        """Every participant of these rooms, with username and read mark, in no order."""
        ...

    async def pointing_at(self, keys: Sequence[NotificationKey]) -> dict[NotificationKey, uuid.UUID]:
        """The message each existing (user, room, type) notification among `keys` points at."""
        ...

    async def add(self, counts: Sequence[NotificationCount], named: Sequence[MentionRow] = ()) -> None:
        """At most one entry per (user, room, type); with the mentions `named` (one already
        stored is kept as it is), in the same transaction."""
        ...

    async def list_for(self, user_id: uuid.UUID, limit: int = LIST_LIMIT) -> list[NotificationRecord]:
        """The user's notifications, unread first, then the most recently updated first."""
        ...

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
        """Whether the user has such a notification (now read)."""
        ...

    async def mark_all_read(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> int:
        """How many unread notifications of the user (in `room_id`, if given) are now read."""
        ...


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(notifications)
    return statement.on_conflict_do_update(
        index_elements=["user_id", "room_id", "type"],
        set_={
            "message_id": statement.excluded.message_id,
            "count": case(
                (notifications.c.is_read, statement.excluded.count),
                else_=notifications.c.count + statement.excluded.count,
            ),
            "is_read": False,
            "updated_at": statement.excluded.updated_at,
        },
    )


def notification_record(row: Any) -> NotificationRecord:
    return NotificationRecord(
        id=row.id,
        user_id=row.user_id,
        room_id=row.room_id,
        type=row.type,
        message_id=row.message_id,
        count=row.count,
        is_read=row.is_read,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


class SqlNotificationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def room_sizes(self, room_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        query = (
            select(participants.c.room_id, func.count())
            .where(participants.c.room_id.in_(list(room_ids)))
            .group_by(participants.c.room_id)
        )
        async with self._engine.connect() as conn:
            return {room_id: count for room_id, count in (await conn.execute(query)).all()}

    async def recipients(self, room_ids: Sequence[uuid.UUID]) -> list[Recipient]:
        query = (
            select(participants.c.room_id, participants.c.user_id, users.c.username, participants.c.last_read_seq)
            .join(users, users.c.id == participants.c.user_id)
            .where(participants.c.room_id.in_(list(room_ids)))
        )
        async with self._engine.connect() as conn:
            return [Recipient(*row) for row in (await conn.execute(query)).all()]

    async def pointing_at(self, keys: Sequence[NotificationKey]) -> dict[NotificationKey, uuid.UUID]:
        if not keys:
            return {}
        user_id, room_id, kind = notifications.c.user_id, notifications.c.room_id, notifications.c.type
        found: dict[NotificationKey, uuid.UUID] = {}
        async with self._engine.connect() as conn:
            for start in range(0, len(keys), KEYS_PER_STATEMENT):
                match = key_match((user_id, room_id, kind), keys[start : start + KEYS_PER_STATEMENT])
                query = select(user_id, room_id, kind, notifications.c.message_id).where(match)
                found.update(((u, r, k), message_id) for u, r, k, message_id in await conn.execute(query))
        return found

    async def add(self, counts: Sequence[NotificationCount], named: Sequence[MentionRow] = ()) -> None:
        if not counts and not named:
            return
        now = utcnow()
        async with self._engine.begin() as conn:
            if named:
                insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
                await conn.execute(
                    insert(mentions).on_conflict_do_nothing(),
                    [
                        {"message_id": m.message_id, "user_id": m.user_id, "room_id": m.room_id, "seq": m.seq}
                        for m in named
                    ],
                )
            if not counts:
                return
            await conn.execute(
                _upsert(conn.dialect.name),
                [
                    {
                        "id": uuid.uuid4(),
                        "user_id": entry.user_id,
                        "room_id": entry.room_id,
                        "type": entry.type,
                        "message_id": entry.message_id,
                        "count": entry.count,
                        "is_read": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for entry in counts
                ],
            )

    async def list_for(self, user_id: uuid.UUID, limit: int = LIST_LIMIT) -> list[NotificationRecord]:
        query = (
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.is_read.asc(), notifications.c.updated_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [notification_record(row) for row in await conn.execute(query)]

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
        statement = (
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(is_read=True)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).rowcount > 0

    async def mark_all_read(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> int:
        statement = update(notifications).where(notifications.c.user_id == user_id, notifications.c.is_read.is_(False))
        if room_id is not None:
            statement = statement.where(notifications.c.room_id == room_id)
        async with self._engine.begin() as conn:
            return (await conn.execute(statement.values(is_read=True))).rowcount
