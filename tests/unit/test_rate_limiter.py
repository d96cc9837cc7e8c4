"""The in-process sliding window (backends/memory/rate_limiter.py), on an injected clock."""

from __future__ import annotations

import pytest

from roomcast.backends.memory.rate_limiter import MemoryRateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> MemoryRateLimiter:
    return MemoryRateLimiter(clock=clock)


async def test_allows_up_to_the_limit_then_refuses(limiter: MemoryRateLimiter, clock: Clock) -> None:
    for sent in range(1, 11):
        decision = await limiter.acquire("k", 10, 60)
        assert decision.allowed and decision.messages_sent == sent and decision.max_messages == 10
        assert decision.token
        clock.now += 1
    refused = await limiter.acquire("k", 10, 60)
    assert not refused.allowed
    assert (refused.messages_sent, refused.max_messages) == (10, 10)
    # the first acquisition (t=1000) leaves the window at t=1060; it is now 1010
    assert refused.time_until_reset == 50
    assert refused.token == ""


async def test_the_window_slides_instead_of_resetting(limiter: MemoryRateLimiter, clock: Clock) -> None:
    start = clock.now
    for offset in (0, 10, 20):
        clock.now = start + offset
        assert (await limiter.acquire("k", 3, 60)).allowed
    clock.now = start + 59.9
    assert not (await limiter.acquire("k", 3, 60)).allowed
    clock.now = start + 60  # exactly one window after the first: it has left the window
    decision = await limiter.acquire("k", 3, 60)
    assert decision.allowed and decision.messages_sent == 3
    # a fixed window would now allow a burst; the sliding one still holds those at +10 and +20
    refused = await limiter.acquire("k", 3, 60)
    assert not refused.allowed and refused.time_until_reset == 10
    clock.now = start + 70
    assert (await limiter.acquire("k", 3, 60)).allowed
    assert not (await limiter.acquire("k", 3, 60)).allowed


async def test_no_more_than_limit_in_any_window(limiter: MemoryRateLimiter, clock: Clock) -> None:
    accepted: list[float] = []
    for step in range(600):  # one attempt every 0.25 s for 150 s
        clock.now = 1000 + step * 0.25
        if (await limiter.acquire("k", 5, 10)).allowed:
            accepted.append(clock.now)
    for i, moment in enumerate(accepted):
        assert len([t for t in accepted[i:] if t < moment + 10]) <= 5
    assert len(accepted) == 75  # the limit is reached in every window, not fewer


async def test_refused_attempts_do_not_count(limiter: MemoryRateLimiter, clock: Clock) -> None:
    for _ in range(2):
        assert (await limiter.acquire("k", 2, 10)).allowed
    for _ in range(50):
        clock.now += 0.1
        assert not (await limiter.acquire("k", 2, 10)).allowed
    clock.now = 1010  # only the two accepted ones ever counted
    assert (await limiter.acquire("k", 2, 10)).allowed


async def test_time_until_reset_is_whole_seconds_rounded_up(limiter: MemoryRateLimiter, clock: Clock) -> None:
    assert (await limiter.acquire("k", 1, 60)).allowed
    clock.now += 0.5
    refused = await limiter.acquire("k", 1, 60)
    assert refused.time_until_reset == 60  # 59.5 s → 60
    clock.now += 59.4
    refused = await limiter.acquire("k", 1, 60)
    assert refused.time_until_reset == 1  # 0.1 s → 1, never 0 while refused
    clock.now += 0.1
    assert (await limiter.acquire("k", 1, 60)).allowed


async def test_an_allowed_decision_reports_when_the_window_frees(limiter: MemoryRateLimiter, clock: Clock) -> None:
    first = await limiter.acquire("k", 2, 60)
    assert first.time_until_reset == 0  # still room for more
    clock.now += 15
    second = await limiter.acquire("k", 2, 60)
    assert second.allowed and second.time_until_reset == 45


async def test_release_gives_the_slot_back(limiter: MemoryRateLimiter, clock: Clock) -> None:
    decisions = [await limiter.acquire("k", 3, 60) for _ in range(3)]
    assert not (await limiter.acquire("k", 3, 60)).allowed
    await limiter.release("k", decisions[1].token)
    again = await limiter.acquire("k", 3, 60)
    assert again.allowed and again.messages_sent == 3
    assert not (await limiter.acquire("k", 3, 60)).allowed
    # releasing twice, an unknown token or an unknown key changes nothing
    await limiter.release("k", decisions[1].token)
    await limiter.release("k", "no-such-token")
    await limiter.release("other", decisions[0].token)
    assert not (await limiter.acquire("k", 3, 60)).allowed


async def test_keys_are_independent(limiter: MemoryRateLimiter) -> None:
    assert (await limiter.acquire("alice", 1, 60)).allowed
    assert not (await limiter.acquire("alice", 1, 60)).allowed
    assert (await limiter.acquire("bob", 1, 60)).allowed


async def test_tokens_are_unique(limiter: MemoryRateLimiter) -> None:
    tokens = [(await limiter.acquire(f"k{i % 3}", 100, 60)).token for i in range(30)]
    assert len(set(tokens)) == 30


async def test_close_forgets_everything(limiter: MemoryRateLimiter) -> None:
    assert (await limiter.acquire("k", 1, 60)).allowed
    await limiter.close()
    assert (await limiter.acquire("k", 1, 60)).allowed
