"""Rooms and their members: who may see, join, manage and leave what.

A room the caller may not see answers exactly like a missing one (NotFound), so room ids
leak nothing. Public rooms are visible to everybody; members and history are for participants.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from roomcast.backends.base import Presence
from roomcast.services.attempts import AttemptLimits
from roomcast.services.errors import Conflict, Forbidden, NotFound
from roomcast.storage.records import iso_utc
from roomcast.storage.rooms import (
    ADMIN,
    DM,
    MEMBER,
    OWNER,
    DuplicateDirectMessage,
    DuplicateParticipant,
    MemberRecord,
    ReadState,
    RoomChanges,
    RoomRecord,
    RoomStore,
    RoomSummary,
    UnknownUsers,
)
from roomcast.storage.users import UserStore

log = logging.getLogger("roomcast.rooms")

MANAGERS = (OWNER, ADMIN)
# (room, user, reason): the user's sockets stop following the room; `reason` is `left` or
# `removed`, or `deleted` with no user: every socket of the room.
Kick = Callable[[uuid.UUID, uuid.UUID | None, str], Awaitable[None]]
# (user, frame type, data): an event for every user connection of the user (SPEC §4b).
Tell = Callable[[uuid.UUID, str, dict[str, Any]], Awaitable[None]]
# (room, frame type, data): an event for every connection of the room (not logged).
Announce = Callable[[uuid.UUID, str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RoomAccess:
    record: RoomRecord
    role: str | None

    @property
    def room(self) -> dict[str, Any]:
        return room_as_dict(self.record)

    @property
    def last_seq(self) -> int:
        return self.record.last_seq

    @property
    def is_participant(self) -> bool:
        return self.role is not None


def room_as_dict(room: RoomRecord) -> dict[str, Any]:
    return {
        "id": str(room.id),
        "name": room.name,
        "description": room.description,
        "is_private": room.is_private,
        "created_by": str(room.created_by),
        "created_at": iso_utc(room.created_at),
        "kind": room.kind,
    }


def summary_as_dict(summary: RoomSummary) -> dict[str, Any]:
    return room_as_dict(summary.room) | {
        "role": summary.role,
        "last_seq": summary.room.last_seq,
        "read_seq": summary.last_read_seq,
        "unread_count": summary.unread_count,
        "mention_count": summary.mention_count,
        "last_message": None if summary.last_message is None else summary.last_message.as_dict(),
    }


def member_as_dict(member: MemberRecord, online: bool) -> dict[str, Any]:
    return {
        "user_id": str(member.user_id),
        "username": member.username,
        "display_name": member.display_name,
        "role": member.role,
        "online": online,
        "joined_at": iso_utc(member.joined_at),
    }


def _not_a_dm(access: RoomAccess) -> None:
    if access.record.kind == DM:
        raise Conflict("A direct message has exactly its two participants")


class RoomService:
    def __init__(self, store: RoomStore, users: UserStore, presence: Presence, limits: AttemptLimits) -> None:
        self._store = store
        self._limits = limits
        self._users = users
        self._presence = presence
        self.kick: Kick | None = None
        self.tell: Tell | None = None
        self.announce: Announce | None = None

    async def do_create(
        self, owner_id: uuid.UUID, name: str, description: str, is_private: bool, members: list[str]
    ) -> dict[str, Any]:
        try:
            async with self._limits.creation(owner_id):
                room = await self._store.create(owner_id, name, description, is_private, members)
        except UnknownUsers as exc:
            raise NotFound(f"unknown users: {', '.join(exc.names)}") from None
        if self.tell is not None:
            await self._added(room.id, [member.user_id for member in await self._store.members(room.id)])
        return room_as_dict(room)

    async def do_open_dm(self, actor_id: uuid.UUID, username: str) -> tuple[dict[str, Any], bool]:
        """The direct-message room of the actor and `username` (one per pair, whoever asks), and
        whether this call created it."""
        other = await self._users.find(username)
        me = await self._users.get(actor_id)
        if other is None or me is None:
            raise NotFound("User not found")
        low, high = sorted((me.id, other.id))  # the same pair whichever of the two asks
        dm_key = f"{low}:{high}"
        found = await self._store.find_dm(dm_key)
        if found is not None:
            return room_as_dict(found), False
        name = ", ".join(sorted({me.username, other.username}, key=str.lower))
        try:
            async with self._limits.creation(me.id):
                room = await self._store.create(me.id, name, "", True, [other.username], dm_key=dm_key)
        except DuplicateDirectMessage:
            found = await self._store.find_dm(dm_key)  # the other one asked at the same moment
            if found is None:
                raise
            return room_as_dict(found), False
        await self._added(room.id, sorted({low, high}))
        return room_as_dict(room), True

    async def check_access(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomAccess:
        """The room as `user_id` may see it, or NotFound."""
        found = await self._store.access(room_id, user_id)
        if found is None or (found.room.is_private and found.role is None):
            raise NotFound("Room not found")
        return RoomAccess(found.room, found.role)

    async def participants_among(
        self, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Which (room, user) pairs are participations now: what the gateway's membership lease re-reads."""
        return await self._store.participants_among(pairs)

    async def check_participant(self, room_id: uuid.UUID, user_id: uuid.UUID) -> RoomAccess:
        access = await self.check_access(room_id, user_id)
        if not access.is_participant:
            raise Forbidden("Join the room first")
        return access

    async def list_for(self, user_id: uuid.UUID) -> list[dict[str, Any]]:
        return [summary_as_dict(summary) for summary in await self._store.list_for(user_id)]

    async def unread_mentions(self, user_id: uuid.UUID) -> dict[str, list[int]]:
        """Per room (id as text), the seqs of the user's unread mentions."""
        return {str(room_id): seqs for room_id, seqs in (await self._store.unread_mentions(user_id)).items()}

    async def list_public(self, query_text: str | None, limit: int = 100) -> list[dict[str, Any]]:
        return [room_as_dict(room) for room in await self._store.list_public(query_text, limit)]

    async def do_join(self, room_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        access = await self.check_access(room_id, user_id)
        if access.is_participant:
            return access.room
        if access.record.is_private:
            raise Forbidden("This room is private")
        await self._insert_participant(room_id, user_id, access.last_seq)
        await self._added(room_id, [user_id])
        await self._member_changed(room_id, user_id, "added", MEMBER)
        return access.room

    async def do_update(self, room_id: uuid.UUID, actor_id: uuid.UUID, changes: RoomChanges) -> dict[str, Any]:
        """`PATCH /api/rooms/{id}` (owner or admin): every connection of the room gets `room_updated`."""
        access = await self.check_participant(room_id, actor_id)
        _not_a_dm(access)
        if access.role not in MANAGERS:
            raise Forbidden("Only the owner or an admin can change the room")
        if all(value is None for value in changes.values()):
            return access.room
        async with self._limits.room_change(actor_id):
            room = await self._store.update(room_id, changes)
        if room is None:
            raise NotFound("Room not found")
        updated = room_as_dict(room)
        await self._announce(room_id, "room_updated", {"room": updated})
        return updated

    async def do_delete(self, room_id: uuid.UUID, actor_id: uuid.UUID) -> None:
        """`DELETE /api/rooms/{id}` (owner only): the room and its history are gone; its sockets
        close with 1008 `room deleted`, every member's user connections get `room_removed`."""
        access = await self.check_participant(room_id, actor_id)
        if access.role != OWNER:
            raise Forbidden("Only the owner can delete the room")
        members = await self._store.delete(room_id)
        if self.kick is not None:
            try:
                await self.kick(room_id, None, "deleted")
            except Exception:
                # The sockets' next send is refused by the commit; the membership lease ends them.
                log.exception("room deletion not published", extra={"room_id": str(room_id)})
        for user_id in members:
            await self._tell(user_id, "room_removed", {"room_id": str(room_id), "reason": "deleted"})

    async def do_leave(self, room_id: uuid.UUID, user_id: uuid.UUID) -> None:
        access = await self.check_participant(room_id, user_id)
        _not_a_dm(access)
        if access.role == OWNER:
            raise Forbidden("The owner cannot leave their room")
        await self._delete_participant(room_id, user_id, "left")

    async def check_details(self, room_id: uuid.UUID, user_id: uuid.UUID) -> dict[str, Any]:
        """`GET /api/rooms/{id}`: the room as `user_id` may see it (else NotFound), with its
        member count, which a public room shows to those who may join it."""
        access = await self.check_access(room_id, user_id)
        return {**access.room, "member_count": await self._store.member_count(room_id)}

    async def members(self, room_id: uuid.UUID, user_id: uuid.UUID) -> list[dict[str, Any]]:
        await self.check_participant(room_id, user_id)
        members = await self._store.members(room_id)
        online = {member.user_id for member in await self._presence.online(str(room_id))}
        return [member_as_dict(member, str(member.user_id) in online) for member in members]

    async def do_add_member(self, room_id: uuid.UUID, actor_id: uuid.UUID, username: str) -> dict[str, Any]:
        access = await self.check_participant(room_id, actor_id)
        _not_a_dm(access)
        if access.role not in MANAGERS:
            raise Forbidden("Only the owner or an admin can add members")
        user = await self._users.find(username)
        if user is None:
            raise NotFound("User not found")
        await self._insert_participant(room_id, user.id, access.last_seq)
        await self._added(room_id, [user.id])
        await self._member_changed(room_id, user.id, "added", MEMBER, user.username)
        return {
            "user_id": str(user.id),
            "username": user.username,
            "display_name": user.display_name,
            "role": MEMBER,
            "online": False,
        }

    async def do_set_role(self, room_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID, role: str) -> None:
        access = await self.check_participant(room_id, actor_id)
        _not_a_dm(access)
        if access.role != OWNER:
            raise Forbidden("Only the owner can change roles")
        if await self._role_of(room_id, target_id) == OWNER:
            raise Forbidden("The owner's role cannot change")
        await self._store.set_role(room_id, target_id, role)
        await self._member_changed(room_id, target_id, "role", role)

    async def do_remove_member(self, room_id: uuid.UUID, actor_id: uuid.UUID, target_id: uuid.UUID) -> None:
        access = await self.check_participant(room_id, actor_id)
        _not_a_dm(access)
        if access.role not in MANAGERS:
            raise Forbidden("Only the owner or an admin can remove members")
        target_role = await self._role_of(room_id, target_id)
        if target_role == OWNER:
            raise Forbidden("The owner cannot be removed")
        if target_role == ADMIN and access.role != OWNER:
            raise Forbidden("Only the owner can remove an admin")
        await self._delete_participant(room_id, target_id, "removed")

    async def do_mark_read(self, room_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> ReadState:
        """Every user connection of the user hears the new state (`read_marker`)."""
        access = await self.check_participant(room_id, user_id)
        state = await self._store.mark_read(room_id, user_id, min(seq, access.last_seq))
        if state is None:  # removed since the check
            raise Forbidden("Join the room first")
        await self._tell(
            user_id,
            "read_marker",
            {
                "room_id": str(room_id),
                "read_seq": state.read_seq,
                "unread_count": state.unread_count,
                "mention_count": state.mention_count,
            },
        )
        return state

    async def _role_of(self, room_id: uuid.UUID, user_id: uuid.UUID) -> str:
        role = await self._store.role_of(room_id, user_id)
        if role is None:
            raise NotFound("Member not found")
        return role

    async def _insert_participant(self, room_id: uuid.UUID, user_id: uuid.UUID, last_read_seq: int) -> None:
        try:
            await self._store.insert_participant(room_id, user_id, MEMBER, last_read_seq)
        except DuplicateParticipant:
            raise Conflict("Already a member") from None

    async def _delete_participant(self, room_id: uuid.UUID, user_id: uuid.UUID, reason: str) -> None:
        await self._store.delete_participant(room_id, user_id)
        if self.kick is not None:
            await self.kick(room_id, user_id, reason)
        await self._tell(user_id, "room_removed", {"room_id": str(room_id), "reason": reason})
        await self._member_changed(room_id, user_id, "removed", None)

    async def _member_changed(
        self, room_id: uuid.UUID, user_id: uuid.UUID, change: str, role: str | None, username: str | None = None
    ) -> None:
        """`member_changed` to the room's connections (member panels stay live)."""
        if self.announce is None:
            return
        if username is None:
            user = await self._users.get(user_id)
            username = user.username if user is not None else ""
        data = {"room_id": str(room_id), "user_id": str(user_id), "username": username, "change": change, "role": role}
        await self._announce(room_id, "member_changed", data)

    async def _announce(self, room_id: uuid.UUID, kind: str, data: dict[str, Any]) -> None:
        if self.announce is None:
            return
        try:
            await self.announce(room_id, kind, data)
        except Exception:
            # The change is stored; a connection that missed it sees it in its next greeting.
            log.exception("room event not published", extra={"room_id": str(room_id), "type": kind})

    async def renamed(self, user: dict[str, Any]) -> None:
        """`user_updated` to the connections of every room of the user."""
        if self.announce is None:
            return
        for summary in await self._store.list_for(uuid.UUID(user["id"])):
            await self._announce(summary.room.id, "user_updated", {"user": user})

    async def _added(self, room_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
        """`room_added`, with the room as `GET /api/rooms` lists it for each of them."""
        if self.tell is None:
            return
        for user_id in user_ids:
            for summary in await self._store.list_for(user_id, room_id):
                await self._tell(user_id, "room_added", {"room": summary_as_dict(summary)})

    async def _tell(self, user_id: uuid.UUID, kind: str, data: dict[str, Any]) -> None:
        if self.tell is None:
            return
        try:
            await self.tell(user_id, kind, data)
        except Exception:
            # The change is stored; a device that missed the event sees it in its next `ready`.
            log.exception("user event not published", extra={"user_id": str(user_id), "type": kind})
