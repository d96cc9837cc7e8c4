"""What only the Redis backend has: the key layout, several instances, expiry and outages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from roomcast.backends.base import Backends, PresenceMember
from roomcast.backends.redis import RedisUnavailable, check_redis, create_redis_backends
from roomcast.backends.redis.link import RedisLink
from roomcast.backends.redis.presence import RedisPresence
from roomcast.config import load_settings
from tests.contract.conftest import SECRET, flush
from tests.contract.env import OwnRedis, free_port, redis_client, redis_url

pytestmark = pytest.mark.redis


async def wait_for(predicate: Callable[[], bool], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - polling state that has no event
            await asyncio.sleep(0.02)


def collector() -> tuple[list[tuple[str, bytes]], Callable[[str, bytes], Awaitable[None]]]:
    got: list[tuple[str, bytes]] = []

    async def handler(room_id: str, payload: bytes) -> None:
        got.append((room_id, payload))

    return got, handler


async def test_publications_cross_instances_once(instances: Callable[..., Awaitable[Backends]]) -> None:
    a, b = await instances(), await instances()
    got_a, handler_a = collector()
    got_b, handler_b = collector()
    await a.pubsub.start(handler_a)
    await b.pubsub.start(handler_b)
    await a.pubsub.subscribe("r")
    await b.pubsub.subscribe("r")
    await a.pubsub.publish_many([("r", b"1"), ("r", b"2")])
    # Order holds per publisher only: b publishes once a's two have reached it.
    await wait_for(lambda: len(got_b) == 2)
    await b.pubsub.publish("r", b"3")
    await wait_for(lambda: len(got_a) == 3 and len(got_b) == 3)
    await asyncio.sleep(0.2)
    assert got_a == [("r", b"1"), ("r", b"2"), ("r", b"3")]
    assert got_b == [("r", b"1"), ("r", b"2"), ("r", b"3")]


async def test_key_layout(instances: Callable[..., Awaitable[Backends]]) -> None:
    backends = await instances()
    await backends.rate_limiter.acquire("message:u1", 10, 60)
    await backends.cache.push("room1", [(1, 1, b'{"seq":1}'), (2, 2, b'{"seq":2}')], 1, 2, 50, 600)
    await backends.presence.join("room1", PresenceMember("u1", "alice"), "c1")
    client = await redis_client(redis_url())
    try:
        assert 0 < await client.pttl("rate_limit:message:u1") <= 60_000
        # Each member is the message JSON behind its version; the position has a key of its own.
        assert await client.zrange("room_messages:{room1}", 0, -1) == [b'1|{"seq":1}', b'2|{"seq":2}']
        assert 590 <= await client.ttl("room_messages:{room1}") <= 600
        assert await client.get("room_messages_seq:{room1}") == b"2"
        assert 590 <= await client.ttl("room_messages_seq:{room1}") <= 600
        assert await client.hgetall("presence:{room1}") == {b"u1": b"alice"}
    finally:
        await client.aclose()


async def test_presence_of_a_crashed_instance_expires_once() -> None:
    url = redis_url()
    await flush(url)
    crashed, a, b = RedisLink(url), RedisLink(url), RedisLink(url)
    for link in (crashed, a, b):
        await link.connect()
    expired: list[tuple[str, str, str]] = []

    def recorder(name: str) -> Callable[[str, PresenceMember], Awaitable[None]]:
        async def on_expired(room_id: str, member: PresenceMember) -> None:
            expired.append((name, room_id, member.user_id))

        return on_expired

    doomed = RedisPresence(crashed, heartbeat=0.1, dead_after=0.5)
    survivors = [RedisPresence(link, heartbeat=0.1, dead_after=0.5) for link in (a, b)]
    try:
        await doomed.start(recorder("crashed"))
        await doomed.join("r", PresenceMember("u1", "alice"), "c1")
        await doomed.join("r", PresenceMember("u2", "bob"), "c2")
        assert await survivors[0].join("r", PresenceMember("u2", "bob"), "c3") is False
        await crashed.close()  # no more heartbeats, nothing cleaned up: a crash
        assert doomed._task is not None
        doomed._task.cancel()
        for index, presence in enumerate(survivors):
            await presence.start(recorder(f"survivor{index}"))
        await wait_for(lambda: len(expired) == 1, timeout=5)
        await asyncio.sleep(0.5)
        assert [(room, user) for _, room, user in expired] == [("r", "u1")]  # once, bob stays online
        assert await survivors[1].online("r") == [PresenceMember("u2", "bob")]
    finally:
        for presence in survivors:
            await presence.close()
        await a.close()
        await b.close()


async def test_unreachable_redis_at_start_is_a_clear_error() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(RedisUnavailable, match=r"cannot reach Redis at redis://127\.0\.0\.1"):
        await create_redis_backends(load_settings(redis_url=url, jwt_secret=SECRET))
    message = check_redis(url, timeout=1)
    assert message is not None and "cannot reach Redis" in message
    assert check_redis(redis_url()) is None


async def test_outage_serves_locally_then_recovers(
    tmp_path: Path, instances: Callable[..., Awaitable[Backends]]
) -> None:
    server = OwnRedis(tmp_path).start()
    try:
        a, b = await instances(server.url), await instances(server.url)
        got_a, handler_a = collector()
        got_b, handler_b = collector()
        reconnects: list[str] = []

        async def on_reconnect() -> None:
            reconnects.append("b")

        await a.pubsub.start(handler_a)
        await b.pubsub.start(handler_b, on_reconnect)
        await a.pubsub.subscribe("r")
        await b.pubsub.subscribe("r")
        await a.presence.start(noop)
        await a.presence.join("r", PresenceMember("u1", "alice"), "c1")
        await a.presence.join("r2", PresenceMember("u1", "alice"), "c1")  # a user connection is in many rooms
        for _ in range(2):
            assert (await a.rate_limiter.acquire("message:u1", 2, 60)).allowed

        server.stop()
        await a.pubsub.publish("r", b"during outage")
        assert got_a == [("r", b"during outage")]  # local sockets still get it
        assert (await a.health())["status"] == "degraded"
        local = await a.rate_limiter.acquire("message:u1", 2, 60)  # a local window now
        assert local.allowed and local.token.startswith("local:")
        await a.rate_limiter.release("message:u1", local.token)
        assert await a.cache.get("r") == (0, [])
        await a.cache.push("r", [(1, 1, b"m1")], 1, 1, 50, 60)
        assert await a.presence.online("r") == [PresenceMember("u1", "alice")]
        assert await a.presence.join("r", PresenceMember("u2", "bob"), "c2") is True

        OwnRedis.start(server)  # the same port, empty: as after a restart without persistence
        links = [getattr(x, "link") for x in (a, b)]  # noqa: B009
        await wait_for(lambda: all(link.up for link in links) and bool(reconnects), timeout=10)
        assert (await a.health())["status"] == "ok"
        assert sorted(await a.presence.online("r"), key=lambda m: m.user_id) == [
            PresenceMember("u1", "alice"),
            PresenceMember("u2", "bob"),
        ]
        assert await a.presence.online("r2") == [PresenceMember("u1", "alice")]
        await b.pubsub.publish("r", b"after")
        await wait_for(lambda: got_a[-1:] == [("r", b"after")])
        assert got_a.count(("r", b"during outage")) == 1
    finally:
        server.stop()


async def test_publications_missed_by_a_cut_off_instance_are_sent_when_it_returns(
    instances: Callable[..., Awaitable[Backends]],
) -> None:
    a, b = await instances(), await instances()
    got_a, handler_a = collector()
    got_b, handler_b = collector()
    await a.pubsub.start(handler_a)
    await b.pubsub.start(handler_b)
    await a.pubsub.subscribe("r")
    await b.pubsub.subscribe("r")
    link: RedisLink = getattr(a, "link")  # noqa: B009
    link.lost(ConnectionError("cut off"))  # only a loses Redis: b stays subscribed
    await a.pubsub.publish("r", b"while cut off")
    assert got_a == [("r", b"while cut off")] and got_b == []
    await wait_for(lambda: link.up and got_b == [("r", b"while cut off")], timeout=5)
    await asyncio.sleep(0.2)
    assert got_a == [("r", b"while cut off")]


async def noop(room_id: str, member: PresenceMember) -> None:
    return None
