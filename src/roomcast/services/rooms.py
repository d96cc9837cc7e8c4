"""Rooms and their members: who may see, join, manage and leave what.

A room the caller may not see answers exactly like a missing one (NotFound), so room ids
leak nothing. Public rooms are visible to everybody; members and history are for participants.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends.base import Presence
from roomcast.services.errors import Conflict, Forbidden, NotFound
from roomcast.storage.models import Message, Participant, Room, User, utcnow
from roomcast.storage.records import iso_utc
from roomcast.storage.writer import record_from_row

rooms = Room.__table__
participants = Participant.__table__
users = User.__table__
messages = Message.__table__

OWNER, ADMIN, MEMBER = "owner", "admin", "member"
MANAGERS = (OWNER, ADMIN)
Kick = Callable[[uuid.UUID, uuid.UUID], Awaitable[None]]
MEMBERSHIP_CHUNK = 100  # small reads: the lease never holds the loop for long


@dataclass(frozen=True, slots=True)
class RoomAccess:
    room: dict[str, Any]
    role: str | None
    last_seq: int

    @property
    def is_participant(self) -> bool:
        return self.role is not None


def room_as_dict(row: Any) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "description": row.description,
        "is_private": row.is_private,
        "created_by": str(row.created_by),
        "created_at": iso_utc(row.created_at),
    }


class RoomService:
    def __init__(self, engine: AsyncEngine, presence: Presence) -> None:
        self._engine = engine
        self._presence = presence
        self.kick: Kick | None = None

    async def do_create(
        self, owner_id: uuid.UUID, name: str, description: str, is_private: bool, members: list[str]
    ) -> dict[str, Any]:
        room_id = uuid.uuid4()
        now = utcnow()
        async with self._engine.begin() as conn:
            member_ids = await self._user_ids(conn, members)
            await conn.execute(
                rooms.insert().values(
                    id=room_id,
                    name=name,
                    description=description,
                    is_private=is_private,
                    created_by=owner_id,
                    created_at=now,
                    last_seq=0,
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
        return room_as_dict(row)

    async def _user_ids(self, conn: Any, usernames: list[str]) -> list[uuid.UUID]:
        wanted = {name.lower() for name in usernames}
        if not wanted:
            return []
        found = (
            await conn.execute(select(users.c.id, users.c.username).where(func.lower(users.c.username).in_(wanted)))
        ).all()
        missing = wanted - {username.lower() for _, username in found}
        if missing:
            raise NotFound(f"unknown users: {', '.join(sorted(missing))}")
        return [user_id for user_id, _ in found]

    async def check_access(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomAccess:
        """The room as `user_id` may see it, or NotFound."""
        query = (
            select(rooms, participants.c.role)
            .outerjoin(
                participants,
                and_(participants.c.room_id == rooms.c.id, participants.c.user_id == user_id),
            )
            .where(rooms.c.id == room_id)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None or (row.is_private and row.role is None):
            raise NotFound("Room not found")
        return RoomAccess(room_as_dict(row), row.role, row.last_seq)

    async def participants_among(
        self, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Which (room, user) pairs are participations now: what the gateway's membership lease re-reads."""
        found: set[tuple[uuid.UUID, uuid.UUID]] = set()
        key = tuple_(participants.c.room_id, participants.c.user_id)
        async with self._engine.connect() as conn:
            for start in range(0, len(pairs), MEMBERSHIP_CHUNK):
                chunk = list(pairs[start : start + MEMBERSHIP_CHUNK])
                query = select(participants.c.room_id, participants.c.user_id).where(key.in_(chunk))
                found.update((row.room_id, row.user_id) for row in await conn.execute(query))
        return found

    async def check_participant(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomAccess:
        access = await self.check_access(room_id, user_id)
        if not access.is_participant:
            raise Forbidden("Join the room first")
        return access

    async def list_for(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        last = messages.alias("last_message")
        query = (
            select(
                rooms,
                participants.c.last_read_seq,
                participants.c.role,
                last.c.id.label("m_id"),
                last.c.seq.label("m_seq"),
                last.c.sender_id.label("m_sender_id"),
                last.c.content.label("m_content"),
                last.c.client_id.label("m_client_id"),
                last.c.created_at.label("m_created_at"),
                users.c.username.label("m_username"),
            )
            .join(participants, participants.c.room_id == rooms.c.id)
            .outerjoin(last, and_(last.c.room_id == rooms.c.id, last.c.seq == rooms.c.last_seq))
            .outerjoin(users, users.c.id == last.c.sender_id)
            .where(participants.c.user_id == user_id)
            # most recently active first: the newest message, or the creation of a silent room
            .order_by(func.coalesce(last.c.created_at, rooms.c.created_at).desc(), rooms.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        result = []
        for row in rows:
            item = room_as_dict(row)
            item["role"] = row.role
            item["last_seq"] = row.last_seq
            item["unread_count"] = max(0, row.last_seq - row.last_read_seq)
            item["last_message"] = None
            if row.m_id is not None:
                item["last_message"] = record_from_row(
                    {
                        "id": row.m_id,
                        "room_id": row.id,
                        "seq": row.m_seq,
                        "sender_id": row.m_sender_id,
                        "username": row.m_username,
                        "content": row.m_content,
                        "client_id": row.m_client_id,
                        "created_at": row.m_created_at,
                    }
                ).as_dict()
            result.append(item)
        return result

    async def list_public(self, query_text: str | None, limit: int = 100) -> list[dict[str, Any]]:
        query = select(rooms).where(rooms.c.is_private.is_(False))
        if query_text:
            escaped = query_text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(rooms.c.name).like(f"%{escaped}%", escape="\\"))
        query = query.order_by(rooms.c.name).limit(limit)
        async with self._engine.connect() as conn:
            return [room_as_dict(row) for row in await conn.execute(query)]

    async def do_join(self, room_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        access = await self.check_access(room_id, user_id)
        if access.is_participant:
            return access.room
        if access.room["is_private"]:
            raise Forbidden("This room is private")
        await self._insert_participant(room_id, user_id, MEMBER, access.last_seq)
        return access.room

    async def do_leave(self, room_id: uuid.UUID, user_id: uuid.UUID) -> None:
        access = await self.check_participant(room_id, user_id)
        if access.role == OWNER:
            raise Forbidden("The owner cannot leave their room")
        await self._delete_participant(room_id, user_id)

    async def members(self, room_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
        await self.check_participant(room_id, user_id)
        query = (
            select(
                users.c.id,
                users.c.username,
                users.c.display_name,
                participants.c.role,
                participants.c.joined_at,
            )
            .join(participants, participants.c.user_id == users.c.id)
            .where(participants.c.room_id == room_id)
            .order_by(participants.c.joined_at, users.c.username)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        online = {member.user_id for member in await self._presence.online(str(room_id))}
        return [
            {
                "user_id": str(row.id),
                "username": row.username,
                "display_name": row.display_name,
                "role": row.role,
                "online": str(row.id) in online,
                "joined_at": iso_utc(row.joined_at),
            }
            for row in rows
        ]

    async def do_add_member(self, room_id: uuid.UUID, actor_id: uuid.UUID, username: str) -> dict[str, Any]:
        access = await self.check_participant(room_id, actor_id)
        if access.role not in MANAGERS:
            raise Forbidden("Only the owner or an admin can add members")
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(users.c.id, users.c.username, users.c.display_name).where(
                        func.lower(users.c.username) == username.lower()
                    )
                )
            ).one_or_none()
        if row is None:
            raise NotFound("User not found")
        await self._insert_participant(room_id, row.id, MEMBER, access.last_seq)
        return {
            "user_id": str(row.id),
            "username": row.username,
            "display_name": row.display_name,
            "role": MEMBER,
            "online": False,
        }

    async def do_set_role(self, room_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID, role: str) -> None:
        access = await self.check_participant(room_id, actor_id)
        if access.role != OWNER:
            raise Forbidden("Only the owner can change roles")
        target_role = await self._role_of(room_id, target_id)
        if target_role == OWNER:
            raise Forbidden("The owner's role cannot change")
        async with self._engine.begin() as conn:
            await conn.execute(
                update(participants)
                .where(participants.c.room_id == room_id, participants.c.user_id == target_id)
                .values(role=role)
            )

    async def do_remove_member(self, room_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID) -> None:
        access = await self.check_participant(room_id, actor_id)
        if access.role not in MANAGERS:
            raise Forbidden("Only the owner or an admin can remove members")
        target_role = await self._role_of(room_id, target_id)
        if target_role == OWNER:
            raise Forbidden("The owner cannot be removed")
        if target_role == ADMIN and access.role != OWNER:
            raise Forbidden("Only the owner can remove an admin")
        await self._delete_participant(room_id, target_id)

    async def do_mark_read(self, room_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> int:
        access = await self.check_participant(room_id, user_id)
        seq = min(seq, access.last_seq)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(participants)
                .where(participants.c.room_id == room_id, participants.c.user_id == user_id)
                .where(participants.c.last_read_seq < seq)
                .values(last_read_seq=seq)
            )
            mark = (
                await conn.execute(
                    select(participants.c.last_read_seq).where(
                        participants.c.room_id == room_id, participants.c.user_id == user_id
                    )
                )
            ).scalar_one()
        return max(0, access.last_seq - mark)

    async def _role_of(self, room_id: uuid.UUID, user_id: uuid.UUID) -> str:
        async with self._engine.connect() as conn:
            role = (
                await conn.execute(
                    select(participants.c.role).where(
                        participants.c.room_id == room_id, participants.c.user_id == user_id
                    )
                )
            ).scalar_one_or_none()
        if role is None:
            raise NotFound("Member not found")
        return role

    async def _insert_participant(self, room_id: uuid.UUID, user_id: uuid.UUID, role: str, last_read_seq: int) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    participants.insert().values(
                        room_id=room_id,
                        user_id=user_id,
                        role=role,
                        joined_at=utcnow(),
                        last_read_seq=last_read_seq,
                    )
                )
        except IntegrityError:
            raise Conflict("Already a member") from None

    async def _delete_participant(self, room_id: uuid.UUID, user_id: uuid.UUID) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                participants.delete().where(participants.c.room_id == room_id, participants.c.user_id == user_id)
            )
        if self.kick is not None:
            await self.kick(room_id, user_id)
