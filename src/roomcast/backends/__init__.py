"""Backends for the shared concerns; `create_backends` picks them from the settings."""

from __future__ import annotations

from roomcast.backends.base import Backends
from roomcast.config import Settings


async def create_backends(settings: Settings) -> Backends:
    """The one place that chooses: REDIS_URL set → Redis for all five, else in-process."""
    if settings.redis_url:
        from roomcast.backends.redis import create_redis_backends

        return await create_redis_backends(settings)
    from roomcast.backends.memory import create_memory_backends

    return create_memory_backends()
