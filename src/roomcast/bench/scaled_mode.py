"""`roomcast bench scaled`: scaled mode under `roomcast bench`: PostgreSQL, then the Redis hop,
then two workers, and the cost model they give.

    roomcast bench scaled --rates 1000,2000,3000 --s2-rates 50,100 --duration 8

1. one worker, PostgreSQL, in-process backend, pinned to core 0: the database alone;
2. one worker, PostgreSQL, Redis backend, pinned to core 0: the same plus the Redis hop
   (rate limiter, cache, pub/sub), so the difference is what Redis costs; S1, then S2;
3. two workers (`roomcast serve --workers 2`), PostgreSQL and Redis, not pinned: the scale-out.

Then the cost model (`bench.cost_model`): CPU per message, per delivery and per Redis
publication at the highest rate every configuration passed (Redis's CPU from its `INFO cpu`),
and the throughput it predicts for N workers on N cores and one Redis.

Needs PostgreSQL (ROOMCAST_BENCH_POSTGRES, default postgresql://postgres@127.0.0.1:5432) and
Redis (ROOMCAST_BENCH_REDIS, default redis://127.0.0.1:6379/5, flushed before each run).
PostgreSQL, Redis and the generator share the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import redis.asyncio as redis

from roomcast.bench.cost_model import Run, costs, reference_rate, report
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
    parser.add_argument("--s2-rates", default="50,100", help="S2's steps on one worker, PostgreSQL + Redis")
    parser.add_argument("--duration", type=float, default=8)
    args = parser.parse_args(argv)
    problem = missing_extra(GENERATOR, "roomcast bench scaled")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    database = {"DATABASE_URL": database_url(DATABASE)}
    with_redis = {**database, "REDIS_URL": REDIS}
    runs = [
        ("roomcast, 1 worker, PostgreSQL, in-process backend", "S1", ["roomcast", "serve"], database, True),
        ("roomcast, 1 worker, PostgreSQL + Redis", "S1", ["roomcast", "serve"], with_redis, True),
        ("roomcast, 1 worker, PostgreSQL + Redis", "S2", ["roomcast", "serve"], with_redis, True),
        ("roomcast, 2 workers, PostgreSQL + Redis", "S1", ["roomcast", "serve", "--workers", "2"], with_redis, False),
    ]
    measured: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="roomcast-scaled-") as workdir:
        for name, scenario, command, env, pinned in runs:
            try:
                asyncio.run(fresh_stores(DATABASE))
                before = redis_cpu() if "REDIS_URL" in env else None
            except (OSError, asyncpg.PostgresError, redis.RedisError) as exc:
                stores = f"PostgreSQL ({redact_url(POSTGRES)}) or Redis ({redact_url(REDIS)})"
                print(f"roomcast bench scaled: cannot reset {stores}: {exc}", file=sys.stderr)
                return 1
            rates = args.rates if scenario == "S1" else args.s2_rates
            path = Path(workdir) / f"run{len(measured)}.json"
            print(measure(name, command, rates, args.duration, scenario, env, pinned, path), flush=True)
            used = redis_cpu() - before if before is not None else None
            results = json.loads(path.read_text()) if path.exists() else []
            if not results or not results[0]["steps"]:
                print(f"roomcast bench scaled: {name} ({scenario}) gave no result", file=sys.stderr)
                return 1
            measured.append(Run(name, scenario, results[0]["steps"], used))
    postgres, one_worker, one_worker_s2, two_workers = measured
    s1_rate = reference_rate([postgres, one_worker, two_workers])
    s2_rate = reference_rate([one_worker_s2])
    print(f"(at {s1_rate:.0f} msg/s for S1, {s2_rate:.0f} msg/s for S2)")
    print(report(costs(postgres, one_worker, one_worker_s2, two_workers, s1_rate, s2_rate)), flush=True)
    return 0


def redis_cpu() -> float:
    """Seconds of CPU the bench's Redis server has used (user + system), from `INFO cpu`."""
    import redis as sync_redis

    with sync_redis.Redis.from_url(REDIS) as client:
        info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
