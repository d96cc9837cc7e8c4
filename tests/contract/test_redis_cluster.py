"""The Redis backends on a three-node Redis Cluster that this module starts: rooms spread over
every shard, sharded pub/sub between instances, one slot per script, and a node that dies and
comes back empty (the instances serve locally meanwhile, then register again and catch up)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster

from roomcast.backends.base import Backends, PresenceMember
from roomcast.backends.redis import RedisBackends, create_redis_backends
from roomcast.backends.redis.keys import room_cache, room_channel
from roomcast.config import load_settings
from tests.contract.conftest import SECRET
from tests.contract.env import OwnRedisCluster, redis_client
from tests.contract.test_announce import collector
from tests.contract.test_redis_backend import noop, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis_cluster(tmp_path: Path) -> AsyncIterator[OwnRedisCluster]:
    cluster = OwnRedisCluster(tmp_path).start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def shard_rooms(url: str, per_node: int = 2) -> dict[str, list[str]]:
    """Room ids chosen so that every node owns `per_node` of them: node name → rooms."""
    client = await redis_client(url)
    assert isinstance(client, RedisCluster)
    try:
        rooms: dict[str, list[str]] = {node.name: [] for node in client.get_primaries()}
        candidate = 0
        while any(len(found) < per_node for found in rooms.values()):
            room = f"room{candidate}"
            node = client.get_node_from_key(room_channel(room))
            assert node is not None and node.name == client.get_node_from_key(room_cache(room)).name
            if len(rooms[node.name]) < per_node:
                rooms[node.name].append(room)
            candidate += 1
        return rooms
    finally:
        await client.aclose()


async def instance(url: str, built: list[Backends]) -> RedisBackends:
    backends = await create_redis_backends(load_settings(redis_url=url, jwt_secret=SECRET))
    assert isinstance(backends, RedisBackends)
    built.append(backends)
    return backends


async def test_every_shard_carries_its_rooms_between_instances(redis_cluster: OwnRedisCluster) -> None:
    built: list[Backends] = []
    try:
        a, b = await instance(redis_cluster.url, built), await instance(redis_cluster.url, built)
        assert a.link.cluster is not None and len(a.link.cluster.get_primaries()) == 3
        rooms = [room for found in (await shard_rooms(redis_cluster.url)).values() for room in found]
        got, handler = collector()
        await a.pubsub.start(noop_handler)
        await b.pubsub.start(handler)
        for room in rooms:
            await a.pubsub.subscribe(room)
            await b.pubsub.subscribe(room)
        publications = [(room, f"{room}:{n}".encode()) for n in range(3) for room in rooms]
        await a.announce([], publications, 50, 60)
        await wait_for(lambda: len(got) == len(publications))
        for room in rooms:  # in order, room by room
            assert [p for r, p in got if r == room] == [p for r, p in publications if r == room]
        # Scripts on every shard: rate limit, presence, connection registry, cache, drain barrier.
        await a.presence.start(noop)
        for index, room in enumerate(rooms):
            assert await a.presence.join(room, PresenceMember(f"u{index}", f"user{index}"), "c1")
            assert await b.presence.online(room) == [PresenceMember(f"u{index}", f"user{index}")]
        assert (await a.rate_limiter.acquire("message:u1", 5, 60)).allowed
        assert await a.connections.acquire("u1", "c1", 2) and await b.connections.acquire("u1", "c2", 2)
        assert not await b.connections.acquire("u1", "c3", 2)
        health = await a.health()
        assert health["status"] == "ok" and health["cluster_nodes"] == 3
    finally:
        for backends in reversed(built):
            await backends.close()


async def test_a_node_that_restarts_empty_is_an_outage_the_instances_recover_from(
    redis_cluster: OwnRedisCluster,
) -> None:
    built: list[Backends] = []
    try:
        a, b = await instance(redis_cluster.url, built), await instance(redis_cluster.url, built)
        by_node = await shard_rooms(redis_cluster.url, per_node=1)
        rooms = [found[0] for found in by_node.values()]
        victim = redis_cluster.nodes[1]
        lost_room = by_node[f"127.0.0.1:{victim.port}"][0]
        got_b, handler_b = collector()
        reconnects: list[str] = []

        async def on_reconnect() -> None:
            reconnects.append("b")

        await a.pubsub.start(noop_handler)
        await b.pubsub.start(handler_b, on_reconnect)
        await a.presence.start(noop)
        for room in rooms:
            await a.pubsub.subscribe(room)
            await b.pubsub.subscribe(room)
            await a.presence.join(room, PresenceMember("u1", "alice"), "c1")

        victim.stop()
        await wait_for(lambda: not a.link.up and not b.link.up, timeout=10)
        assert (await a.health())["status"] == "degraded"
        # Meanwhile each instance serves its own sockets from local state.
        assert await a.presence.online(lost_room) == [PresenceMember("u1", "alice")]
        await a.announce([], [(room, b"during") for room in rooms], 50, 60)

        victim.start()  # the same port and cluster configuration, no data: a restart
        redis_cluster.wait_healthy()
        await wait_for(lambda: a.link.up and b.link.up and bool(reconnects), timeout=20)
        assert (await a.health())["status"] == "ok"
        # What was published during the outage reaches b once, after its catch-up.
        await wait_for(lambda: sorted(p for _, p in got_b) == [b"during"] * len(rooms), timeout=10)
        # The restarted shard lost a's presence; a registered it again.
        assert await b.presence.online(lost_room) == [PresenceMember("u1", "alice")]
        await a.announce([], [(room, b"after") for room in rooms], 50, 60)
        await wait_for(lambda: [p for _, p in got_b].count(b"after") == len(rooms), timeout=10)
        await asyncio.sleep(0.2)
        assert len(got_b) == 2 * len(rooms)
    finally:
        for backends in reversed(built):
            await backends.close()


async def noop_handler(room_id: str, payload: bytes) -> None:
    return None
