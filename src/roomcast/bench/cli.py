"""`roomcast bench`: scenarios by name (S1-S4, `scenarios`) or free parameters, against roomcast
and the baselines of `roomcast.bench.baselines`, each started here pinned to core 0 (the
generator runs on core 1), or against a running server (`--url`); S4 (user connections) runs
on roomcast alone. `roomcast bench servers` and `roomcast bench scaled` are the comparisons of
`server_comparison` and `scaled_mode`, which drive this command; `roomcast bench search`
(`search`) measures full-text search on a filled database instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from roomcast.bench.extra import GENERATOR, PLOT, SOCKETIO, missing, missing_extra
from roomcast.bench.report import (
    GEN_CPU_WARNING,
    ScenarioResult,
    StepResult,
    header,
    percentiles,
    plot,
    scenario_footer,
    scenario_header,
    step_row,
    summary,
)
from roomcast.bench.scenarios import (
    ROOMCAST_KINDS,
    SCENARIOS,
    USER_CONNECTION_KINDS,
    Scenario,
    build_scenarios,
    check_user_connections,
    open_room_sockets,
    open_users,
)

MIX_KINDS = ROOMCAST_KINDS  # servers that edit and react (the baselines do neither)
# SPEC §4b: room_activity comes at most once a second per room and connection, so a step on user
# connections waits this long after its drain for the frames its last messages still cause.
ACTIVITY_SETTLE = 1.2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="roomcast bench",
        description="Open-loop WebSocket load generator: stepped offered rates, latency from send to "
        "every receiver, loss, errors, server CPU and RSS. Scenarios: S1 (100 rooms x 10 users, "
        "500 -> 10,000 msg/s), S2 (1 room x 1,000 users, up to 150 msg/s), S3 (idle socket memory), "
        "S4 (1,000 users on user connections /ws?token=, each subscribed to the 20 rooms it is in out "
        "of 100: msg/s at p99 < 100 ms, room_activity frames/s, memory per user connection; roomcast "
        "only). See docs/performance.md.",
        epilog="Comparisons built on it: `roomcast bench servers` (roomcast under each ASGI server) and "
        "`roomcast bench scaled` (PostgreSQL, the Redis hop, two workers); `roomcast bench search` measures "
        "full-text search on SQLite and PostgreSQL filled with 1M messages. Each has its own --help.",
    )
    parser.add_argument("scenarios", nargs="*", default=[], help="S1, S2, S3, S4, or none with --rooms/--users")
    parser.add_argument("--quick", action="store_true", help="scaled-down scenarios for a quick look")
    parser.add_argument(
        "--targets",
        default="",
        help="comma list of roomcast,fastapi,socketio to start and measure (default: all available; S4 roomcast alone)",
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="also run roomcast in scaled mode (PostgreSQL + Redis, one worker pinned like the embedded one) "
        "in the same run: ROOMCAST_BENCH_POSTGRES and ROOMCAST_BENCH_REDIS say where (default: local)",
    )
    parser.add_argument(
        "--previous",
        metavar="SRC",
        help="also run the previous build of roomcast, the package in source folder SRC (e.g. the src/ of a git "
        "worktree), right after this build's, in every mode run: a before/after comparison in one run",
    )
    parser.add_argument("--url", help="measure a running server instead (http://127.0.0.1:8000)")
    parser.add_argument("--kind", choices=("roomcast", "fastapi", "socketio"), help="what --url runs")
    parser.add_argument("--server-pid", type=int, help="pid of the --url server, for CPU and RSS")
    parser.add_argument("--rooms", type=int, help="free scenario (or override): rooms")
    parser.add_argument("--users", type=int, help="free scenario (or override): users per room; S4: users in all")
    parser.add_argument("--rates", help="offered rates in msg/s, comma separated (e.g. 100,200,400)")
    parser.add_argument("--duration", type=float, help="seconds per step")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait for late deliveries")
    parser.add_argument("--slo", type=float, help="p99 limit in ms for a step to pass")
    parser.add_argument("--pool", type=int, help="distinct users (each in several rooms)")
    parser.add_argument("--sockets", type=int, help="S3: idle sockets to open")
    parser.add_argument("--subscriptions", type=int, help="S4: rooms each user is in and subscribes to")
    parser.add_argument("--keep-going", action="store_true", help="run every step even after one fails")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and generator to cores")
    parser.add_argument("--send-queue-limit", type=int, help="SEND_QUEUE_LIMIT of the roomcast started")
    parser.add_argument(
        "--mix",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of each client's frames that are changes of its last message instead of new messages: "
        "edits and reaction toggles in turn (e.g. 0.2; roomcast only, not S3 or S4)",
    )
    parser.add_argument("--plot", type=Path, help="write a PNG of latency against load")
    parser.add_argument("--json", type=Path, help="also write the results as JSON (one object per scenario and target)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)
    for name in args.scenarios:
        if name.upper() not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}: use S1, S2, S3 or S4")
    if not args.scenarios and not (args.rooms and args.users):
        parser.error("name a scenario (S1 S2 S3 S4) or give --rooms and --users")
    names = {name.upper() for name in args.scenarios}
    if args.scaled and args.url:
        parser.error("--scaled starts roomcast on PostgreSQL + Redis itself; it does not apply to --url")
    if args.previous and args.url:
        parser.error("--previous starts the previous build itself; it does not apply to --url")
    if args.previous and not (Path(args.previous) / "roomcast" / "__main__.py").is_file():
        parser.error(f"--previous {args.previous}: no roomcast package there (give the src/ folder of that build)")
    kinds = [args.kind] if args.url and args.kind else [k.strip() for k in args.targets.split(",") if k.strip()]
    if "S4" in names:
        others = [k for k in kinds if k not in USER_CONNECTION_KINDS]
        if others:
            parser.error(
                f"S4 runs on user connections (/ws?token=, SPEC §4b), which only roomcast has; "
                f"{', '.join(others)} has none: use --targets roomcast, or leave --targets out"
            )
        for scenario in build_scenarios(args):
            problem = check_user_connections(scenario)
            if problem is not None:
                parser.error(problem)
    if args.subscriptions is not None and "S4" not in names:
        parser.error("--subscriptions applies to S4 (user connections) only")
    if args.mix:
        if not 0.0 < args.mix <= 1.0:
            parser.error(f"--mix is a fraction of the frames sent, above 0 and at most 1 (e.g. 0.2), not {args.mix:g}")
        if "S3" in names:
            parser.error("--mix applies to S1, S2 and free scenarios; S3 only opens idle sockets")
        if "S4" in names:
            parser.error("--mix applies to S1, S2 and free scenarios; S4's user connections send new messages only")
        others = [k for k in kinds if k not in MIX_KINDS]
        if others:
            parser.error(
                f"--mix needs a server with edits and reactions (roomcast); {', '.join(others)} has none: "
                "use --targets roomcast"
            )
    return args


def available_targets(requested: str) -> list[str]:
    from roomcast.bench.targets import KINDS

    if requested:
        kinds = [k.strip() for k in requested.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise SystemExit(f"roomcast bench: unknown target(s) {unknown}; use {', '.join(KINDS)}")
        return kinds
    # By default every server that can run here: the socketio baseline only with python-socketio;
    # scaled mode with --scaled only (it needs PostgreSQL and Redis), the previous build with --previous.
    return [kind for kind in ("roomcast", "fastapi", "socketio") if kind != "socketio" or not missing([SOCKETIO])]


def needed_modules(args: argparse.Namespace) -> list[str]:
    """What this run imports from the "bench" extra, in this process or in a baseline it starts."""
    modules = list(GENERATOR)
    if args.plot is not None:
        modules.append(PLOT)
    if not args.url and "socketio" in (k.strip() for k in args.targets.split(",")):
        modules.append(SOCKETIO)
    return modules


class Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.width = 0

    def __call__(self, text: str) -> None:
        if self.quiet:
            return
        line = text[:150]
        sys.stderr.write("\r" + line.ljust(self.width))
        sys.stderr.flush()
        self.width = len(line)

    def clear(self) -> None:
        if not self.quiet and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
            self.width = 0


def emit(text: str) -> None:
    print(text, flush=True)


async def run_scenario(
    scenario: Scenario, target_kind: str, args: argparse.Namespace, progress: Progress
) -> ScenarioResult:
    from roomcast.bench.load import Fleet, StepCounters
    from roomcast.bench.targets import Target, guess_kind, launch_target

    users = scenario.on_user_connections
    if args.url:
        target = Target(args.kind or guess_kind(args.url), args.url.rstrip("/"), args.server_pid)
        if args.mix and target.kind not in MIX_KINDS:
            raise RuntimeError(f"--mix needs roomcast; {args.url} runs {target.kind}, which has no edits or reactions")
        if users and target.kind not in USER_CONNECTION_KINDS:
            raise RuntimeError(f"{scenario.name} needs user connections; {args.url} runs {target.kind}, which has none")
    elif users and target_kind not in USER_CONNECTION_KINDS:
        raise RuntimeError(f"{scenario.name} needs user connections (/ws?token=), which only roomcast has")
    else:
        progress(f"[{target_kind} {scenario.name}] starting the server")
        target = await asyncio.to_thread(
            launch_target, target_kind, not args.no_pin, args.send_queue_limit, args.previous
        )
    tag = f"[{target.kind} {scenario.name}]"
    result = ScenarioResult(
        scenario.name,
        target.kind,
        scenario.rooms,
        scenario.users,
        slo_ms=scenario.slo_ms,
        mix=args.mix,
        subscriptions=scenario.subscriptions,
    )
    fleet = Fleet(target.user_dialect if users else target.dialect, expect_acks=True, mix=args.mix)

    def say(text: str) -> None:
        progress(f"{tag} {text}")

    try:
        if users:
            probe = await open_users(scenario, target, fleet, result, say)
        else:
            probe = await open_room_sockets(scenario, target, fleet, result, say)
            if scenario.sockets:
                progress.clear()
                return result
        for index, rate in enumerate(scenario.rates):
            probe.mark()
            cpu_start, wall_start = time.process_time(), time.monotonic()

            def show(
                step: StepCounters,
                elapsed: float,
                index: int = index,
                rate: float = rate,
                cpu_start: float = cpu_start,
                wall_start: float = wall_start,
            ) -> None:
                wall = time.monotonic() - wall_start
                gen = 100 * (time.process_time() - cpu_start) / wall if wall else 0.0
                changes = f" changes {step.edits + step.reactions}" if args.mix else ""
                activity = f" room_activity {step.activity}" if users else ""
                progress(
                    f"{tag} step {index + 1}/{len(scenario.rates)} {rate:.0f} msg/s "
                    f"{elapsed:4.1f}/{scenario.duration:g}s sent {step.sent}{changes} acked {step.acked} "
                    f"delivered {step.delivered}/{step.expected}{activity} errors {step.errors} gen cpu {gen:.0f}%"
                )

            settle = ACTIVITY_SETTLE if users else 0.0
            counters = await fleet.run_step(rate, scenario.duration, args.drain, show, settle)
            gen_cpu = 100 * (time.process_time() - cpu_start) / (time.monotonic() - wall_start)
            step = StepResult(
                offered=rate,
                duration=scenario.duration,
                sent=counters.sent,
                acked=counters.acked,
                expected=counters.expected,
                delivered=counters.delivered,
                errors=counters.errors,
                latencies_ms=percentiles(counters.latencies),
                server_cpu=probe.cpu_since_mark(),
                server_rss=probe.rss(),
                gen_cpu=gen_cpu,
                slo_ms=scenario.slo_ms,
                edits=counters.edits,
                edit_expected=counters.edit_expected,
                edit_delivered=counters.edit_delivered,
                edit_latencies_ms=percentiles(counters.edit_latencies),
                reactions=counters.reactions,
                reaction_expected=counters.reaction_expected,
                reaction_delivered=counters.reaction_delivered,
                activity=counters.activity,
            )
            counters.latencies.clear()
            counters.edit_latencies.clear()
            result.steps.append(step)
            progress.clear()
            if index == 0:
                emit(scenario_header(result))
                emit(header(bool(args.mix), users))
            emit(step_row(step, bool(args.mix), users))
            if step.gen_cpu >= GEN_CPU_WARNING:
                emit(f"   WARNING: the generator used {step.gen_cpu:.0f}% of its core: it is the bottleneck")
            if not step.ok and not args.keep_going:
                break
        return result
    finally:
        progress.clear()
        await fleet.close()
        if not args.url:
            await asyncio.to_thread(target.stop)


def pin_generator(enabled: bool) -> None:
    from roomcast.bench.targets import LOAD_CORE, can_pin

    if enabled and can_pin():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {LOAD_CORE})


async def run(args: argparse.Namespace) -> int:
    scenarios = build_scenarios(args)
    if args.url:
        kinds = [args.kind or "roomcast"]
    elif (args.mix or args.scaled) and not args.targets:
        kinds = ["roomcast"]  # the baselines cannot run a mixed load; --scaled compares the two modes
    else:
        kinds = [kind for kind in available_targets(args.targets) if kind in ("roomcast", "fastapi", "socketio")]
    if args.scaled and not args.url:
        kinds.insert(kinds.index("roomcast") + 1 if "roomcast" in kinds else 0, "roomcast-scaled")
    if args.previous:
        for kind in [k for k in kinds if k in ("roomcast", "roomcast-scaled")]:
            kinds.insert(kinds.index(kind) + 1, kind + "-previous")
    progress = Progress(args.quiet)
    results: list[ScenarioResult] = []
    failed = False
    for scenario in scenarios:
        # S4 on the servers with user connections alone (parse_args refused it for any other).
        for kind in [k for k in kinds if k in USER_CONNECTION_KINDS] if scenario.on_user_connections else kinds:
            try:
                result = await run_scenario(scenario, kind, args, progress)
            except Exception as exc:
                progress.clear()
                emit(f"== {scenario.name} on {kind}: FAILED: {exc}")
                failed = True
                continue
            results.append(result)
            if result.sockets and not result.steps:
                emit(scenario_header(result))
            emit(scenario_footer(result))
            emit("")
    if len({r.target for r in results}) > 1:
        emit(summary(results))
    if args.plot is not None:
        written = plot(results, args.plot)
        emit(f"plot: {written}" if written else "plot: skipped (matplotlib missing or nothing to plot)")
    if args.json is not None:
        args.json.write_text(json.dumps([dataclasses.asdict(result) for result in results], indent=1))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["servers"]:
        from roomcast.bench.server_comparison import main as comparison_main

        return comparison_main(argv[1:])
    if argv[:1] == ["scaled"]:
        from roomcast.bench.scaled_mode import main as scaled_main

        return scaled_main(argv[1:])
    if argv[:1] == ["search"]:
        from roomcast.bench.search import main as search_main

        return search_main(argv[1:])
    args = parse_args(argv)
    problem = missing_extra(needed_modules(args))
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from roomcast.bench.targets import raise_nofile

    raise_nofile()
    pin_generator(not args.no_pin and not args.url)
    runner: Callable[..., int]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(run(args))
