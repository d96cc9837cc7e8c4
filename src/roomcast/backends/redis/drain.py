"""The drain barrier in Redis: `draining`, a sorted set instance_id → until when (ms, Redis time).

`lua/drain_mark.lua` adds or removes this instance, or only looks, and answers how many others
are still draining, dropping those past their TTL (an instance that died mid-drain). While
Redis is unreachable nobody can be waited for: the drain goes on at once.
"""

from __future__ import annotations

import asyncio
import logging
import time

from roomcast.backends.redis.keys import DRAINING as KEY
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

log = logging.getLogger("roomcast.backends.redis")

TTL_MS = 15_000
DONE, LOOK = 0, -1
SETTLE = 0.3  # seconds: peers signalled together have begun draining by then
POLL = 0.05


class RedisDrainBarrier:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._mark = load_script(link.client, "drain_mark")
        self._began: float | None = None

    async def begin(self) -> None:
        self._began = time.monotonic()
        await self._others(TTL_MS)

    async def end(self) -> None:
        await self._others(DONE)

    async def wait_for_peers(self, timeout: float) -> None:
        now = time.monotonic()
        deadline = now + timeout
        began = self._began if self._began is not None else now
        await asyncio.sleep(max(0.0, min(began + SETTLE, deadline) - now))
        while (others := await self._others(LOOK)) and time.monotonic() < deadline:  # noqa: ASYNC110 (across processes)
            await asyncio.sleep(POLL)
        if others:
            log.warning("instances still draining at the deadline", extra={"instances": others})

    async def close(self) -> None:
        return None

    async def _others(self, ttl_ms: int) -> int:
        if not self._link.up:
            return 0
        try:
            return int(await self._mark(keys=[KEY], args=[self._link.instance_id, ttl_ms]))
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return 0
