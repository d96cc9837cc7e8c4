"""DrainBarrier contract: instances shutting down together wait for each other's in-flight
sends; one process has nobody to wait for; a peer that never finishes is waited for only
until the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from roomcast.backends.base import Backends
from roomcast.backends.redis.drain import SETTLE

MakeBackends = Callable[..., Awaitable[Backends]]


@pytest.mark.parametrize("kind", ["memory"])
async def test_one_process_waits_for_nobody(make_backends: MakeBackends) -> None:
    barrier = (await make_backends()).drain
    await barrier.begin()
    await barrier.end()
    started = time.monotonic()
    await barrier.wait_for_peers(5)
    assert time.monotonic() - started < 0.1


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["redis"])
async def test_an_instance_waits_until_its_draining_peer_is_done(make_backends: MakeBackends) -> None:
    mine, peer = (await make_backends()).drain, (await make_backends()).drain
    await asyncio.gather(mine.begin(), peer.begin())
    await mine.end()

    async def peer_finishes() -> float:
        await asyncio.sleep(0.8)  # committing its in-flight sends
        await peer.end()
        return time.monotonic()

    started = time.monotonic()
    done_at, _ = await asyncio.gather(peer_finishes(), mine.wait_for_peers(5))
    finished = time.monotonic()
    assert done_at <= finished < done_at + 0.5
    assert finished - started < 5


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["redis"])
async def test_the_wait_lasts_the_settle_time_and_is_bounded_by_the_deadline(make_backends: MakeBackends) -> None:
    mine, stuck = (await make_backends()).drain, (await make_backends()).drain
    started = time.monotonic()  # the settle time counts from `begin`
    await mine.begin()
    await mine.end()
    await mine.wait_for_peers(5)  # nobody else drains: only the settle time
    assert SETTLE <= time.monotonic() - started < SETTLE + 0.5
    await stuck.begin()  # and never ends
    started = time.monotonic()
    await mine.wait_for_peers(0.6)
    assert 0.6 <= time.monotonic() - started < 1.2
