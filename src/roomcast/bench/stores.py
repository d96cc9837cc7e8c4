"""The shared stores of a scaled-mode run: a fresh PostgreSQL database and a flushed Redis.

Redis: ROOMCAST_BENCH_REDIS (default redis://127.0.0.1:6379/5, flushed before each run);
PostgreSQL: see `roomcast.bench.postgres`.
"""

from __future__ import annotations

import os

import redis.asyncio as redis

from roomcast.bench.postgres import database_url, recreate_database

REDIS = os.environ.get("ROOMCAST_BENCH_REDIS", "redis://127.0.0.1:6379/5")


async def fresh_stores(database: str) -> dict[str, str]:
    """Recreate `database`, flush the bench's Redis database: the settings of a server on them."""
    await recreate_database(database)
    client = redis.from_url(REDIS)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return {"DATABASE_URL": database_url(database), "REDIS_URL": REDIS}
