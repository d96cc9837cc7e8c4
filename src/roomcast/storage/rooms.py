"""Rooms and their participants as stored: the `RoomStore` interface and its SQL implementation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy import ColumnElement, Label, and_, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.storage.models import utcnow
from roomcast.storage.queries import (
    KEYS_PER_STATEMENT,
    key_match,
    like_pattern,
    mentions,
    messages,
    participants,
    rooms,
    select_messages,
    users,
)
from roomcast.storage.records import MessageRecord, as_utc, record_from_row

OWNER, ADMIN, MEMBER = "owner", "admin", "member"
DM = "dm"
Pair = tuple[uuid.UUID, uuid.UUID]


class RoomChanges(TypedDict, total=False):
    """What `PATCH /api/rooms/{id}` may change; a None value changes nothing."""

    name: str | None
    description: str | None
    is_private: bool | None


class DuplicateDirectMessage(Exception):
    """The pair has a direct-message room already."""


class DuplicateParticipant(Exception):
    """The user already participates in the room."""


class UnknownUsers(Exception):
    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(", ".join(names))
        self.names = tuple(names)


@dataclass(frozen=True, slots=True)
class RoomRecord:
    id: uuid.UUID
    name: str
    description: str
    is_private: bool
    created_by: uuid.UUID
    created_at: datetime
    last_seq: int
    kind: str = "room"  # or "dm": a direct message, exactly its pair's participants


@dataclass(frozen=True, slots=True)
class RoomRole:
    room: RoomRecord
    role: str | None


@dataclass(frozen=True, slots=True)
class RoomSummary:
    room: RoomRecord
    role: str
    last_read_seq: int
    unread_count: int
    mention_count: int
    last_message: MessageRecord | None


@dataclass(frozen=True, slots=True)
class ReadState:
    read_seq: int
    unread_count: int
    mention_count: int


@dataclass(frozen=True, slots=True)
class MemberRecord:
    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    joined_at: datetime


class RoomStore(Protocol):
    """Rooms and who participates in them, with each participant's role and read mark.

    Every write is one transaction, committed when the call returns. A user participates in a
    room at most once: inserting an existing pair raises DuplicateParticipant and changes
    nothing. Reads see committed state only and apply no visibility rule: a private room is
    returned to whoever asks. What is missing (room, participation, user) reads as None, False
    or empty, not as an error. Usernames compare case-insensitively; datetimes are aware UTC.
    A participant's unread messages are those after their read mark that are neither deleted
    nor their own.
    """

    async def create(
        self,
        owner_id: uuid.UUID,
        name: str,
        description: str,
        is_private: bool,
        member_names: Sequence[str],
        dm_key: str | None = None,
    ) -> RoomRecord:
        """The room with its owner (`owner`) and the named users (`member`), all read marks at 0,
        in one transaction; UnknownUsers, and nothing stored, when a name matches nobody. With
        `dm_key`, a direct message (`kind: "dm"`): IntegrityError when that pair has one already."""
        ...

    async def find_dm(self, dm_key: str) -> RoomRecord | None: ...

    async def access(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomRole | None:
        """The room and the user's role in it (None when not a participant); None without the room."""
        ...

    async def participants_among(self, pairs: Sequence[Pair]) -> set[Pair]:
        """Which (room, user) pairs participate now, for any number of pairs."""
        ...

    async def list_for(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> list[RoomSummary]:
        """The user's rooms (only `room_id`, if given), most recently active first (their newest
        message, else their creation), ties by id; each with its newest message (in its current
        state) and the user's read mark, unread count and unread mentions."""
        ...

    async def unread_mentions(self, user_id: uuid.UUID) -> dict[uuid.UUID, list[int]]:
        """Per room of the user, the seqs of the messages after its read mark that name it (not deleted)."""
        ...

    async def list_public(self, text: str | None, limit: int) -> list[RoomRecord]:
        """Public rooms whose name contains `text` as typed (case-insensitive, `%` and `_` are
        plain characters), by name, at most `limit`."""
        ...

    async def members(self, room_id: uuid.UUID) -> list[MemberRecord]:
        """The room's participants, by joining time then username."""
        ...

    async def member_count(self, room_id: uuid.UUID) -> int:
        """How many participate in the room (0 for an unknown room), without reading them."""
        ...

    async def role_of(self, room_id: uuid.UUID, user_id: uuid.UUID) -> str | None: ...

    async def set_role(self, room_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
        """Whether the user participates (and now has `role`)."""
        ...

    async def insert_participant(self, room_id: uuid.UUID, user_id: uuid.UUID, role: str, last_read_seq: int) -> None:
        """DuplicateParticipant when the pair exists; IntegrityError when the room or user does not."""
        ...

    async def delete_participant(self, room_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Whether there was such a participation."""
        ...

    async def update(self, room_id: uuid.UUID, changes: RoomChanges) -> RoomRecord | None:
        """Set the given fields of the room; the room after the change, None without the room."""
        ...

    async def delete(self, room_id: uuid.UUID) -> list[uuid.UUID]:
        """Delete the room with everything of it (participations, messages, mentions,
        notifications) in one transaction; who participated, empty without the room."""
        ...

    async def mark_read(self, room_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> ReadState | None:
        """Raise the read mark to `seq`, never lower it; the mark and unread count after the call,
        or None when the user does not participate."""
        ...


def room_record(row: Any) -> RoomRecord:
    return RoomRecord(
        id=row.id,
        name=row.name,
        description=row.description,
        is_private=row.is_private,
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        last_seq=row.last_seq,
        kind=row.kind,
    )


def _last_active(summary: RoomSummary) -> datetime:
    message = summary.last_message
    return as_utc(message.created_at if message is not None else summary.room.created_at)


def _unread(room_id: ColumnElement[Any], user_id: uuid.UUID) -> Label[int]:
    """The participant's unread count, in a query of `participants` (correlated to its row)."""
    return (
        select(func.count())
        .where(
            messages.c.room_id == room_id,
            messages.c.seq > participants.c.last_read_seq,
            messages.c.sender_id != user_id,
            messages.c.deleted.is_(False),
        )
        .correlate_except(messages)
        .scalar_subquery()
        .label("unread_count")
    )


def _mention_count(room_id: ColumnElement[Any], user_id: uuid.UUID) -> Label[int]:
    """The participant's unread mentions (messages after its read mark that name it, not deleted),
    in a query of `participants` (correlated to its row)."""
    return (
        select(func.count())
        .select_from(mentions.join(messages, messages.c.id == mentions.c.message_id))
        .where(
            mentions.c.user_id == user_id,
            mentions.c.room_id == room_id,
            mentions.c.seq > participants.c.last_read_seq,
            messages.c.deleted.is_(False),
        )
        .correlate_except(mentions, messages)
        .scalar_subquery()
        .label("mention_count")
    )


def _participation(room_id: uuid.UUID | ColumnElement[Any], user_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(participants.c.room_id == room_id, participants.c.user_id == user_id)


class SqlRoomStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        owner_id: uuid.UUID,
        name: str,
        description: str,
        is_private: bool,
        member_names: Sequence[str],
        dm_key: str | None = None,
    ) -> RoomRecord:
        room_id = uuid.uuid4()
        try:
            return await self._create(room_id, owner_id, name, description, is_private, member_names, dm_key)
        except IntegrityError:
            if dm_key is not None and await self.find_dm(dm_key) is not None:
                raise DuplicateDirectMessage(dm_key) from None
            raise

    async def _create(
        self,
        room_id: uuid.UUID,
        owner_id: uuid.UUID,
        name: str,
        description: str,
        is_private: bool,
        member_names: Sequence[str],
        dm_key: str | None,
    ) -> RoomRecord:
        now = utcnow()
        async with self._engine.begin() as conn:
            member_ids = await self._user_ids(conn, member_names)
            await conn.execute(
                rooms.insert().values(
                    id=room_id,
                    name=name,
                    description=description,
                    is_private=is_private,
                    created_by=owner_id,
                    created_at=now,
                    last_seq=0,
                    kind="room" if dm_key is None else DM,
                    dm_key=dm_key,
                )
            )
            rows = [{"room_id": room_id, "user_id": owner_id, "role": OWNER, "joined_at": now, "last_read_seq": 0}]
            rows += [
                {"room_id": room_id, "user_id": uid, "role": MEMBER, "joined_at": now, "last_read_seq": 0}
                for uid in member_ids
                if uid != owner_id
            ]
            await conn.execute(participants.insert(), rows)
            row = (await conn.execute(select(rooms).where(rooms.c.id == room_id))).one()
        return room_record(row)

    async def find_dm(self, dm_key: str) -> RoomRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(rooms).where(rooms.c.dm_key == dm_key))).one_or_none()
        return None if row is None else room_record(row)

    async def unread_mentions(self, user_id: uuid.UUID) -> dict[uuid.UUID, list[int]]:
        query = (
            select(mentions.c.room_id, mentions.c.seq)
            .join(messages, messages.c.id == mentions.c.message_id)
            .join(participants, _participation(mentions.c.room_id, user_id))
            .where(
                mentions.c.user_id == user_id,
                mentions.c.seq > participants.c.last_read_seq,
                messages.c.deleted.is_(False),
            )
        )
        found: dict[uuid.UUID, list[int]] = {}
        async with self._engine.connect() as conn:
            for room_id, seq in await conn.execute(query):
                found.setdefault(room_id, []).append(seq)
        return found

    @staticmethod
    async def _user_ids(conn: AsyncConnection, names: Sequence[str]) -> list[uuid.UUID]:
        wanted = {name.lower() for name in names}
        if not wanted:
            return []
        query = select(users.c.id, users.c.username).where(func.lower(users.c.username).in_(wanted))
        found = (await conn.execute(query)).all()
        missing = wanted - {username.lower() for _, username in found}
        if missing:
            raise UnknownUsers(sorted(missing))
        return [user_id for user_id, _ in found]

    async def access(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomRole | None:
        query = (
            select(rooms, participants.c.role)
            .outerjoin(participants, _participation(rooms.c.id, user_id))
            .where(rooms.c.id == room_id)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else RoomRole(room_record(row), row.role)

    async def participants_among(self, pairs: Sequence[Pair]) -> set[Pair]:
        found: set[Pair] = set()
        key = (participants.c.room_id, participants.c.user_id)
        async with self._engine.connect() as conn:
            for start in range(0, len(pairs), KEYS_PER_STATEMENT):
                chunk = pairs[start : start + KEYS_PER_STATEMENT]
                query = select(*key).where(key_match(key, chunk))
                found.update((row.room_id, row.user_id) for row in await conn.execute(query))
        return found

    async def list_for(self, user_id: uuid.UUID, room_id: uuid.UUID | None = None) -> list[RoomSummary]:
        query = (
            select(
                rooms,
                participants.c.last_read_seq,
                participants.c.role,
                _unread(rooms.c.id, user_id),
                _mention_count(rooms.c.id, user_id),
            )
            .join(participants, participants.c.room_id == rooms.c.id)
            .where(participants.c.user_id == user_id)
            .order_by(rooms.c.id)
        )
        if room_id is not None:
            query = query.where(rooms.c.id == room_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            newest = await self._newest_messages(conn, [row.id for row in rows])
        summaries = [
            RoomSummary(
                room_record(row), row.role, row.last_read_seq, row.unread_count, row.mention_count, newest.get(row.id)
            )
            for row in rows
        ]
        summaries.sort(key=_last_active, reverse=True)  # stable: ties stay in id order
        return summaries

    @staticmethod
    async def _newest_messages(conn: AsyncConnection, room_ids: list[uuid.UUID]) -> dict[uuid.UUID, MessageRecord]:
        if not room_ids:
            return {}
        newest = (
            select(messages.c.room_id, func.max(messages.c.seq))
            .where(messages.c.room_id.in_(room_ids))
            .group_by(messages.c.room_id)
        )
        query = select_messages().where(tuple_(messages.c.room_id, messages.c.seq).in_(newest))
        records = [record_from_row(row._asdict()) for row in await conn.execute(query)]
        return {record.room_id: record for record in records}

    async def list_public(self, text: str | None, limit: int) -> list[RoomRecord]:
        query = select(rooms).where(rooms.c.is_private.is_(False))
        if text:
            query = query.where(func.lower(rooms.c.name).like(like_pattern(text), escape="\\"))
        query = query.order_by(rooms.c.name).limit(limit)
        async with self._engine.connect() as conn:
            return [room_record(row) for row in await conn.execute(query)]

    async def members(self, room_id: uuid.UUID) -> list[MemberRecord]:
        query = (
            select(users.c.id, users.c.username, users.c.display_name, participants.c.role, participants.c.joined_at)
            .join(participants, participants.c.user_id == users.c.id)
            .where(participants.c.room_id == room_id)
            .order_by(participants.c.joined_at, users.c.username)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [MemberRecord(row.id, row.username, row.display_name, row.role, as_utc(row.joined_at)) for row in rows]

    async def member_count(self, room_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(participants).where(participants.c.room_id == room_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def role_of(self, room_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        query = select(participants.c.role).where(_participation(room_id, user_id))
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def set_role(self, room_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
        statement = update(participants).where(_participation(room_id, user_id)).values(role=role)
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).rowcount > 0

    async def insert_participant(self, room_id: uuid.UUID, user_id: uuid.UUID, role: str, last_read_seq: int) -> None:
        statement = participants.insert().values(
            room_id=room_id, user_id=user_id, role=role, joined_at=utcnow(), last_read_seq=last_read_seq
        )
        try:
            async with self._engine.begin() as conn:
                await conn.execute(statement)
        except IntegrityError:
            if await self.role_of(room_id, user_id) is None:
                raise  # no such room or user
            raise DuplicateParticipant(f"{user_id} already participates in {room_id}") from None

    async def delete_participant(self, room_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        async with self._engine.begin() as conn:
            return (await conn.execute(participants.delete().where(_participation(room_id, user_id)))).rowcount > 0

    async def update(self, room_id: uuid.UUID, changes: RoomChanges) -> RoomRecord | None:
        values = {key: value for key, value in changes.items() if value is not None}
        async with self._engine.begin() as conn:
            if values:
                await conn.execute(update(rooms).where(rooms.c.id == room_id).values(**values))
            row = (await conn.execute(select(rooms).where(rooms.c.id == room_id))).one_or_none()
        return None if row is None else room_record(row)

    async def delete(self, room_id: uuid.UUID) -> list[uuid.UUID]:
        async with self._engine.begin() as conn:
            members = list(
                (await conn.execute(select(participants.c.user_id).where(participants.c.room_id == room_id))).scalars()
            )
            await conn.execute(rooms.delete().where(rooms.c.id == room_id))  # the rest cascades
        return members

    async def mark_read(self, room_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> ReadState | None:
        # The mark is written only when it moves: an unchanged mark costs no write lock.
        forward = (
            update(participants)
            .where(_participation(room_id, user_id), participants.c.last_read_seq < seq)
            .values(last_read_seq=seq)
        )
        query = select(
            participants.c.last_read_seq,
            _unread(participants.c.room_id, user_id),
            _mention_count(participants.c.room_id, user_id),
        ).where(_participation(room_id, user_id))
        async with self._engine.begin() as conn:
            await conn.execute(forward)
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else ReadState(row.last_read_seq, row.unread_count, row.mention_count)
