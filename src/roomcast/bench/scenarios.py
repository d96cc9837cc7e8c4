"""The named scenarios of `roomcast bench` (S1-S4, and their `--quick` forms), the command
line's overrides of them, and how each opens its sockets. docs/performance.md says what each
one measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from roomcast.bench.report import ScenarioResult

if TYPE_CHECKING:  # these import the "bench" extra: main() checks it first
    from roomcast.bench.load import Fleet
    from roomcast.bench.targets import Probe, Target

# roomcast embedded (SQLite, in-process backend) or scaled (PostgreSQL + Redis), this build or the
# previous one (`roomcast bench --previous SRC`).
ROOMCAST_KINDS = ("roomcast", "roomcast-previous", "roomcast-scaled", "roomcast-scaled-previous")
USER_CONNECTION_KINDS = ROOMCAST_KINDS  # servers with user connections (/ws?token=, SPEC §4b)


@dataclass(frozen=True)
class Scenario:
    name: str
    rooms: int
    users: int  # per room; with `subscriptions`, users (one user connection each) in all
    rates: tuple[float, ...] = ()
    duration: float = 5.0
    slo_ms: float = 100.0
    pool: int = 0  # distinct users; 0 = max(users, min(rooms * users, 100))
    sockets: int = 0  # S3: idle sockets instead of steps
    subscriptions: int = 0  # S4: rooms each user is in and subscribes to on its user connection

    @property
    def user_pool(self) -> int:
        return self.pool or max(self.users, min(self.rooms * self.users, 100))

    @property
    def on_user_connections(self) -> bool:
        return self.subscriptions > 0


S4_RATES = (100, 200, 300, 400, 500, 750, 1000)
SCENARIOS = {
    "S1": Scenario("S1", 100, 10, (500, 1000, 2000, 3000, 4000, 5000, 7500, 10000), slo_ms=100),
    "S2": Scenario("S2", 1, 1000, (25, 50, 75, 100, 150), slo_ms=50),
    "S3": Scenario("S3", 100, 10, sockets=19000),
    "S4": Scenario("S4", 100, 1000, S4_RATES, slo_ms=100, subscriptions=20),
}
QUICK = {
    "S1": Scenario("S1", 10, 10, (200, 500, 1000, 2000), duration=3, slo_ms=100),
    "S2": Scenario("S2", 1, 100, (25, 50, 100), duration=3, slo_ms=50),
    "S3": Scenario("S3", 10, 10, sockets=1000),
    "S4": Scenario("S4", 20, 100, (100, 200, 500), duration=3, slo_ms=100, subscriptions=5),
}


def build_scenarios(args: argparse.Namespace) -> list[Scenario]:
    table = QUICK if args.quick else SCENARIOS
    chosen = [table[name.upper()] for name in args.scenarios] or [
        Scenario("custom", args.rooms, args.users, (100, 500, 1000))
    ]
    out = []
    for scenario in chosen:
        changes: dict[str, object] = {}
        if args.rooms:
            changes["rooms"] = args.rooms
        if args.users:
            changes["users"] = args.users
        if args.rates and not scenario.sockets:
            changes["rates"] = tuple(float(r) for r in args.rates.split(",") if r.strip())
        if args.duration:
            changes["duration"] = args.duration
        if args.slo:
            changes["slo_ms"] = args.slo
        if args.pool:
            changes["pool"] = args.pool
        if args.sockets and scenario.sockets:
            changes["sockets"] = args.sockets
        if args.subscriptions and scenario.subscriptions:
            changes["subscriptions"] = args.subscriptions
        out.append(replace(scenario, **changes))  # type: ignore[arg-type]
    return out


def memberships(users: int, rooms: int, per_user: int) -> list[tuple[int, ...]]:
    """The rooms of each user: user u is in rooms (u + o) mod `rooms` for a fixed set of
    `per_user` distinct offsets o, so every room has users x per_user / rooms members (within
    one) while users whose numbers differ by d share a number of rooms that depends on d."""
    if not 0 < per_user <= rooms:
        raise ValueError(f"each user needs between 1 and {rooms} rooms, not {per_user}")
    offsets = sorted(random.Random(per_user * 1_000_003 + rooms).sample(range(rooms), per_user))
    return [tuple(sorted((u + o) % rooms for o in offsets)) for u in range(users)]


def check_user_connections(scenario: Scenario) -> str | None:
    """Why this user-connection scenario cannot be laid out, or None."""
    if not scenario.on_user_connections:
        return None
    if scenario.subscriptions > scenario.rooms:
        return f"{scenario.name}: {scenario.subscriptions} subscriptions per user, but only {scenario.rooms} rooms"
    if scenario.users < scenario.rooms:
        return (
            f"{scenario.name}: {scenario.users} users cannot fill {scenario.rooms} rooms: give at least as many users"
        )
    return None


async def open_room_sockets(
    scenario: Scenario, target: Target, fleet: Fleet, result: ScenarioResult, say: Callable[[str], None]
) -> Probe:
    """S1-S3: a socket per room and member (S3: several, idle, and the server's RSS around them)."""
    per_member = 1
    if scenario.sockets:
        per_member = max(1, math.ceil(scenario.sockets / (scenario.rooms * scenario.users)))
    target.widen(True)
    urls = await target.prepare(
        scenario.rooms, scenario.users, scenario.user_pool, sockets_per_member=per_member, progress=say
    )
    target.widen(False)
    probe = target.probe()
    if scenario.sockets:
        urls = trim(urls, scenario.sockets)
        await asyncio.sleep(1.0)
        gc.collect()
        result.rss_before = probe.rss()
    total = sum(len(u) for u in urls)
    await fleet.open(urls, progress=lambda n: say(f"connected {n}/{total} sockets"))
    if scenario.sockets:
        await asyncio.sleep(2.0)
        result.sockets = total
        result.rss_after = probe.rss()
    return probe


async def open_users(
    scenario: Scenario, target: Target, fleet: Fleet, result: ScenarioResult, say: Callable[[str], None]
) -> Probe:
    """S4: one user connection per user, subscribed to each of its rooms, and the server's RSS
    before and after they opened (what a user connection with its subscriptions costs)."""
    target.widen(True)
    room_ids, users = await target.prepare_users(scenario.rooms, scenario.users, scenario.subscriptions, progress=say)
    target.widen(False)
    probe = target.probe()
    await asyncio.sleep(1.0)
    result.rss_before = probe.rss()
    each = f"{scenario.subscriptions} subscriptions each"
    await fleet.open_users(room_ids, users, progress=lambda n: say(f"connected {n}/{len(users)} users ({each})"))
    await asyncio.sleep(2.0)
    result.sockets = len(users)
    result.rss_after = probe.rss()
    return probe


def trim(urls: list[list[str]], count: int) -> list[list[str]]:
    out: list[list[str]] = []
    left = count
    for room in urls:
        take = room[: max(0, left)]
        left -= len(take)
        out.append(take)
    return [room for room in out if room]
