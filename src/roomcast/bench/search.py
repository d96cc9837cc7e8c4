"""`roomcast bench search`: full-text search on a database of realistic size, on SQLite and
PostgreSQL, through the store the API runs (`storage.search.search_store`).

    roomcast bench search                      # 1,000,000 messages, SQLite and PostgreSQL
    roomcast bench search --quick              # 5,000 messages: a look in seconds
    roomcast bench search --databases sqlite --messages 200000

For each database:
1. fill: 1,000 users, 200 rooms, each user in 20 of them (every room 100 members), and N
   messages of chat-like text (a Zipf-ranked English vocabulary, some URLs, code and numbers,
   ~10 % Japanese, Chinese or Korean; the same for the same --seed), in random rooms from their
   members, written straight into the migrated tables. SQLite: a file in a temporary folder,
   rows inserted with the FTS5 insert trigger dropped, then FTS5 'rebuild' (--fill-with-triggers:
   the trigger kept, as production does it message by message; about twice as slow);
   PostgreSQL: database roomcast_bench_search on ROOMCAST_BENCH_POSTGRES (default
   postgresql://postgres@127.0.0.1:5432; dropped at the end), COPY, then the migration's own
   pg_trgm GIN index built (timed) and VACUUM ANALYZE; the server needs the pg_trgm extension
   (skipped with a message when it cannot be reached). Reports fill time and rows/s.
2. index size: SQLite the pages of the messages_fts tables (dbstat; without it, the pages the
   rebuild added), PostgreSQL the GIN index's pg_relation_size, against the messages table.
3. queries as one user in 20 rooms, through SearchStore.search, --queries of each kind
   (distinct terms where there are enough, kinds interleaved, after a warm-up round; the
   database was just written, so it sits in the OS page cache): p50/p95/p99/max in ms and mean
   results per page of 20. Kinds: common words, rare words, 3-letter substrings of words, 3
   CJK characters, two terms, one room (room_id), page 2 (after = page 1's last). The issue's
   target: p99 < 50 ms on 1M messages for a selective query (rare words), printed as met or not.
4. query plans of one rare and one common query: EXPLAIN QUERY PLAN (SQLite), EXPLAIN
   (ANALYZE, BUFFERS) (PostgreSQL).
5. the write path: --write-messages new messages in batches of --batch through the group
   commit's own store (storage.writer.batch_store), with the index and then without it (SQLite:
   the three FTS5 triggers dropped; PostgreSQL: the GIN index dropped): wall and CPU time per
   message (CPU of this process, all threads, and on PostgreSQL of its backends too), and the
   spread over batches (FTS5 merges its segments in bursts).

Needs psutil (the "bench" extra). A full run takes about 5 minutes and 1.5 GB of disk. Timings
on a shared 2-core machine are noisy: compare runs of the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import warnings
from pathlib import Path

from roomcast.bench.cli import Progress, emit
from roomcast.bench.corpus import Corpus
from roomcast.bench.extra import missing_extra
from roomcast.bench.postgres import POSTGRES
from roomcast.bench.search_databases import (
    PostgresSearchDatabase,
    SearchDatabase,
    SqliteSearchDatabase,
    check_sqlite,
)
from roomcast.bench.search_queries import LIMIT, build_queries, measure
from roomcast.bench.search_report import fill_line, kind_table, plan_block, size_line, target_line, write_table
from roomcast.bench.search_rows import World
from roomcast.bench.search_writes import write_costs
from roomcast.config import redact_url
from roomcast.storage.search import SearchQuery, search_store

DATABASES = ("sqlite", "postgres")
QUICK = {"messages": 5_000, "queries": 50, "write_messages": 1_000}
WARMUP_QUERIES = 10
REBUILT_NOTE = (
    "(this index was built by FTS5 'rebuild', as migration 0005 indexes stored messages: FTS5 then merges "
    "new segments into the large ones in bursts for tens of thousands of messages; --fill-with-triggers "
    "measures an index grown by its triggers)"
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="roomcast bench search", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages to fill (default 1,000,000)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK['messages']:,} messages, {QUICK['queries']} queries per kind, "
        f"{QUICK['write_messages']:,} write-path messages (unless given)",
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma list of sqlite,postgres")
    parser.add_argument("--queries", type=int, default=200, help="queries of each kind (default 200)")
    parser.add_argument(
        "--write-messages", type=int, default=20_000, help="write path: messages per pass (default 20,000)"
    )
    parser.add_argument("--batch", type=int, default=50, help="write path: messages per group commit")
    parser.add_argument("--seed", type=int, default=15, help="of the text and the layout (default 15)")
    parser.add_argument(
        "--fill-with-triggers",
        action="store_true",
        help="SQLite: fill with the FTS5 insert trigger active instead of a 'rebuild' afterwards",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    given = set(argv)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            if f"--{name.replace('_', '-')}" not in given:
                setattr(args, name, value)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = [d for d in args.databases if d not in DATABASES]
    if unknown or not args.databases:
        parser.error(f"--databases: use sqlite, postgres or both, not {','.join(unknown) or 'nothing'}")
    for name in ("messages", "queries", "write_messages", "batch"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


async def open_database(kind: str, directory: Path, args: argparse.Namespace) -> SearchDatabase:
    if kind == "sqlite":
        return await SqliteSearchDatabase.create(directory, args.fill_with_triggers)
    return await PostgresSearchDatabase.create()


async def bench_database(database: SearchDatabase, args: argparse.Namespace, progress: Progress) -> None:
    corpus = Corpus(args.seed)
    world = World(seed=args.seed)
    emit(
        f"== search on {database.name}: {args.messages:,} messages in {world.rooms} rooms, {world.users:,} users "
        f"each in {world.rooms_per_user} rooms; pages of {LIMIT}"
    )
    times = await database.fill(world, corpus, args.messages, progress)
    progress.clear()
    emit(fill_line(database.name, times))
    emit(size_line(await database.sizes()))
    queries = build_queries(world, corpus, args.queries, args.seed)
    warmup = build_queries(world, corpus, WARMUP_QUERIES, args.seed + 1)
    store = search_store(database.engine)
    results = await measure(store, world.searcher, queries, warmup, progress)
    progress.clear()
    emit(kind_table(results))
    emit(target_line(database.name, args.messages, results))
    for kind in ("rare", "common"):
        terms = queries[kind][0].terms
        plan = await database.plan(store.statement(world.searcher, SearchQuery(terms, LIMIT)))
        emit(plan_block(database.name, kind, terms, plan))
    costs = await write_costs(database, world, corpus, args.write_messages, args.batch, args.seed + 2, progress)
    progress.clear()
    emit(write_table(database.name, costs))
    if database.name == "SQLite" and not args.fill_with_triggers:
        emit(REBUILT_NOTE)
    emit("")


async def run(args: argparse.Namespace) -> int:
    progress = Progress(args.quiet)
    problem = check_sqlite() if "sqlite" in args.databases else None
    if problem is not None:
        print(f"roomcast bench search: {problem}", file=sys.stderr)
        return 1
    failed = False
    with tempfile.TemporaryDirectory(prefix="roomcast-bench-search-") as directory:
        for kind in args.databases:
            name = "SQLite" if kind == "sqlite" else "PostgreSQL"
            try:
                database = await open_database(kind, Path(directory), args)
            except (OSError, TimeoutError) as exc:
                if kind != "postgres":
                    raise
                where = redact_url(POSTGRES)
                emit(f"== search on PostgreSQL: skipped: cannot reach {where} (ROOMCAST_BENCH_POSTGRES): {exc}")
                emit("")
                continue
            except Exception as exc:
                emit(f"== search on {name}: FAILED to create and migrate the database: {type(exc).__name__}: {exc}")
                failed = True
                continue
            try:
                await bench_database(database, args, progress)
            except Exception as exc:
                progress.clear()
                emit(f"== search on {database.name}: FAILED: {type(exc).__name__}: {exc}")
                failed = True
            finally:
                await database.close()
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    problem = missing_extra(["psutil"], "roomcast bench search")
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    # Alembic reflects the schema on SQLite and warns about the expression index it skips.
    warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
    return asyncio.run(run(args))
