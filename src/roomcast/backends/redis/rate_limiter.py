"""The sliding-window rate limit, atomic in Redis, with a local stand-in during an outage.

Key `rate_limit:{key}` (the services use `message:{user_id}`, so `rate_limit:message:{user_id}`):
a sorted set with one member per accepted acquisition (its token), scored by Redis server
time in milliseconds, expiring one window after the newest. `lua/rate_limit.lua` trims,
counts and adds in one step, so instances on any host share one exact window; `release`
removes the token. While Redis is unreachable the instance limits each user locally
(`MemoryRateLimiter`); tokens say which of the two holds them.
"""

from __future__ import annotations

import math
import uuid

from roomcast.backends.base import RateDecision
from roomcast.backends.memory.rate_limiter import MemoryRateLimiter
from roomcast.backends.redis.keys import rate_limit
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

LOCAL = "local:"


class RedisRateLimiter:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._script = load_script(link.client, "rate_limit")
        self._local = MemoryRateLimiter()

    async def acquire(self, key: str, limit: int, window: float) -> RateDecision:
        if self._link.up:
            token = uuid.uuid4().hex
            try:
                allowed, count, wait_ms = await self._script(
                    keys=[rate_limit(key)], args=[limit, int(window * 1000), token]
                )
            except UNREACHABLE as exc:
                self._link.lost(exc)
            else:
                wait = math.ceil(int(wait_ms) / 1000)
                if not allowed:
                    return RateDecision(False, int(count), limit, max(1, wait))
                return RateDecision(True, int(count), limit, max(0, wait), token)
        decision = await self._local.acquire(key, limit, window)
        if decision.allowed:
            return RateDecision(True, decision.messages_sent, limit, decision.time_until_reset, LOCAL + decision.token)
        return decision

    async def release(self, key: str, token: str) -> None:
        if not token:
            return
        if token.startswith(LOCAL):
            await self._local.release(key, token.removeprefix(LOCAL))
            return
        if self._link.up:
            try:
                await self._link.client.zrem(rate_limit(key), token)
            except UNREACHABLE as exc:
                self._link.lost(exc)

    async def close(self) -> None:
        await self._local.close()
