"""The recent-message cache in Redis.

Key `room_messages:{room_id}` (names in `keys.py`): a sorted set of the room's newest messages, member =
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

from redis.exceptions import NoScriptError

from roomcast.backends.base import CacheEntry, RoomPush
from roomcast.backends.redis.keys import room_cache, room_cache_as_of
from roomcast.backends.redis.link import UNREACHABLE, Pipeline, RedisLink, load_script


class RedisRecentCache:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._push = load_script(link.client, "cache_push")
        self._read = load_script(link.client, "cache_read")
        self._dirty: set[str] = set()
        link.on_up(self._forget_dirty)

    async def push(
        self, room_id: str, entries: Sequence[CacheEntry], first_seq: int, last_seq: int, size: int, ttl: int
    ) -> None:
        await self._store(room_id, entries, size, ttl, "push", first_seq, last_seq)

    async def replace(self, room_id: str, entries: Sequence[CacheEntry], as_of: int, ttl: int) -> None:
        await self._store(room_id, entries, 0, ttl, "replace", as_of, as_of)

    def stage(self, pipe: Pipeline, push: RoomPush, size: int, ttl: int) -> None:
        """Queue a push on a pipeline (one EVALSHA; `settle` deals with its answer)."""
        args = _script_args(push.entries, size, ttl, "push", push.first_seq, push.last_seq)
        pipe.evalsha(self._push.sha, 2, room_cache(push.room_id), room_cache_as_of(push.room_id), *args)

    async def settle(self, pushes: Sequence[RoomPush], answers: Sequence[object], size: int, ttl: int) -> None:
        """After the pipeline: a push that found the script flushed (Redis restarted) goes again."""
        for push, answer in zip(pushes, answers, strict=True):
            if isinstance(answer, NoScriptError):
                await self.push(push.room_id, push.entries, push.first_seq, push.last_seq, size, ttl)
            elif isinstance(answer, Exception):
                raise answer

    def missed(self, pushes: Sequence[RoomPush]) -> None:
        """Pushes that could not reach Redis: those rooms are dropped from the cache when it returns."""
        self._dirty.update(push.room_id for push in pushes)

    async def _store(
        self, room_id: str, entries: Sequence[CacheEntry], size: int, ttl: int, mode: str, first: int, last: int
    ) -> None:
        if not entries:
            return
        if not self._link.up:
            self._dirty.add(room_id)
            return
        try:
            await self._push(
                keys=[room_cache(room_id), room_cache_as_of(room_id)],
                args=_script_args(entries, size, ttl, mode, first, last),
            )
        except UNREACHABLE as exc:
            self._dirty.add(room_id)
            self._link.lost(exc)

    async def get(self, room_id: str) -> tuple[int, list[tuple[int, bytes]]]:
        if not self._link.up:
            return 0, []
        try:
            answer = await self._read(keys=[room_cache(room_id), room_cache_as_of(room_id)])
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return 0, []
        as_of, *rows = answer
        members, scores = rows[0::2], rows[1::2]
        return int(as_of or 0), [
            (int(score), member.partition(b"|")[2]) for member, score in zip(members, scores, strict=True)
        ]

    async def _forget_dirty(self) -> None:
        if self._dirty:
            rooms = list(self._dirty)
            await self._link.client.delete(
                *(room_cache(room) for room in rooms), *(room_cache_as_of(room) for room in rooms)
            )
            self._dirty.difference_update(rooms)

    async def close(self) -> None:
        self._dirty.clear()


def _script_args(
    entries: Sequence[CacheEntry], size: int, ttl: int, mode: str, first: int, last: int
) -> list[int | bytes | str]:
    args: list[int | bytes | str] = [size, ttl, mode, first, last]
    for seq, version, payload in entries:
        args.extend((seq, version, payload))
    return args
