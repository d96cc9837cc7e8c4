"""Redis backends for scaled mode: every instance on any host shares one Redis (SPEC §1, §5).

Layout (`keys.py`; the braces are hash tags, so the same names serve a standalone Redis and a
Redis Cluster, where every Lua script touches one slot):

| key / channel | type | holds |
| --- | --- | --- |
| `room:{room_id}` | (shard) channel | envelopes for the room, prefixed with the publishing instance's id |
| `rate_limit:message:{user_id}` | zset | the user's accepted sends in the window (token → ms), expires after it |
| `room_messages:{room_id}` | zset | the room's newest CACHE_SIZE message JSONs scored by seq, TTL CACHE_TTL |
| `room_messages_seq:{room_id}` | string | the room event up to which that set is complete |
| `presence:{room_id}` | hash | user_id → username of the users online in the room |
| `presence:{room_id}:connections` | hash | `{instance_id}:{connection_id}` → user_id |
| `presence:{room_id}:counts` | hash | user_id → live connections in the room |
| `presence:instance:{instance_id}` | set | `{room_id}\\|{connection_id}` owned by that instance |
| `presence:instances` | zset | instance_id → last heartbeat (ms, Redis time) |
| `connections:{user_id}` | zset | `{instance_id}:{connection_id}` → acquired at (ms): the user's live WebSockets |
| `connection_instance:{instance_id}` | set | `{user_id}\\|{connection_id}` owned by that instance |
| `connection_instances` | zset | instance_id → last heartbeat of its connection registry (ms, Redis time) |
| `draining` | zset | instance_id → until when (ms, Redis time) it is committing its in-flight sends at shutdown |

The atomic steps are Lua scripts in `lua/` (package data). Each module's docstring says what
it does while Redis is unreachable: the instance keeps serving its own sockets from local
state, reports `degraded` in `/health`, reconnects by itself and then catches up.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomcast.backends.base import Backends, RoomPush
from roomcast.backends.redis.announce import RedisAnnouncer
from roomcast.backends.redis.cache import RedisRecentCache
from roomcast.backends.redis.connections import RedisConnectionRegistry
from roomcast.backends.redis.drain import RedisDrainBarrier
from roomcast.backends.redis.link import RedisLink, RedisUnavailable, redacted
from roomcast.backends.redis.presence import RedisPresence
from roomcast.backends.redis.pubsub import RedisPubSub
from roomcast.backends.redis.rate_limiter import RedisRateLimiter
from roomcast.config import Settings

__all__ = ["RedisUnavailable", "check_redis", "create_redis_backends"]


async def create_redis_backends(settings: Settings) -> Backends:
    """Connect (or raise RedisUnavailable) and build the backends on one link."""
    link = RedisLink(settings.redis_url)
    await link.connect()
    # Callbacks run in this order when Redis returns: cache, presence, connections, then pub/sub catch-up.
    cache = RedisRecentCache(link)
    presence = RedisPresence(link)
    connections = RedisConnectionRegistry(link)
    pubsub = RedisPubSub(link)
    rate_limiter = RedisRateLimiter(link)
    await connections.start()

    backends = RedisBackends(
        pubsub=pubsub,
        presence=presence,
        rate_limiter=rate_limiter,
        cache=cache,
        connections=connections,
        drain=RedisDrainBarrier(link),
        kind="redis",
        health=link.health,
    )
    backends.link = link
    backends.announcer = RedisAnnouncer(link, cache, pubsub)
    return backends


class RedisBackends(Backends):
    __slots__ = ("announcer", "link")
    link: RedisLink
    announcer: RedisAnnouncer

    async def announce(
        self, pushes: Sequence[RoomPush], publications: Sequence[tuple[str, bytes]], size: int, ttl: int
    ) -> None:
        await self.announcer.announce(pushes, publications, size, ttl)

    async def close(self) -> None:
        await Backends.close(self)
        await self.link.close()


def check_redis(url: str, timeout: float = 3.0) -> str | None:
    """Before serving: None when Redis answers at `url`, else a message for the operator."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return f"cannot reach Redis at {redacted(url)}: {exc}"
    finally:
        client.close()
    return None
