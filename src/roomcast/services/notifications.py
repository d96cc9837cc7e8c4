"""Notifications (SPEC §6), created by a background task so they never delay a send.

Per stored message: every participant with no live connection to the room gets one unread
`message` notification per room (counting), and each participant named `@username` a
`mention`. (The sender's read mark moves with the commit itself, in the writer.)
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends.base import Presence
from roomcast.services.errors import NotFound
from roomcast.storage.models import Notification, Participant, User, utcnow
from roomcast.storage.records import MessageRecord, iso_utc

log = logging.getLogger("roomcast.notifications")

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{3,32})")
QUEUE_LIMIT = 100_000
DEBOUNCE = 0.25

notifications = Notification.__table__
participants = Participant.__table__
users = User.__table__


def mentioned_names(content: str) -> set[str]:
    return {name.rstrip(".").lower() for name in MENTION.findall(content)}


class Notifier:
    def __init__(self, engine: AsyncEngine, presence: Presence) -> None:
        self._engine = engine
        self._presence = presence
        self._queue: asyncio.Queue[list[MessageRecord]] = asyncio.Queue(QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="roomcast-notifier")

    async def stop(self) -> None:
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()

    async def flush(self) -> None:
        """Wait until every message queued so far has been processed."""
        await self._queue.join()

    def enqueue(self, records: Sequence[MessageRecord]) -> None:
        try:
            self._queue.put_nowait(list(records))
        except asyncio.QueueFull:
            log.error("notification queue full, dropped", extra={"messages": len(records)})

    async def _run(self) -> None:
        while True:
            batch = await self._queue.get()
            # Gather a few hundred milliseconds of messages into one transaction, so that the
            # notifier does not contend with the group commit for the (SQLite) write lock.
            await asyncio.sleep(DEBOUNCE)
            drained = 1
            while not self._queue.empty() and len(batch) < 5000:
                batch.extend(self._queue.get_nowait())
                drained += 1
            try:
                await self._process(batch)
            except Exception:
                log.exception("notifications failed", extra={"messages": len(batch)})
            finally:
                for _ in range(drained):
                    self._queue.task_done()

    async def _process(self, records: list[MessageRecord]) -> None:
        by_room: dict[uuid.UUID, list[MessageRecord]] = {}
        for record in records:
            by_room.setdefault(record.room_id, []).append(record)
        mentions = {record.id: mentioned_names(record.content) for record in records}
        online_by_room = {
            room_id: {uuid.UUID(m.user_id) for m in await self._presence.online(str(room_id))} for room_id in by_room
        }
        # Read first, outside any write transaction, then write everything in one short
        # transaction: the write lock is what the group commit needs too. Rooms whose
        # participants are all online and whose messages mention nobody need no notification,
        # and a count per room (not a row per participant) is enough to tell.
        sizes = select(participants.c.room_id, func.count()).where(participants.c.room_id.in_(list(by_room)))
        async with self._engine.connect() as conn:
            counts = dict((await conn.execute(sizes.group_by(participants.c.room_id))).all())
            wanted = [
                room_id
                for room_id, room_records in by_room.items()
                if counts.get(room_id, 0) > len(online_by_room[room_id])
                or any(mentions[record.id] for record in room_records)
            ]
            if not wanted:
                return
            query = (
                select(participants.c.room_id, participants.c.user_id, users.c.username, participants.c.last_read_seq)
                .join(users, users.c.id == participants.c.user_id)
                .where(participants.c.room_id.in_(wanted))
            )
            rows = (await conn.execute(query)).all()
        members: dict[uuid.UUID, list[tuple[uuid.UUID, str, int]]] = {}
        for room_id, user_id, username, last_read in rows:
            members.setdefault(room_id, []).append((user_id, username, last_read))
        upserts: dict[tuple[uuid.UUID, uuid.UUID, str], list[Any]] = {}
        for room_id in wanted:
            room_records = by_room[room_id]
            room_members = members.get(room_id, [])
            names = {username.lower(): user_id for user_id, username, _ in room_members}
            # A message at or below a participant's read mark was already read, or predates
            # their joining the room; neither is news to them.
            read_upto = {user_id: last_read for user_id, _, last_read in room_members}
            online = online_by_room[room_id]
            for record in room_records:
                for user_id, _, last_read in room_members:
                    if user_id != record.sender_id and user_id not in online and record.seq > last_read:
                        _count(upserts, (room_id, user_id, "message"), record)
                for name in mentions[record.id]:
                    target = names.get(name)
                    if target is not None and target != record.sender_id and record.seq > read_upto[target]:
                        _count(upserts, (room_id, target, "mention"), record)
        if not upserts:
            return
        now = utcnow()
        async with self._engine.begin() as conn:
            await conn.execute(
                _upsert(conn.dialect.name),
                [
                    {
                        "id": uuid.uuid4(),
                        "user_id": user_id,
                        "room_id": room_id,
                        "type": kind,
                        "message_id": record.id,
                        "count": count,
                        "is_read": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for (room_id, user_id, kind), (count, record) in upserts.items()
                ],
            )


def _count(
    upserts: dict[tuple[uuid.UUID, uuid.UUID, str], list[Any]],
    key: tuple[uuid.UUID, uuid.UUID, str],
    record: MessageRecord,
) -> None:
    entry = upserts.setdefault(key, [0, record])
    entry[0] += 1
    entry[1] = record


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


def notification_as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "type": row.type,
        "room_id": str(row.room_id),
        "message_id": str(row.message_id),
        "count": row.count,
        "is_read": row.is_read,
        "created_at": iso_utc(row.created_at),
        "updated_at": iso_utc(row.updated_at),
    }


class NotificationService:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list_for(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        query = (
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.is_read.asc(), notifications.c.updated_at.desc())
            .limit(500)
        )
        async with self._engine.connect() as conn:
            return [notification_as_dict(row) for row in await conn.execute(query)]

    async def do_mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        statement = (
            update(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
            .values(is_read=True)
        )
        async with self._engine.begin() as conn:
            if (await conn.execute(statement)).rowcount == 0:
                raise NotFound("Notification not found")

    async def do_mark_all_read(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> int:
        statement = update(notifications).where(notifications.c.user_id == user_id, notifications.c.is_read.is_(False))
        if room_id is not None:
            statement = statement.where(notifications.c.room_id == room_id)
        async with self._engine.begin() as conn:
            return (await conn.execute(statement.values(is_read=True))).rowcount
