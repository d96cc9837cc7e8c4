"""The cost model's arithmetic on made-up runs whose costs are known."""

from __future__ import annotations

import pytest

from roomcast.bench.cost_model import Run, costs, reference_rate, report


def step(rate: float, cpu_us_per_message: float, duration: float = 10) -> dict[str, float]:
    sent = rate * duration
    cpu_percent = cpu_us_per_message * sent / duration / 1e4
    return {"offered": rate, "duration": duration, "sent": sent, "server_cpu": cpu_percent}


def run(name: str, us: float, redis_us: float | None = None, rate: float = 1000) -> Run:
    steps = [step(rate, us), step(rate * 2, us * 0.8)]
    redis_s = None if redis_us is None else redis_us * sum(s["sent"] for s in steps) / 1e6
    return Run(name, "S", steps, redis_s)


def test_the_model_recovers_the_costs_it_was_built_from() -> None:
    c_in, c_d, c_redis, c_sub, r_0, r_sub = 150.0, 6.0, 40.0, 25.0, 8.0, 3.0
    model = costs(
        postgres=run("pg", c_in - c_redis + 9 * c_d),
        one_worker=run("redis", c_in + 9 * c_d, r_0 + r_sub),
        one_worker_s2=run("s2", c_in + 999 * c_d, rate=50),
        two_workers=run("two", c_in + 9 * c_d + c_sub, r_0 + 2 * r_sub),
        s1_rate=1000,
        s2_rate=50,
    )
    assert model.c_in == pytest.approx(c_in)
    assert model.c_d == pytest.approx(c_d)
    assert model.c_redis == pytest.approx(c_redis)
    assert model.c_sub == pytest.approx(c_sub)
    assert (model.r_0, model.r_sub) == (pytest.approx(r_0), pytest.approx(r_sub))
    # One worker: its core alone bounds it; routed rooms grow linearly, spread ones less.
    assert model.workers_limit(1) == pytest.approx(1e6 / (c_in + 9 * c_d))  # nobody else's to read
    assert model.workers_limit(8, routed=True) == pytest.approx(8e6 / (c_in + 9 * c_d))
    assert model.workers_limit(8) < model.workers_limit(8, routed=True)
    assert model.redis_limit(8, routed=True) == pytest.approx(1e6 / (r_0 + r_sub))
    assert "| 8 |" in report(model)


def test_the_reference_rate_is_the_highest_every_run_passed() -> None:
    def steps(*passing: bool) -> list[dict[str, object]]:
        return [
            {
                "offered": 1000.0 * (i + 1),
                "delivered": 9 if ok else 8,
                "expected": 9,
                "errors": 0,
                "latencies_ms": [1.0, 2.0, 3.0, 4.0],
                "slo_ms": 100.0,
            }
            for i, ok in enumerate(passing)
        ]

    runs = [Run("a", "S1", steps(True, True, True)), Run("b", "S1", steps(True, True, False))]
    assert reference_rate(runs) == 2000
    assert reference_rate([Run("c", "S1", steps(False, False))]) == 1000
