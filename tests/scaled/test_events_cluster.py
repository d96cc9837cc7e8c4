"""The room's event log on two roomcast processes sharing Redis and PostgreSQL (SPEC §1, §4a):
a change made through one instance reaches the other live with the same seq, one seq without
gaps over both, and a client that was away recovers through the other instance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import WsClient
from tests.contract.conftest import flush
from tests.contract.env import postgres_url, redis_url
from tests.events_helpers import REFUSALS, View, act, answer, emoji_path
from tests.scaled.cluster import Account, Instance, account, create_database, drop_database, environment, migrate, room

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


class Cluster:
    def __init__(self, a: Instance, b: Instance) -> None:
        self.a, self.b = a, b
        self.http_a = httpx.AsyncClient(base_url=a.base_url, timeout=10)
        self.http_b = httpx.AsyncClient(base_url=b.base_url, timeout=10)


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    shared_redis, admin = redis_url(), postgres_url()
    await flush(shared_redis)
    database = await create_database(admin)
    cwd: Path = tmp_path_factory.mktemp("events-cluster")
    env = environment(database, shared_redis, cache_size=5, message_rate_limit=100000, action_rate_limit="100000/60")
    migrate(env, cwd)
    a, b = Instance(env, cwd), Instance(env, cwd)
    try:
        await asyncio.gather(a.start(), b.start())
        cluster = Cluster(a, b)
        yield cluster
        await cluster.http_a.aclose()
        await cluster.http_b.aclose()
    finally:
        a.stop()
        b.stop()
        await drop_database(database)


def messages_path(room_id: str, message_id: str = "", emoji: str | None = None) -> str:
    path = f"/api/rooms/{room_id}/messages" + (f"/{message_id}" if message_id else "")
    return path + (f"/reactions/{emoji_path(emoji)}" if emoji is not None else "")


async def post(http: httpx.AsyncClient, user: Account, room_id: str, content: str) -> dict[str, Any]:
    response = await http.post(messages_path(room_id), json={"content": content}, headers=user.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def state(http: httpx.AsyncClient, user: Account, room_id: str) -> dict[str, dict[str, Any]]:
    response = await http.get(messages_path(room_id), params={"limit": 200}, headers=user.headers)
    assert response.status_code == 200, response.text
    return {m["id"]: m for m in response.json()["messages"]}


async def last_seq(http: httpx.AsyncClient, user: Account, room_id: str) -> int:
    response = await http.get("/api/rooms", headers=user.headers)
    return int(next(r for r in response.json() if r["id"] == room_id)["last_seq"])


async def follow(client: WsClient, view: View, until: int, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while view.last_seq < until:
            frame = await client.recv(timeout)
            assert frame["type"] not in REFUSALS, frame
            view.apply(frame)


async def connect(instance: Instance, room_id: str, user: Account, since_seq: int | None = None) -> WsClient:
    token = user.token + (f"&since_seq={since_seq}" if since_seq is not None else "")
    return await instance.connect(room_id, token)


async def test_a_change_through_one_instance_is_live_on_the_other_with_the_same_seq(cluster: Cluster) -> None:
    alice, bob = await account(cluster.http_a), await account(cluster.http_b)
    room_id = await room(cluster.http_a, alice, bob)
    on_a, on_b = await connect(cluster.a, room_id, alice), await connect(cluster.b, room_id, bob)
    await on_a.expect("connected")
    await on_b.expect("connected")
    message = await act(on_a, None, "send_message", content="hello across")
    assert (await on_b.expect("new_message"))["message"] == message

    edited = await act(on_a, None, "edit_message", message_id=message["id"], content="edited on a")
    there = await on_b.expect("message_updated")
    assert there["seq"] == edited["seq"] == 2 and there["change"] == "edited"
    assert there["message"] == edited["message"] and there.get("client_id") is None

    reacted = await act(on_b, None, "add_reaction", message_id=message["id"], emoji="👍")
    here = await on_a.expect("message_updated")
    assert here["seq"] == reacted["seq"] == 3 and here["message"] == reacted["message"]
    assert here["actor"] == {"user_id": bob.id, "username": bob.username}

    # a no-op reaction through b logs nothing: the delete is only +1
    await on_b.send("remove_reaction", message_id=message["id"], emoji="🎉", client_id="noop")
    kind, data = await answer(on_b, "message_updated")
    assert kind == "message_updated" and data["seq"] is None, (kind, data)
    await on_a.silent(("message_updated",))
    response = await cluster.http_b.delete(messages_path(room_id, message["id"]), headers=alice.headers)
    assert response.status_code == 204
    for client in (on_a, on_b):
        data = await client.expect("message_updated")
        assert data["seq"] == 4 and data["change"] == "deleted" and data["message"]["deleted"] is True
    nxt = await post(cluster.http_b, bob, room_id, "next")
    assert nxt["seq"] == 5 and (await on_a.expect("new_message"))["message"]["seq"] == 5
    # a fresh connect on either instance sees the newest versions (the shared cache)
    for instance in (cluster.a, cluster.b):
        fresh = await connect(instance, room_id, alice)
        recent = {m["id"]: m for m in (await fresh.expect("connected"))["recent_messages"]}
        assert recent == await state(cluster.http_a, alice, room_id)
        await fresh.close()
    for client in (on_a, on_b):
        await client.close()


async def test_seq_is_gap_free_over_both_instances(cluster: Cluster) -> None:
    users = [await account(cluster.http_a) for _ in range(4)]
    room_id = await room(cluster.http_a, users[0], *users[1:])
    instances = (cluster.a, cluster.b)
    clients = [await connect(instances[n % 2], room_id, user) for n, user in enumerate(users)]
    for client in clients:
        await client.expect("connected")
    observer = await connect(cluster.b, room_id, users[0])
    await observer.expect("connected")
    base = [await post(cluster.http_a, user, room_id, f"base {n}") for n, user in enumerate(users)]
    rounds = 5

    async def work(index: int) -> None:
        client = clients[index]
        for r in range(rounds):
            await client.send("send_message", content=f"{index}:{r}")
            await client.send("edit_message", message_id=base[index]["id"], content=f"base {index} v{r}")
            target = base[(index + 1 + r) % len(base)]
            await client.send("add_reaction", message_id=target["id"], emoji=f"e{index}-{r}")

    await asyncio.gather(*(work(i) for i in range(len(clients))))
    total = len(base) + len(clients) * rounds * 3
    seen: list[int] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < total:
                frame = await observer.recv(15)
                assert frame["type"] not in REFUSALS, frame
                if frame["type"] == "new_message":
                    seen.append(frame["data"]["message"]["seq"])
                elif frame["type"] == "message_updated":
                    seen.append(frame["data"]["seq"])
    except TimeoutError:
        missing = sorted(set(range(1, total + 1)) - set(seen))
        newest = await last_seq(cluster.http_a, users[0], room_id)
        raise AssertionError(f"{len(seen)} of {total} events; missing {missing}; room last_seq {newest}") from None
    assert seen == list(range(1, total + 1))
    for client in [*clients, observer]:
        await client.close()


async def test_a_client_away_recovers_through_the_other_instance(cluster: Cluster) -> None:
    alice, bob, carol = [await account(cluster.http_a) for _ in range(3)]
    room_id = await room(cluster.http_a, alice, bob, carol)
    on_a = await connect(cluster.a, room_id, alice)
    view_a = View()
    view_a.apply_connected(await on_a.expect("connected"))
    on_b = await connect(cluster.b, room_id, bob)
    view_b = View()
    view_b.apply_connected(await on_b.expect("connected"))
    old = []
    for n in range(6):  # old n is sent by (alice, bob, carol)[n % 3], through both instances
        old.append(await post((cluster.http_a, cluster.http_b)[n % 2], (alice, bob, carol)[n % 3], room_id, f"old {n}"))
    await act(on_b, view_b, "add_reaction", message_id=old[0]["id"], emoji="🔥")
    await act(on_a, view_a, "edit_message", message_id=old[0]["id"], content="old 0 edited online")
    newest = await last_seq(cluster.http_a, alice, room_id)
    await follow(on_a, view_a, newest)
    await follow(on_b, view_b, newest)
    assert view_a.messages == view_b.messages
    since = view_b.last_seq
    await on_b.close()

    # on instance a (socket and REST) and instance b (REST) while bob is away
    fresh = await act(on_a, view_a, "send_message", content="new 0")
    await act(on_a, view_a, "edit_message", message_id=old[0]["id"], content="old 0 edited offline")
    await act(on_a, view_a, "edit_message", message_id=fresh["id"], content="new 0 edited")
    await act(on_a, view_a, "add_reaction", message_id=old[0]["id"], emoji="🔥")
    response = await cluster.http_b.delete(messages_path(room_id, old[1]["id"]), headers=bob.headers)
    assert response.status_code == 204
    path = messages_path(room_id, old[2]["id"], "👍")
    assert (await cluster.http_b.put(path, headers=carol.headers)).status_code == 204
    assert (await cluster.http_a.put(path, headers=bob.headers)).status_code == 204
    response = await cluster.http_b.patch(
        messages_path(room_id, old[5]["id"]), json={"content": "carol's edit"}, headers=carol.headers
    )
    assert response.status_code == 200, response.text
    await post(cluster.http_b, carol, room_id, "new 1")
    await follow(on_a, view_a, await last_seq(cluster.http_a, alice, room_id))

    back = await connect(cluster.a, room_id, bob, since_seq=since)  # back through the other instance
    data = await back.expect("connected")
    assert data["recovered"] is True and data["last_seq"] == view_a.last_seq
    assert {c["message"]["id"] for c in data["changes"]} == {old[i]["id"] for i in (0, 1, 2, 5)}
    view_b.apply_connected(data)
    assert view_b.messages == view_a.messages == await state(cluster.http_b, bob, room_id)
    for client in (on_a, back):
        await client.close()
