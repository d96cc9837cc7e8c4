"""The recent-message cache in Redis.

Key `room_messages:{room_id}`: a sorted set of the room's newest messages, member = the
message JSON exactly as sent to clients, score = its seq; at most CACHE_SIZE members, TTL
CACHE_TTL refreshed by every push. `lua/cache_push.lua` adds, trims and refreshes in one
step. `replace` (a rebuild from the database) merges rather than overwrites, so a message
pushed by another instance meanwhile is not lost. While Redis is unreachable the cache is
skipped (readers go to the database); rooms whose push failed are dropped from the cache
when Redis returns, so a stale tail is never served.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

PREFIX = "room_messages:"


class RedisRecentCache:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._push = load_script(link.client, "cache_push")
        self._dirty: set[str] = set()
        link.on_up(self._forget_dirty)

    async def push(self, room_id: str, entries: Sequence[tuple[int, bytes]], size: int, ttl: int) -> None:
        await self._store(room_id, entries, size, ttl)

    async def replace(self, room_id: str, entries: Sequence[tuple[int, bytes]], ttl: int) -> None:
        await self._store(room_id, entries, 0, ttl)

    async def _store(self, room_id: str, entries: Sequence[tuple[int, bytes]], size: int, ttl: int) -> None:
        if not entries:
            return
        if not self._link.up:
            self._dirty.add(room_id)
            return
        args: list[int | bytes] = [size, ttl]
        for seq, payload in entries:
            args.extend((seq, payload))
        try:
            await self._push(keys=[PREFIX + room_id], args=args)
        except UNREACHABLE as exc:
            self._dirty.add(room_id)
            self._link.lost(exc)

    async def get(self, room_id: str) -> list[tuple[int, bytes]]:
        if not self._link.up:
            return []
        try:
            rows = await self._link.client.zrange(PREFIX + room_id, 0, -1, withscores=True)
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return []
        return [(int(score), member) for member, score in rows]

    async def _forget_dirty(self) -> None:
        if self._dirty:
            rooms = list(self._dirty)
            await self._link.client.delete(*(PREFIX + room for room in rooms))
            self._dirty.difference_update(rooms)

    async def close(self) -> None:
        self._dirty.clear()
