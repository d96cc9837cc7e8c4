"""Reading a room's messages and its event log (SPEC §4a); writing is the group commit's.

Every message is stored in its current state with `updated_seq`, the seq of the event that
produced that state (its own seq until it changes). So the log after seq N, collapsed to the
newest state of each message, is two index ranges of one table: the messages created after
N (`new_message` at their seq) and the older messages changed after N (`message_updated` at
their `updated_seq`), merged by seq.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Executable, RowMapping, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.queries import messages, rooms, select_messages, users
from roomcast.storage.records import MessageRecord, MessageUpdate, record_from_row

# seq columns are INTEGER: 32 bits on PostgreSQL. Clients may send bounds up to 2^53-1.
STORED_SEQ_MAX = 2**31 - 1

_actors = users.alias("actor")


@dataclass(frozen=True, slots=True)
class RoomEvent:
    """One entry of the collapsed log: a message's creation (`update` None) or its newest change."""

    seq: int
    message: MessageRecord
    update: MessageUpdate | None = None


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[RoomEvent]
    has_more: bool


@dataclass(frozen=True, slots=True)
class RecentSnapshot:
    """A room's newest messages and the room's `last_seq` they are current as of (one read)."""

    messages: list[MessageRecord]
    as_of: int


class MessageStore(Protocol):
    """Reads of committed messages; no reader ever sees a message before its commit is durable.

    `page` is history in ascending seq and whether more lies beyond it in its direction.
    `events` is the room's log after `after_seq` in seq order, each message once, in its newest
    state: paging with the last event's seq as the next `after_seq` misses nothing (a message
    changed again after its page comes again, as `message_updated`). `gap` is the same log
    restricted to seqs below `upto`. `recent` is the newest `limit` messages with the
    `last_seq` of the same snapshot.
    """

    async def page(
        self, room_id: uuid.UUID, limit: int, before_seq: int | None = None, after_seq: int | None = None
    ) -> tuple[list[MessageRecord], bool]: ...

    async def events(self, room_id: uuid.UUID, after_seq: int, limit: int, upto: int | None = None) -> EventPage: ...

    async def recent(self, room_id: uuid.UUID, limit: int) -> RecentSnapshot: ...


class SqlMessageStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(
        self, room_id: uuid.UUID, limit: int, before_seq: int | None = None, after_seq: int | None = None
    ) -> tuple[list[MessageRecord], bool]:
        if after_seq is not None and after_seq >= STORED_SEQ_MAX:
            return [], False
        if before_seq is not None and before_seq > STORED_SEQ_MAX:
            before_seq = None
        query = select_messages().where(messages.c.room_id == room_id)
        if before_seq is not None:
            query = query.where(messages.c.seq < before_seq)
        if after_seq is not None:
            query = query.where(messages.c.seq > after_seq)
        oldest_first = after_seq is not None
        query = query.order_by(messages.c.seq.asc() if oldest_first else messages.c.seq.desc()).limit(limit + 1)
        rows = await self._rows(query)
        records = [record_from_row(row) for row in rows[:limit]]
        if not oldest_first:
            records.reverse()
        return records, len(rows) > limit

    async def events(self, room_id: uuid.UUID, after_seq: int, limit: int, upto: int | None = None) -> EventPage:
        if after_seq >= STORED_SEQ_MAX:
            return EventPage([], False)
        created = select_messages().where(messages.c.room_id == room_id, messages.c.seq > after_seq)
        changed = (
            select_messages()
            .add_columns(_actors.c.username.label("a_username"))
            .outerjoin(_actors, _actors.c.id == messages.c.last_actor_id)
            .where(
                messages.c.room_id == room_id,
                messages.c.updated_seq > after_seq,
                messages.c.seq <= after_seq,
            )
        )
        if upto is not None:
            created = created.where(messages.c.seq < upto)
            changed = changed.where(messages.c.updated_seq < upto)
        created = created.order_by(messages.c.seq).limit(limit + 1)
        changed = changed.order_by(messages.c.updated_seq).limit(limit + 1)
        async with self._engine.connect() as conn:
            new_rows = (await conn.execute(created)).mappings().all()
            changed_rows = (await conn.execute(changed)).mappings().all()
        merged = [RoomEvent(row["seq"], record_from_row(row)) for row in new_rows]
        for row in changed_rows:
            record = record_from_row(row)
            update = MessageUpdate(
                record.version,
                row["last_change"],
                row["last_actor_id"],
                row["a_username"] or "",
                row["last_emoji"],
                record,
            )
            merged.append(RoomEvent(record.version, record, update))
        merged.sort(key=lambda event: event.seq)
        return EventPage(merged[:limit], len(merged) > limit)

    async def recent(self, room_id: uuid.UUID, limit: int) -> RecentSnapshot:
        as_of = select(rooms.c.last_seq).where(rooms.c.id == room_id).scalar_subquery().label("room_last_seq")
        query = (
            select_messages()
            .add_columns(as_of)
            .where(messages.c.room_id == room_id)
            .order_by(messages.c.seq.desc())
            .limit(limit)
        )
        rows = await self._rows(query)
        records = [record_from_row(row) for row in reversed(rows)]
        return RecentSnapshot(records, rows[0]["room_last_seq"] if rows else 0)

    async def _rows(self, query: Executable) -> Sequence[RowMapping]:
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).mappings().all()
