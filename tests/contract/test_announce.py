"""`Backends.announce`: a committed batch's cache pushes and publications, on every backend; on
Redis in one round trip, whatever the number of rooms, and the cache is applied before another
instance sees a publication."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection

from roomcast.backends.base import Backends, RoomPush
from roomcast.backends.redis import RedisBackends
from tests.contract.env import redis_url
from tests.contract.test_cache import entry, shown

ROOMS = [f"room{n}" for n in range(12)]


def batch(first: int = 1) -> tuple[list[RoomPush], list[tuple[str, bytes]]]:
    """Two messages in each of twelve rooms, as one group commit leaves them."""
    pushes = [RoomPush(room, [entry(first), entry(first + 1)], first, first + 1) for room in ROOMS]
    publications = [(room, b"m%d" % seq) for room in ROOMS for seq in (first, first + 1)]
    return pushes, publications


def collector() -> tuple[list[tuple[str, bytes]], Callable[[str, bytes], Awaitable[None]]]:
    got: list[tuple[str, bytes]] = []

    async def handler(room_id: str, payload: bytes) -> None:
        got.append((room_id, payload))

    return got, handler


async def test_announce_pushes_every_room_then_publishes_in_order(
    make_backends: Callable[..., Awaitable[Backends]],
) -> None:
    backends = await make_backends()
    got, handler = collector()
    await backends.pubsub.start(handler)
    for room in ROOMS:
        await backends.pubsub.subscribe(room)
    pushes, publications = batch()
    await backends.announce(pushes, publications, 50, 60)
    assert got == publications  # this instance's handler, each once, in order
    for room in ROOMS:
        assert await backends.cache.get(room) == (2, shown(entry(1), entry(2)))
    await backends.announce([], [], 50, 60)
    assert len(got) == len(publications)


class CountingConnection(Connection):
    """A redis-py connection that counts what it sends: one call is one round trip."""

    sent = 0

    async def send_packed_command(self, command: bytes | str | list[bytes], check_health: bool = True) -> None:
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


@pytest.mark.redis
async def test_on_redis_a_batch_is_one_round_trip_and_its_cache_is_there_before_its_publication(
    instances: Callable[..., Awaitable[Backends]],
) -> None:
    sender, receiver = await instances(), await instances()
    assert isinstance(sender, RedisBackends)
    seen: list[tuple[str, int]] = []

    async def on_publication(room_id: str, payload: bytes) -> None:
        as_of, _ = await receiver.cache.get(room_id)
        seen.append((room_id, as_of))

    await receiver.pubsub.start(on_publication)
    for room in ROOMS:
        await receiver.pubsub.subscribe(room)
    # Counted on a standalone Redis; a cluster client sends the same pipeline as one trip to
    # each shard that owns some of the rooms, all in parallel.
    counting = sender.link.cluster is None
    if counting:
        await sender.link.client.aclose()
        pool = aioredis.ConnectionPool.from_url(redis_url(), connection_class=CountingConnection)
        sender.link.client = aioredis.Redis(connection_pool=pool)
        await sender.link.client.ping()  # the pool's connection is open: what follows is the batch alone

    pushes, publications = batch()
    before = CountingConnection.sent
    await sender.announce(pushes, publications, 50, 60)
    if counting:
        assert CountingConnection.sent - before == 1
    async with asyncio.timeout(5):
        while len(seen) < len(publications):  # noqa: ASYNC110 - the handler has no event
            await asyncio.sleep(0.02)
    assert all(as_of == 2 for _, as_of in seen), seen

    # A Redis that lost its scripts (a restart, SCRIPT FLUSH) costs a second trip, not the cache.
    await sender.link.client.script_flush()  # on a cluster: every primary
    pushes, publications = batch(3)
    await sender.announce(pushes, publications, 50, 60)
    for room in ROOMS:
        assert await sender.cache.get(room) == (4, shown(*(entry(n) for n in range(1, 5))))
