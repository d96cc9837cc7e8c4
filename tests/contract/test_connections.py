"""ConnectionRegistry contract: at most `limit` live connections per user, atomically; then Redis only:
shared by instances, a crashed instance's entries expire, outages enforce locally and resync."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import cast

import pytest
import redis.asyncio as aioredis

from roomcast.backends.base import Backends, ConnectionRegistry
from roomcast.backends.redis import create_redis_backends
from roomcast.backends.redis.connections import RedisConnectionRegistry
from roomcast.backends.redis.link import Client, RedisLink
from roomcast.config import load_settings
from tests.contract.conftest import SECRET, flush
from tests.contract.env import OwnRedis, redis_client, redis_url

MakeBackends = Callable[..., Awaitable[Backends]]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - polling state that has no event
            await asyncio.sleep(0.05)


async def test_limit_is_enforced_per_user(make_backends: MakeBackends) -> None:
    registry = (await make_backends()).connections
    assert [await registry.acquire("u1", f"c{i}", 3) for i in range(4)] == [True, True, True, False]
    assert await registry.count("u1") == 3
    assert await registry.acquire("u1", "c0", 3) is True  # already registered: no second slot
    assert await registry.count("u1") == 3
    assert await registry.acquire("u2", "c0", 3) is True  # users are independent
    assert await registry.count("u2") == 1
    assert await registry.count("nobody") == 0
    assert await registry.acquire("u3", "c1", 0) is False
    assert await registry.count("u3") == 0


async def test_release_frees_a_slot_and_is_idempotent(make_backends: MakeBackends) -> None:
    registry = (await make_backends()).connections
    assert await registry.acquire("u1", "c1", 2) and await registry.acquire("u1", "c2", 2)
    assert not await registry.acquire("u1", "c3", 2)
    await registry.release("u1", "c1")
    await registry.release("u1", "c1")
    await registry.release("u1", "unknown")
    await registry.release("nobody", "c1")
    assert await registry.count("u1") == 1
    assert await registry.acquire("u1", "c3", 2)
    assert not await registry.acquire("u1", "c4", 2)
    for connection_id in ("c2", "c3"):
        await registry.release("u1", connection_id)
    assert await registry.count("u1") == 0


async def test_concurrent_acquires_never_exceed_the_limit(make_backends: MakeBackends) -> None:
    registry = (await make_backends()).connections
    results = await asyncio.gather(*(registry.acquire("u1", f"c{i}", 20) for i in range(50)))
    assert results.count(True) == 20
    assert await registry.count("u1") == 20


# Redis only: several instances, crashes and outages.


@pytest.fixture
async def registries() -> AsyncIterator[Callable[..., Awaitable[RedisConnectionRegistry]]]:
    """Instances on the test Redis with a short heartbeat: dead after 0.5 s of silence."""
    url = redis_url()
    await flush(url)
    built: list[tuple[RedisLink, RedisConnectionRegistry]] = []

    async def make() -> RedisConnectionRegistry:
        link = RedisLink(url)
        await link.connect()
        registry = RedisConnectionRegistry(link, heartbeat=0.1, dead_after=0.5)
        await registry.start()
        built.append((link, registry))
        return registry

    yield make
    for link, registry in reversed(built):
        # Bounded: a close stuck on Redis must fail the run, not hang it (seen once in CI).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(registry.close(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(link.close(), 5)


@pytest.fixture
async def raw() -> AsyncIterator[Client]:
    client = await redis_client(redis_url())
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_instances_share_the_count(
    registries: Callable[..., Awaitable[RedisConnectionRegistry]], raw: Client
) -> None:
    a, b = await registries(), await registries()
    results = await asyncio.gather(*(r.acquire("u1", f"c{i}", 20) for i in range(25) for r in (a, b)))
    assert results.count(True) == 20
    assert await a.count("u1") == await b.count("u1") == 20
    assert await raw.zcard("connections:{u1}") == 20
    await asyncio.sleep(1.2)  # heartbeats keep both alive past several dead_after periods
    assert await b.count("u1") == 20
    assert not await b.acquire("u1", "extra", 20)
    for i in range(25):
        await a.release("u1", f"c{i}")
    assert 0 < await b.count("u1") < 20
    assert await b.acquire("u1", "extra", 20)


@pytest.mark.redis
async def test_key_layout(registries: Callable[..., Awaitable[RedisConnectionRegistry]], raw: Client) -> None:
    a = await registries()
    instance = a._id
    assert await a.acquire("u1", "c1", 5)
    assert await raw.zrange("connections:{u1}", 0, -1) == [f"{instance}:c1".encode()]
    assert await raw.smembers(f"connection_instance:{{{instance}}}") == {b"u1|c1"}
    assert await raw.zscore("connection_instances", instance) is not None
    await a.release("u1", "c1")
    assert await raw.exists("connections:{u1}", f"connection_instance:{{{instance}}}") == 0
    assert await a.acquire("u1", "c2", 5)
    await a.close()  # a clean shutdown frees its slots at once
    assert await raw.exists("connections:{u1}", f"connection_instance:{{{instance}}}") == 0
    assert await raw.zscore("connection_instances", instance) is None


@pytest.mark.redis
async def test_a_crashed_instance_stops_counting(
    registries: Callable[..., Awaitable[RedisConnectionRegistry]], raw: Client
) -> None:
    doomed, survivor = await registries(), await registries()
    doomed_id = doomed._id
    assert await doomed.acquire("u1", "c1", 2) and await doomed.acquire("u1", "c2", 2)
    assert not await survivor.acquire("u1", "c3", 2)
    assert doomed._task is not None
    doomed._task.cancel()  # no more heartbeats, nothing cleaned up: a crash
    await doomed._link.close()
    started = asyncio.get_running_loop().time()
    await eventually(lambda: survivor.acquire("u1", "c3", 2), timeout=5)
    assert asyncio.get_running_loop().time() - started < 1.5
    assert await survivor.count("u1") == 1
    # The survivor's sweep also reclaims the crashed instance's bookkeeping.
    await eventually(lambda: _gone(raw, doomed_id), timeout=5)


async def _gone(raw: Client, instance: str) -> bool:
    return (
        not await raw.exists(f"connection_instance:{{{instance}}}")
        and await raw.zscore("connection_instances", instance) is None
    )


@pytest.mark.redis
async def test_an_instance_taken_for_dead_registers_again(
    registries: Callable[..., Awaitable[RedisConnectionRegistry]], raw: Client
) -> None:
    a, b = await registries(), await registries()
    assert await a.acquire("u1", "c1", 2) and await a.acquire("u1", "c2", 2)
    assert a._task is not None
    a._task.cancel()  # a stalls: no heartbeat until it resumes below
    with contextlib.suppress(asyncio.CancelledError):
        await a._task
    a._task = None
    await raw.zrem("connection_instances", a._id)  # ... and the others swept it
    await asyncio.sleep(0.01)  # an entry from the view's own millisecond counts as a new instance's
    assert await b.count("u1") == 0  # b no longer counts a's entries, and drops them
    await a.start()  # a resumes: its next heartbeat finds it was taken for dead
    await eventually(lambda: _counts(b, "u1", 2), timeout=5)  # and restores its entries
    assert not await b.acquire("u1", "c3", 2)


async def _counts(registry: ConnectionRegistry, user_id: str, expected: int) -> bool:
    return await registry.count(user_id) == expected


async def _instance(url: str) -> tuple[Backends, RedisConnectionRegistry]:
    backends = await create_redis_backends(load_settings(redis_url=url, jwt_secret=SECRET))
    return backends, cast(RedisConnectionRegistry, backends.connections)


async def _members(url: str, user_id: str) -> set[bytes]:
    client = aioredis.Redis.from_url(url)
    try:
        return set(cast(list[bytes], await client.zrange(f"connections:{{{user_id}}}", 0, -1)))
    except Exception:  # Redis still coming back
        return set()
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_outage_enforces_locally_then_registers_again(tmp_path: Path) -> None:
    server = OwnRedis(tmp_path).start()
    built: list[Backends] = []
    try:
        (a, ra), (b, rb) = await _instance(server.url), await _instance(server.url)
        built += [a, b]
        assert await ra.acquire("u1", "a1", 3) and await ra.acquire("u1", "a2", 3)
        assert await rb.acquire("u1", "b1", 3)
        assert not await rb.acquire("u1", "b2", 3)

        server.stop()
        assert await ra.acquire("u1", "a3", 3)  # this instance holds 2 of the 3: one more
        assert not await ra.acquire("u1", "a4", 3)
        await ra.release("u1", "a1")
        assert await ra.count("u1") == 2
        assert await rb.acquire("u1", "b2", 3)  # b counts only its own now
        assert await rb.acquire("u1", "b3", 3)
        assert (await a.health())["status"] == "degraded"

        OwnRedis.start(server)  # the same port, empty: as after a restart without persistence
        expected = {f"{ra._id}:{c}".encode() for c in ("a2", "a3")}
        expected |= {f"{rb._id}:{c}".encode() for c in ("b1", "b2", "b3")}

        async def registered_again() -> bool:
            return await _members(server.url, "u1") == expected

        await eventually(registered_again)
        assert await ra.count("u1") == 5  # over the limit after the outage: nobody is closed,
        assert not await ra.acquire("u1", "a5", 3)  # but nobody more is admitted
        for connection_id in ("b1", "b2", "b3"):
            await rb.release("u1", connection_id)
        assert await ra.acquire("u1", "a5", 3)
        assert not await rb.acquire("u1", "b4", 3)
    finally:
        for backends in built:
            with contextlib.suppress(Exception):
                await backends.close()
        server.stop()


@pytest.mark.redis
async def test_connections_closed_while_redis_hung_are_removed_when_it_answers(tmp_path: Path) -> None:
    server = OwnRedis(tmp_path).start()
    built: list[Backends] = []
    try:
        (a, ra), (b, rb) = await _instance(server.url), await _instance(server.url)
        built += [a, b]
        assert await ra.acquire("u1", "a1", 3) and await ra.acquire("u1", "a2", 3)
        assert await rb.acquire("u1", "b1", 3)
        assert server.process is not None
        server.process.send_signal(signal.SIGSTOP)  # Redis keeps its data but does not answer
        try:
            assert await ra.count("u1") == 2  # times out: from now on, local state only
            await ra.release("u1", "a1")  # never sent: Redis keeps a1 until the resync
            assert await ra.acquire("u1", "a3", 3)
            assert await ra.count("u1") == 2
        finally:
            server.process.send_signal(signal.SIGCONT)
        expected = {f"{ra._id}:a2".encode(), f"{ra._id}:a3".encode(), f"{rb._id}:b1".encode()}

        async def resynced() -> bool:
            return await _members(server.url, "u1") == expected

        await eventually(resynced)
        assert await rb.count("u1") == 3
        assert not await rb.acquire("u1", "b2", 3)
    finally:
        for backends in built:
            with contextlib.suppress(Exception):
                await backends.close()
        server.stop()
