"""Scaled mode's cost model, from the runs of `roomcast bench scaled`: what one message costs a
worker and Redis, and from that what N workers on N cores and one Redis can carry.

Measured (server CPU of the workers, Redis's own CPU from `INFO cpu`, at one offered rate):
- `c_in`: a worker's CPU per message it accepts (receive, validate, rate limit, its share of a
  commit, the announcement), deliveries apart;
- `c_d`: per delivery (encode once, one write per socket): from S1 (9 per message) and S2
  (999) on the same configuration, `c(S) = c_in + deliveries(S) x c_d`;
- `c_redis`: what the Redis backends add to a worker per message (PostgreSQL + Redis against
  PostgreSQL alone);
- `c_sub`: what a second worker adds per message: it reads and decodes the publications of
  the rooms it has members in (two workers against one);
- `r_0`, `r_sub`: Redis's CPU per message, and per instance subscribed to the message's room.

Predicted, for rooms of U members whose sockets are spread evenly over N workers, each on a
core of its own: a worker accepts R/N messages, writes R(U-1)/N deliveries, and reads the
publications the other workers accepted (R(N-1)/N) in the rooms it has a member in, a share
p = 1 - (1 - 1/N)^U of them, so

    R <= 1 / ((c_in + (U-1) c_d) / N + p (N-1)/N c_sub)    (workers)
    R <= 1 / (r_0 + N p r_sub)                              (one Redis: N p instances per room)

and with a room's sockets routed to one worker (hash on the room, `deploy/nginx.conf`) one
instance is subscribed per room and no worker reads another's publications. The database's commit rate is
a third bound, not modelled here: the group commit's batches grow with the rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

S1_DELIVERIES = 9
S2_DELIVERIES = 999
S1_MEMBERS = 10


@dataclass(frozen=True)
class Run:
    """One configuration's scenario: its steps as `roomcast bench --json` wrote them."""

    name: str
    scenario: str
    steps: Sequence[Mapping[str, Any]]
    redis_cpu_s: float | None = None  # Redis's CPU over the whole run

    def passed(self) -> list[float]:
        """The offered rates of the steps that passed (nothing lost, no error, p99 under the SLO)."""
        return [
            float(s["offered"])
            for s in self.steps
            if int(s["delivered"]) >= int(s["expected"])
            and not int(s["errors"])
            and s["latencies_ms"]
            and float(s["latencies_ms"][2]) < float(s["slo_ms"])
        ]

    def step(self, rate: float) -> Mapping[str, Any]:
        return min(self.steps, key=lambda s: abs(float(s["offered"]) - rate))

    def worker_us(self, rate: float) -> float:
        """The workers' CPU per message at the step nearest `rate` (µs)."""
        step = self.step(rate)
        messages = int(step["sent"]) - int(step.get("edits", 0)) - int(step.get("reactions", 0))
        return float(step["server_cpu"]) / 100 * float(step["duration"]) * 1e6 / max(1, messages)

    def redis_us(self) -> float | None:
        """Redis's CPU per message over the run (µs); heartbeats and set-up included."""
        if self.redis_cpu_s is None:
            return None
        messages = sum(int(s["sent"]) for s in self.steps)
        return self.redis_cpu_s * 1e6 / max(1, messages)


@dataclass(frozen=True)
class Costs:
    c_in: float
    c_d: float
    c_redis: float
    c_sub: float
    r_0: float
    r_sub: float

    def workers_limit(self, workers: int, members: int = S1_MEMBERS, routed: bool = False) -> float:
        share = 1 - (1 - 1 / workers) ** members
        reads = 0.0 if routed else share * (workers - 1) / workers * self.c_sub
        return 1e6 / ((self.c_in + (members - 1) * self.c_d) / workers + reads)

    def redis_limit(self, workers: int, members: int = S1_MEMBERS, routed: bool = False) -> float:
        subscribers = 1.0 if routed else workers * (1 - (1 - 1 / workers) ** members)
        return 1e6 / (self.r_0 + subscribers * self.r_sub)


def costs(
    postgres: Run, one_worker: Run, one_worker_s2: Run, two_workers: Run, s1_rate: float, s2_rate: float
) -> Costs:
    """The model's figures from the four runs, each at its scenario's reference rate."""
    s1, s2 = one_worker.worker_us(s1_rate), one_worker_s2.worker_us(s2_rate)
    c_d = max(0.0, (s2 - s1) / (S2_DELIVERIES - S1_DELIVERIES))
    r_1, r_2 = one_worker.redis_us() or 0.0, two_workers.redis_us() or 0.0
    r_sub = max(0.0, r_2 - r_1)
    return Costs(
        c_in=s1 - S1_DELIVERIES * c_d,
        c_d=c_d,
        c_redis=s1 - postgres.worker_us(s1_rate),
        c_sub=max(0.0, two_workers.worker_us(s1_rate) - s1),
        r_0=max(0.0, r_1 - r_sub),
        r_sub=r_sub,
    )


def reference_rate(runs: Sequence[Run]) -> float:
    """The highest rate every run passed (the closest to capacity all of them measured), else
    the lowest offered: per-message costs fall as batches grow with the rate."""
    common = set.intersection(*(set(run.passed()) for run in runs)) if runs else set()
    if common:
        return max(common)
    return min(float(s["offered"]) for run in runs for s in run.steps)


def report(model: Costs, workers: Sequence[int] = (1, 2, 4, 8, 16, 32)) -> str:
    lines = [
        "== cost model (µs of CPU; one message of S1 = 1 accept + 9 deliveries)",
        f"worker: c_in {model.c_in:.0f} per message accepted (of which Redis backends {model.c_redis:.0f}), "
        f"c_d {model.c_d:.1f} per delivery, c_sub {model.c_sub:.0f} per publication read by another worker",
        f"Redis: r_0 {model.r_0:.1f} per message, r_sub {model.r_sub:.1f} per subscribed instance",
        "",
        "| workers (one core each) | S1-shaped rooms spread: workers / Redis limit, msg/s "
        "| rooms routed to one worker: workers / Redis | Redis publications delivered/s at the Redis limit (spread) |",
        "| --- | --- | --- | --- |",
    ]
    for n in workers:
        spread = (model.workers_limit(n), model.redis_limit(n))
        routed = (model.workers_limit(n, routed=True), model.redis_limit(n, routed=True))
        subscribers = n * (1 - (1 - 1 / n) ** S1_MEMBERS)
        lines.append(
            f"| {n} | {spread[0]:,.0f} / {spread[1]:,.0f} | {routed[0]:,.0f} / {routed[1]:,.0f} "
            f"| {spread[1] * subscribers:,.0f} |"
        )
    return "\n".join(lines)
