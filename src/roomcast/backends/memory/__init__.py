"""In-process backends for embedded mode: one instance, no shared state outside the process."""

from __future__ import annotations

from roomcast.backends.base import Backends
from roomcast.backends.memory.cache import MemoryRecentCache
from roomcast.backends.memory.connections import MemoryConnectionRegistry
from roomcast.backends.memory.drain import MemoryDrainBarrier
from roomcast.backends.memory.presence import MemoryPresence
from roomcast.backends.memory.pubsub import MemoryPubSub
from roomcast.backends.memory.rate_limiter import MemoryRateLimiter


async def _healthy() -> dict[str, object]:
    return {"status": "ok", "backend": "memory"}


def create_memory_backends() -> Backends:
    return Backends(
        pubsub=MemoryPubSub(),
        presence=MemoryPresence(),
        rate_limiter=MemoryRateLimiter(),
        cache=MemoryRecentCache(),
        connections=MemoryConnectionRegistry(),
        drain=MemoryDrainBarrier(),
        kind="memory",
        health=_healthy,
    )
