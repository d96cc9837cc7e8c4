"""RateLimiter contract: a true sliding window; refusals and releases do not count."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from roomcast.backends.base import Backends


async def test_limit_then_refusal_with_time_until_reset(
    make_backends: Callable[..., Awaitable[Backends]],
) -> None:
    limiter = (await make_backends()).rate_limiter
    decisions = [await limiter.acquire("message:u1", 3, 60) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, True]
    assert [d.messages_sent for d in decisions] == [1, 2, 3]
    assert decisions[0].time_until_reset == 0
    assert 59 <= decisions[2].time_until_reset <= 60
    refused = await limiter.acquire("message:u1", 3, 60)
    assert not refused.allowed
    assert refused.messages_sent == 3 and refused.max_messages == 3
    assert 59 <= refused.time_until_reset <= 60
    assert (await limiter.acquire("message:u2", 3, 60)).allowed  # keys are independent


async def test_release_gives_the_slot_back(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    limiter = (await make_backends()).rate_limiter
    first = await limiter.acquire("k", 2, 60)
    assert (await limiter.acquire("k", 2, 60)).allowed
    assert not (await limiter.acquire("k", 2, 60)).allowed
    await limiter.release("k", first.token)
    again = await limiter.acquire("k", 2, 60)
    assert again.allowed and again.messages_sent == 2


async def test_window_slides(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    limiter = (await make_backends()).rate_limiter
    assert (await limiter.acquire("k", 2, 1)).allowed
    await asyncio.sleep(0.5)
    assert (await limiter.acquire("k", 2, 1)).allowed
    for _ in range(3):  # refused attempts are not counted
        refused = await limiter.acquire("k", 2, 1)
        assert not refused.allowed and refused.time_until_reset == 1
    await asyncio.sleep(0.6)  # the first acquisition left the window, the second did not
    slid = await limiter.acquire("k", 2, 1)
    assert slid.allowed and slid.messages_sent == 2
    assert not (await limiter.acquire("k", 2, 1)).allowed
