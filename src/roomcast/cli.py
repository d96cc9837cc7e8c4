"""`roomcast serve | migrate | bench | tail | send`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from roomcast.config import ConfigError, load_settings, redact_url


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # its own options: argparse.REMAINDER drops a leading --option
        from roomcast.bench.cli import main as bench_main

        return bench_main(argv[1:])
    if argv[:1] in (["tail"], ["send"]):  # clients of a running server: no settings, no migrations
        from roomcast.client.cli import main as client_main

        return client_main(argv)
    parser = argparse.ArgumentParser(
        prog="roomcast",
        description="Real-time messaging server. Every setting of the README can also be given "
        "as an environment variable (DATABASE_URL, REDIS_URL, JWT_SECRET, ...).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply pending migrations, then serve")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    bench = commands.add_parser("bench", help="run the load benchmark (see docs/performance.md)", add_help=False)
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    commands.add_parser("tail", help="print a room live: roomcast tail ROOM_ID (see tail --help)")
    commands.add_parser("send", help="send a message: roomcast send ROOM_ID TEXT (see send --help)")
    args = parser.parse_args(argv)

    if args.command == "bench":
        from roomcast.bench.cli import main as bench_main

        return bench_main(args.rest)

    from roomcast.observability.logging import configure_logging

    configure_logging()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve" and args.workers < 1:
        print("roomcast: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.command == "serve" and args.workers > 1 and not settings.redis_url:
        print(
            "roomcast: --workers > 1 needs REDIS_URL: with the in-process backend the workers "
            "would not see each other's rooms, presence or rate limits",
            file=sys.stderr,
        )
        return 2
    from roomcast.storage.migrate import upgrade

    try:
        upgrade(settings)
    except Exception as exc:
        where = redact_url(settings.database_url)
        print(f"roomcast: cannot migrate the database at {where}: {exc}", file=sys.stderr)
        return 1
    if args.command == "migrate":
        print("roomcast: database is up to date")
        return 0
    if settings.redis_url:
        from roomcast.backends.redis import check_redis

        problem = check_redis(settings.redis_url)
        if problem is not None:
            print(f"roomcast: {problem}", file=sys.stderr)
            return 1
    from roomcast.server import run

    if args.workers == 1:
        return run(settings, args.host, args.port, args.workers)
    # Several processes: Prometheus counters are summed over per-process files.
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    own_dir = not metrics_dir
    if own_dir:
        metrics_dir = tempfile.mkdtemp(prefix="roomcast-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        return run(settings, args.host, args.port, args.workers)
    finally:
        if own_dir and metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
