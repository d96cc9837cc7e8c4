"""Two roomcast processes on two ports sharing Redis and PostgreSQL (SPEC §1, §4, §5)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.contract.conftest import flush
from tests.contract.env import postgres_url, redis_client, redis_url
from tests.scaled.cluster import Instance, account, create_database, drop_database, environment, migrate, room

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

CACHE_SIZE = 5
CACHE_TTL = 120


class Cluster:
    def __init__(self, a: Instance, b: Instance, env: dict[str, str], cwd: Path) -> None:
        self.a, self.b, self.env, self.cwd = a, b, env, cwd
        self.http_a = httpx.AsyncClient(base_url=a.base_url, timeout=10)
        self.http_b = httpx.AsyncClient(base_url=b.base_url, timeout=10)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    shared_redis, admin = redis_url(), postgres_url()
    await flush(shared_redis)
    database = await create_database(admin)
    cwd = tmp_path_factory.mktemp("cluster")
    env = environment(database, shared_redis, cache_size=CACHE_SIZE, cache_ttl=CACHE_TTL)
    migrate(env, cwd)
    a, b = Instance(env, cwd), Instance(env, cwd)
    try:
        await asyncio.gather(a.start(), b.start())
        cluster = Cluster(a, b, env, cwd)
        yield cluster
        await cluster.http_a.aclose()
        await cluster.http_b.aclose()
    finally:
        a.stop()
        b.stop()
        await drop_database(database)


async def test_messages_typing_and_presence_cross_instances(cluster: Cluster) -> None:
    alice, bob = await account(cluster.http_a), await account(cluster.http_b)
    room_id = await room(cluster.http_a, alice, bob)
    on_a = await cluster.a.connect(room_id, alice.token)
    await on_a.expect("connected")
    on_b = await cluster.b.connect(room_id, bob.token)
    connected = await on_b.expect("connected")
    assert {u["user_id"] for u in connected["online_users"]} == {alice.id, bob.id}
    assert await on_a.expect("user_joined") == {"user_id": bob.id, "username": bob.username}

    await on_a.send("send_message", content="hello from a", client_id="c1")
    sent = await on_a.expect("message_sent")
    assert (await on_b.expect("new_message"))["message"] == sent["message"]
    await on_b.send("send_message", content="hello from b", client_id="c2")
    assert (await on_a.expect("new_message"))["message"]["content"] == "hello from b"
    await on_a.silent(("new_message",))  # exactly once

    await on_b.send("typing_start")
    assert await on_a.expect("user_typing") == {"user_id": bob.id, "username": bob.username}
    await on_b.send("typing_stop")
    assert await on_a.expect("user_stopped_typing") == {"user_id": bob.id, "username": bob.username}

    await on_b.close()
    assert await on_a.expect("user_left") == {"user_id": bob.id, "username": bob.username}
    await on_a.silent(("user_left", "user_joined"))
    await on_a.close()


async def test_rate_limit_is_global(cluster: Cluster) -> None:
    alice = await account(cluster.http_a)
    room_id = await room(cluster.http_a, alice)
    for index in range(10):
        url = f"/api/rooms/{room_id}/messages"
        response = await cluster.http_a.post(url, json={"content": f"m{index}"}, headers=alice.headers)
        assert response.status_code == 201, response.text
    url = f"/api/rooms/{room_id}/messages"
    refused = await cluster.http_b.post(url, json={"content": "11th"}, headers=alice.headers)
    assert refused.status_code == 429, refused.text
    assert refused.json()["rate_limit_info"]["max_messages"] == 10


async def test_cache_key_holds_the_last_cache_size_with_ttl(cluster: Cluster) -> None:
    users = [await account(cluster.http_a) for _ in range(2)]
    room_id = await room(cluster.http_a, users[0], users[1])
    for index in range(CACHE_SIZE + 3):
        http, user = (cluster.http_a, users[0]) if index % 2 else (cluster.http_b, users[1])
        url = f"/api/rooms/{room_id}/messages"
        response = await http.post(url, json={"content": f"m{index}"}, headers=user.headers)
        assert response.status_code == 201, response.text
    client = await redis_client(redis_url())
    try:
        cached = await client.zrange(f"room_messages:{{{room_id}}}", 0, -1, withscores=True)
        ttl = await client.ttl(f"room_messages:{{{room_id}}}")
    finally:
        await client.aclose()
    assert [int(score) for _, score in cached] == list(range(4, CACHE_SIZE + 4))
    assert 0 < ttl <= CACHE_TTL
    on_b = await cluster.b.connect(room_id, users[0].token)
    recent = (await on_b.expect("connected"))["recent_messages"]
    assert [m["seq"] for m in recent] == list(range(4, CACHE_SIZE + 4))
    await on_b.close()


async def test_a_killed_instance_users_leave_within_the_bound(cluster: Cluster) -> None:
    alice, carol = await account(cluster.http_a), await account(cluster.http_a)
    room_id = await room(cluster.http_a, alice, carol)
    doomed = await Instance(cluster.env, cluster.cwd).start()
    try:
        on_a = await cluster.a.connect(room_id, alice.token)
        await on_a.expect("connected")
        on_doomed = await doomed.connect(room_id, carol.token)
        await on_doomed.expect("connected")
        assert await on_a.expect("user_joined") == {"user_id": carol.id, "username": carol.username}
        doomed.kill()
        killed_at = time.monotonic()
        assert await on_a.expect("user_left", timeout=30) == {"user_id": carol.id, "username": carol.username}
        assert time.monotonic() - killed_at <= 30
        members = await cluster.http_a.get(f"/api/rooms/{room_id}/members", headers=alice.headers)
        assert {m["user_id"]: m["online"] for m in members.json()} == {alice.id: True, carol.id: False}
        await on_a.close()
    finally:
        doomed.kill()


async def test_user_connections_across_instances(cluster: Cluster) -> None:
    alice, bob = await account(cluster.http_a), await account(cluster.http_b)
    room_id = await room(cluster.http_a, alice, bob)
    phone = await cluster.a.connect_user(alice.token)  # alice on both instances
    await phone.expect("ready")
    laptop = await cluster.b.connect_user(alice.token)
    await laptop.expect("ready")
    await laptop.send("subscribe", room_id=room_id)
    await laptop.expect("subscribed")
    on_b = await cluster.b.connect(room_id, bob.token)
    await on_b.expect("connected")
    await on_b.send("send_message", content=f"hi @{alice.username}", client_id="u1")
    sent = (await on_b.expect("message_sent"))["message"]
    assert (await laptop.expect("new_message")) == {"room_id": room_id, "message": sent}
    activity = await phone.expect("room_activity")  # instance a: not subscribed, counted there
    assert (activity["room_id"], activity["unread_count"], activity["mention_count"]) == (room_id, 1, 1)
    read = await cluster.http_b.post(f"/api/rooms/{room_id}/read", json={"seq": 1}, headers=alice.headers)
    assert read.status_code == 200
    for device in (phone, laptop):
        assert await device.expect("read_marker") == {
            "room_id": room_id,
            "read_seq": 1,
            "unread_count": 0,
            "mention_count": 0,
        }
    bob_app = await cluster.a.connect_user(bob.token)
    await bob_app.expect("ready")
    removed = await cluster.http_b.delete(f"/api/rooms/{room_id}/members/{bob.id}", headers=alice.headers)
    assert removed.status_code == 204
    assert await bob_app.expect("room_removed") == {"room_id": room_id, "reason": "removed"}
    changed = await laptop.expect("member_changed")  # subscribed on instance b
    assert (changed["change"], changed["user_id"]) == ("removed", bob.id)
    await phone.close()
    await laptop.close()
    await bob_app.close()
    await on_b.close()
