"""A committed batch to the cluster in one Redis round trip.

One non-transactional pipeline carries every room's cache push (an EVALSHA each) and then
every publication: Redis runs a connection's commands in order, so an instance that receives
a publication finds its batch's cache entries already applied. This instance's own sockets
get the publications first, before the round trip, as `RedisPubSub.publish_many` does. While
Redis is unreachable nothing waits: the rooms are dropped from the cache when it returns and
the publications wait in the pub/sub backlog.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.backends.base import RoomPush
from roomcast.backends.redis.cache import RedisRecentCache
from roomcast.backends.redis.link import UNREACHABLE, RedisLink
from roomcast.backends.redis.pubsub import RedisPubSub


class RedisAnnouncer:
    def __init__(self, link: RedisLink, cache: RedisRecentCache, pubsub: RedisPubSub) -> None:
        self._link = link
        self._cache = cache
        self._pubsub = pubsub

    async def announce(
        self, pushes: Sequence[RoomPush], publications: Sequence[tuple[str, bytes]], size: int, ttl: int
    ) -> None:
        await self._pubsub.deliver_locally(publications)
        if not pushes and not publications:
            return
        if not self._link.up:
            self._missed(pushes, publications)
            return
        try:
            async with self._link.client.pipeline(transaction=False) as pipe:
                for push in pushes:
                    self._cache.stage(pipe, push, size, ttl)
                self._pubsub.stage(pipe, publications)
                answers = await pipe.execute(raise_on_error=False)
        except UNREACHABLE as exc:
            self._missed(pushes, publications)
            self._link.lost(exc)
            return
        await self._cache.settle(pushes, answers[: len(pushes)], size, ttl)

    def _missed(self, pushes: Sequence[RoomPush], publications: Sequence[tuple[str, bytes]]) -> None:
        self._cache.missed(pushes)
        self._pubsub.missed(publications)
