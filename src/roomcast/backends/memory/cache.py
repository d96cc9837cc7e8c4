from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from roomcast.backends.base import CacheEntry


@dataclass(slots=True)
class _Room:
    expires: float
    as_of: int = 0
    size: int = 0
    entries: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # seq -> (version, json)


class MemoryRecentCache:
    """Per-room entries by seq with their versions, expiring CACHE_TTL after the last update."""

    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}

    async def push(
        self, room_id: str, entries: Sequence[CacheEntry], first_seq: int, last_seq: int, size: int, ttl: int
    ) -> None:
        room = self._store(room_id, entries, ttl, size)
        if first_seq and first_seq == room.as_of + 1:
            room.as_of = last_seq

    async def replace(self, room_id: str, entries: Sequence[CacheEntry], as_of: int, ttl: int) -> None:
        room = self._store(room_id, entries, ttl, len(entries))
        room.as_of = max(room.as_of, as_of)

    async def get(self, room_id: str) -> tuple[int, list[tuple[int, bytes]]]:
        room = self._live(room_id)
        if room is None:
            return 0, []
        newest = sorted(room.entries.items())[-room.size :] if room.size else []
        return room.as_of, [(seq, payload) for seq, (_, payload) in newest]

    def _store(self, room_id: str, entries: Sequence[CacheEntry], ttl: int, size: int) -> _Room:
        room = self._live(room_id) or _Room(0.0)
        room.expires = time.monotonic() + ttl
        room.size = size
        for seq, version, payload in entries:
            held = room.entries.get(seq)
            if held is None or held[0] <= version:
                room.entries[seq] = (version, payload)
        # Trimmed back to `size` once it holds half as many again: one sort per size/2 pushes,
        # not one per push (`get` answers the newest `size`).
        if len(room.entries) > size + size // 2:
            for seq in sorted(room.entries)[: len(room.entries) - size]:
                del room.entries[seq]
        self._rooms[room_id] = room
        return room

    def _live(self, room_id: str) -> _Room | None:
        room = self._rooms.get(room_id)
        if room is None:
            return None
        if room.expires <= time.monotonic():
            del self._rooms[room_id]
            return None
        return room

    async def close(self) -> None:
        self._rooms.clear()
