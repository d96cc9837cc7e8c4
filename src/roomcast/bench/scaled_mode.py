"""`roomcast bench scaled`: scaled mode under `roomcast bench`: PostgreSQL, then the Redis hop,
then two workers.

    roomcast bench scaled --rates 1000,2000,3000 --duration 8

1. one worker, PostgreSQL, in-process backend, pinned to core 0: the database alone;
2. one worker, PostgreSQL, Redis backend, pinned to core 0: the same plus the Redis hop
   (rate limiter, cache, pub/sub), so the difference is what Redis costs;
3. two workers (`roomcast serve --workers 2`), PostgreSQL and Redis, not pinned: the scale-out.

Needs PostgreSQL (ROOMCAST_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432) and
Redis (ROOMCAST_BENCH_REDIS, default redis://127.0.0.1:6379/5, flushed before each run).
PostgreSQL, Redis and the generator share the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import redis.asyncio as redis

from roomcast.bench.extra import GENERATOR, missing_extra
from roomcast.bench.postgres import POSTGRES, database_url
from roomcast.bench.server_comparison import measure
from roomcast.bench.stores import REDIS, fresh_stores
from roomcast.config import redact_url

DATABASE = "roomcast_bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="roomcast bench scaled", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", default="1000,2000,3000,4000")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--scenario", default="S1")
    args = parser.parse_args(argv)
    problem = missing_extra(GENERATOR, "roomcast bench scaled")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    database = {"DATABASE_URL": database_url(DATABASE)}
    with_redis = {**database, "REDIS_URL": REDIS}
    runs = [
        ("roomcast, 1 worker, PostgreSQL, in-process backend", ["roomcast", "serve"], database, True),
        ("roomcast, 1 worker, PostgreSQL + Redis", ["roomcast", "serve"], with_redis, True),
        ("roomcast, 2 workers, PostgreSQL + Redis", ["roomcast", "serve", "--workers", "2"], with_redis, False),
    ]
    for name, command, env, pinned in runs:
        try:
            asyncio.run(fresh_stores(DATABASE))
        except (OSError, asyncpg.PostgresError, redis.RedisError) as exc:
            stores = f"PostgreSQL ({redact_url(POSTGRES)}) or Redis ({redact_url(REDIS)})"
            print(f"roomcast bench scaled: cannot reset {stores}: {exc}", file=sys.stderr)
            return 1
        print(measure(name, command, args.rates, args.duration, args.scenario, env, pinned), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
