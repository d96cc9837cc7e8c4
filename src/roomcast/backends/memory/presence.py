from __future__ import annotations

from collections.abc import Awaitable, Callable

from roomcast.backends.base import PresenceMember


class MemoryPresence:
    """Connections per user per room. A process cannot outlive itself, so nothing expires."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, tuple[PresenceMember, set[str]]]] = {}

    async def start(self, on_expired: Callable[[str, PresenceMember], Awaitable[None]]) -> None:
        return None

    async def join(self, room_id: str, member: PresenceMember, connection_id: str) -> bool:
        users = self._rooms.setdefault(room_id, {})
        entry = users.get(member.user_id)
        if entry is None:
            users[member.user_id] = (member, {connection_id})
            return True
        entry[1].add(connection_id)
        return False

    async def leave(self, room_id: str, user_id: str, connection_id: str) -> bool:
        users = self._rooms.get(room_id)
        if not users or user_id not in users:
            return False
        connections = users[user_id][1]
        connections.discard(connection_id)
        if connections:
            return False
        del users[user_id]
        if not users:
            del self._rooms[room_id]
        return True

    async def online(self, room_id: str) -> list[PresenceMember]:
        return [member for member, _ in self._rooms.get(room_id, {}).values()]

    async def close(self) -> None:
        self._rooms.clear()
