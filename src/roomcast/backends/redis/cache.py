"""The recent-message cache in Redis.

Key `room_messages:{room_id}`: a sorted set of the room's newest messages, member =
`<version>|` + the message JSON exactly as sent to clients, score = its seq; at most
CACHE_SIZE members. Key `room_messages_seq:{room_id}`: the room event up to which the set is
complete (`as_of`, see `RecentCache`). Both live CACHE_TTL, refreshed by every push.
`lua/cache_push.lua` keeps the newest version per seq, trims, advances `as_of` and refreshes
in one step. `replace` (a rebuild from the database) merges rather than overwrites, so a
message or a change pushed by another instance meanwhile is not lost. While Redis is unreachable the cache is
skipped (readers go to the database); rooms whose push failed are dropped from the cache
when Redis returns, so a stale tail is never served.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.backends.base import CacheEntry
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

PREFIX = "room_messages:"
SEQ_PREFIX = "room_messages_seq:"


class RedisRecentCache:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._push = load_script(link.client, "cache_push")
        self._dirty: set[str] = set()
        link.on_up(self._forget_dirty)

    async def push(
        self, room_id: str, entries: Sequence[CacheEntry], first_seq: int, last_seq: int, size: int, ttl: int
    ) -> None:
        await self._store(room_id, entries, size, ttl, "push", first_seq, last_seq)

    async def replace(self, room_id: str, entries: Sequence[CacheEntry], as_of: int, ttl: int) -> None:
        await self._store(room_id, entries, 0, ttl, "replace", as_of, as_of)

    async def _store(
        self, room_id: str, entries: Sequence[CacheEntry], size: int, ttl: int, mode: str, first: int, last: int
    ) -> None:
        if not entries:
            return
        if not self._link.up:
            self._dirty.add(room_id)
            return
        args: list[int | bytes | str] = [size, ttl, mode, first, last]
        for seq, version, payload in entries:
            args.extend((seq, version, payload))
        try:
            await self._push(keys=[PREFIX + room_id, SEQ_PREFIX + room_id], args=args)
        except UNREACHABLE as exc:
            self._dirty.add(room_id)
            self._link.lost(exc)

    async def get(self, room_id: str) -> tuple[int, list[tuple[int, bytes]]]:
        if not self._link.up:
            return 0, []
        try:
            async with self._link.client.pipeline(transaction=True) as pipe:
                pipe.get(SEQ_PREFIX + room_id)
                pipe.zrange(PREFIX + room_id, 0, -1, withscores=True)
                as_of, rows = await pipe.execute()
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return 0, []
        return int(as_of or 0), [(int(score), member.partition(b"|")[2]) for member, score in rows]

    async def _forget_dirty(self) -> None:
        if self._dirty:
            rooms = list(self._dirty)
            await self._link.client.delete(*(PREFIX + room for room in rooms), *(SEQ_PREFIX + room for room in rooms))
            self._dirty.difference_update(rooms)

    async def close(self) -> None:
        self._dirty.clear()
