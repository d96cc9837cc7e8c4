from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence


class MemoryRecentCache:
    """Per-room deque of (seq, encoded message), expiring CACHE_TTL after its last update."""

    def __init__(self) -> None:
        self._rooms: dict[str, tuple[float, deque[tuple[int, bytes]]]] = {}

    async def push(self, room_id: str, entries: Sequence[tuple[int, bytes]], size: int, ttl: int) -> None:
        current = self._live(room_id)
        items = current if current is not None else deque(maxlen=size)
        if items.maxlen != size:
            items = deque(items, maxlen=size)
        items.extend(entries)
        self._rooms[room_id] = (time.monotonic() + ttl, items)

    async def get(self, room_id: str) -> list[tuple[int, bytes]]:
        items = self._live(room_id)
        return list(items) if items is not None else []

    async def replace(self, room_id: str, entries: Sequence[tuple[int, bytes]], ttl: int) -> None:
        self._rooms[room_id] = (time.monotonic() + ttl, deque(entries, maxlen=max(len(entries), 1)))

    def _live(self, room_id: str) -> deque[tuple[int, bytes]] | None:
        entry = self._rooms.get(room_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._rooms[room_id]
            return None
        return entry[1]

    async def close(self) -> None:
        self._rooms.clear()
