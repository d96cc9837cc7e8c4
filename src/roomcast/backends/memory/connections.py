from __future__ import annotations


class MemoryConnectionRegistry:
    """Connection ids per user. A process cannot outlive itself, so nothing expires."""

    def __init__(self) -> None:
        self._users: dict[str, set[str]] = {}

    async def start(self) -> None:
        return None

    async def acquire(self, user_id: str, connection_id: str, limit: int) -> bool:
        held = self._users.get(user_id, set())
        if connection_id in held:
            return True
        if len(held) >= limit:
            return False
        self.add(user_id, connection_id)
        return True

    async def release(self, user_id: str, connection_id: str) -> None:
        held = self._users.get(user_id)
        if held is None:
            return
        held.discard(connection_id)
        if not held:
            del self._users[user_id]

    async def count(self, user_id: str) -> int:
        return len(self._users.get(user_id, ()))

    def add(self, user_id: str, connection_id: str) -> None:
        """Register without a limit: the Redis registry mirrors what Redis admitted."""
        self._users.setdefault(user_id, set()).add(connection_id)

    def users(self) -> set[str]:
        return set(self._users)

    def held_by(self, user_id: str) -> list[str]:
        return sorted(self._users.get(user_id, ()))

    async def close(self) -> None:
        self._users.clear()
