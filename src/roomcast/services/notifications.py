"""Notifications (SPEC §6), created by a background task so they never delay a send.

Per stored message: every participant with no live connection to the room gets one unread
`message` notification per room (counting), and each participant named `@username` a
`mention`. (The sender's read mark moves with the commit itself, in the writer.) An edit
notifies only the participants it newly names, once per message: never one whose mention
notification already points at that message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from roomcast.backends.base import Presence
from roomcast.services.errors import NotFound
from roomcast.storage.notifications import (
    MentionRow,
    NotificationCount,
    NotificationKey,
    NotificationRecord,
    NotificationStore,
    Recipient,
)
from roomcast.storage.records import MessageRecord, iso_utc

log = logging.getLogger("roomcast.notifications")

MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{3,32})")
QUEUE_LIMIT = 100_000
DEBOUNCE = 0.25

Upserts = dict[tuple[uuid.UUID, uuid.UUID, str], list[Any]]  # (room, user, type): [count, newest]
Edit = tuple[MessageRecord, str]  # the edited message and the content it replaced


@dataclass(slots=True)
class Batch:
    created: list[MessageRecord] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.created) + len(self.edits)

    def extend(self, other: Batch) -> None:
        self.created.extend(other.created)
        self.edits.extend(other.edits)


def mentioned_names(content: str) -> set[str]:
    if "@" not in content:  # most messages: the regex costs more than the whole message's notification
        return set()
    return {name.rstrip(".").lower() for name in MENTION.findall(content)}


class Notifier:
    def __init__(self, store: NotificationStore, presence: Presence) -> None:
        self._store = store
        self._presence = presence
        self._queue: asyncio.Queue[Batch] = asyncio.Queue(QUEUE_LIMIT)
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
        self._put(Batch(created=list(records)))

    def enqueue_edits(self, edits: Sequence[Edit]) -> None:
        self._put(Batch(edits=list(edits)))

    def _put(self, batch: Batch) -> None:
        try:
            self._queue.put_nowait(batch)
        except asyncio.QueueFull:
            log.error("notification queue full, dropped", extra={"messages": len(batch)})

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
                if batch.created:
                    await self._process(batch.created)
                if batch.edits:
                    await self._process_edits(batch.edits)
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
        # As text: most batches need only the counts, and parsing every online id costs more.
        online_by_room = {
            room_id: {m.user_id for m in await self._presence.online(str(room_id))} for room_id in by_room
        }
        # Read first, outside any write transaction, then write everything in one short
        # transaction: the write lock is what the group commit needs too. Rooms whose
        # participants are all online and whose messages mention nobody need no notification,
        # and a count per room (not a row per participant) is enough to tell.
        counts = await self._store.room_sizes(list(by_room))
        wanted = [
            room_id
            for room_id, room_records in by_room.items()
            if counts.get(room_id, 0) > len(online_by_room[room_id])
            or any(mentions[record.id] for record in room_records)
        ]
        if not wanted:
            return
        members: dict[uuid.UUID, list[Recipient]] = {}
        for recipient in await self._store.recipients(wanted):
            members.setdefault(recipient.room_id, []).append(recipient)
        upserts: Upserts = {}
        named: list[MentionRow] = []
        for room_id in wanted:
            room_records = by_room[room_id]
            room_members = members.get(room_id, [])
            names = {member.username.lower(): member.user_id for member in room_members}
            # A message at or below a participant's read mark was already read, or predates
            # their joining the room; neither is news to them.
            read_upto = {member.user_id: member.last_read_seq for member in room_members}
            online = {uuid.UUID(user_id) for user_id in online_by_room[room_id]}
            for record in room_records:
                for member in room_members:
                    user_id = member.user_id
                    if user_id != record.sender_id and user_id not in online and record.seq > member.last_read_seq:
                        _count(upserts, (room_id, user_id, "message"), record)
                for name in mentions[record.id]:
                    target = names.get(name)
                    if target is None or target == record.sender_id:
                        continue
                    named.append(MentionRow(record.id, target, room_id, record.seq))
                    if record.seq > read_upto[target]:
                        _count(upserts, (room_id, target, "mention"), record)
        await self._store.add(
            [
                NotificationCount(user_id, room_id, kind, record.id, count)
                for (room_id, user_id, kind), (count, record) in upserts.items()
            ],
            named,
        )

    async def _process_edits(self, edits: list[Edit]) -> None:
        latest: dict[uuid.UUID, MessageRecord] = {}
        added: dict[uuid.UUID, set[str]] = {}
        for record, before in edits:
            if record.id not in latest or record.version > latest[record.id].version:
                latest[record.id] = record
            added.setdefault(record.id, set()).update(mentioned_names(record.content) - mentioned_names(before))
        for message_id, record in list(latest.items()):
            added[message_id] &= mentioned_names(record.content)  # named by some edit and still named
            if not added[message_id]:
                del latest[message_id]
        if not latest:
            return
        names: dict[uuid.UUID, dict[str, uuid.UUID]] = {}
        for recipient in await self._store.recipients(list({record.room_id for record in latest.values()})):
            names.setdefault(recipient.room_id, {})[recipient.username.lower()] = recipient.user_id
        mentioned: dict[NotificationKey, list[MessageRecord]] = {}
        for record in latest.values():
            room_names = names.get(record.room_id, {})
            for name in added[record.id]:
                target = room_names.get(name)
                if target is not None and target != record.sender_id:
                    mentioned.setdefault((target, record.room_id, "mention"), []).append(record)
        pointing = await self._store.pointing_at(list(mentioned))
        counts = []
        named: list[MentionRow] = []
        for key, records in mentioned.items():
            named.extend(MentionRow(record.id, key[0], record.room_id, record.seq) for record in records)
            fresh = [record for record in records if record.id != pointing.get(key)]
            if fresh:
                counts.append(NotificationCount(*key, max(fresh, key=lambda r: r.seq).id, len(fresh)))
        await self._store.add(counts, named)


def _count(upserts: Upserts, key: tuple[uuid.UUID, uuid.UUID, str], record: MessageRecord) -> None:
    entry = upserts.setdefault(key, [0, record])
    entry[0] += 1
    entry[1] = record


def notification_as_dict(notification: NotificationRecord) -> dict[str, Any]:
    return {
        "id": str(notification.id),
        "type": notification.type,
        "room_id": str(notification.room_id),
        "message_id": str(notification.message_id),
        "count": notification.count,
        "is_read": notification.is_read,
        "created_at": iso_utc(notification.created_at),
        "updated_at": iso_utc(notification.updated_at),
    }


class NotificationService:
    def __init__(self, store: NotificationStore) -> None:
        self._store = store

    async def list_for(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        return [notification_as_dict(n) for n in await self._store.list_for(user_id)]

    async def do_mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> None:
        if not await self._store.mark_read(user_id, notification_id):
            raise NotFound("Notification not found")

    async def do_mark_all_read(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> int:
        return await self._store.mark_all_read(user_id, room_id)
