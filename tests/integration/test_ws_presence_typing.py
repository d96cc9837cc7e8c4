"""SPEC §4 presence (per user, not per socket) and typing indicators."""

from __future__ import annotations

import asyncio
import socket
import struct

from tests.conftest import LiveServer


async def connected(live: LiveServer, room_id: str, user):
    client = await live.connect(room_id, user)
    data = await client.expect("connected")
    return client, data


async def test_second_tab_is_not_a_second_join_and_left_comes_with_the_last(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    a, _ = await connected(live, room["id"], alice)
    b1, _ = await connected(live, room["id"], bob)
    assert await a.expect("user_joined") == {"user_id": bob.id, "username": bob.username}
    b2, data = await connected(live, room["id"], bob)
    assert sorted(u["user_id"] for u in data["online_users"]) == sorted([alice.id, bob.id])
    await a.silent(("user_joined",))
    await b1.silent(("user_joined",))  # nobody is told about their own arrival
    await b1.close()
    await a.silent(("user_left",))
    await b2.close()
    assert await a.expect("user_left") == {"user_id": bob.id, "username": bob.username}
    members = await live.http.get(f"/api/rooms/{room['id']}/members", headers=alice.headers)
    online = {m["user_id"]: m["online"] for m in members.json()}
    assert online == {alice.id: True, bob.id: False}


async def test_online_users_is_right_after_churn(live: LiveServer) -> None:
    users = [await live.user() for _ in range(4)]
    room = await live.room(users[0], *users[1:])
    clients = []
    for _ in range(3):
        for user in users:
            client, _ = await connected(live, room["id"], user)
            clients.append((user, client))
    for _user, client in clients[:-2]:
        await client.close()
    remaining = {user.id for user, _ in clients[-2:]}
    watcher = users[0]
    probe, data = await connected(live, room["id"], watcher)
    assert {u["user_id"] for u in data["online_users"]} == remaining | {watcher.id}


async def test_abrupt_network_drop_still_announces_user_left(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    a, _ = await connected(live, room["id"], alice)
    b, _ = await connected(live, room["id"], bob)
    await a.expect("user_joined")
    sock = b.ws.transport.get_extra_info("socket")
    # RST instead of a close handshake: what a dropped network or killed client looks like.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    b.ws.transport.abort()
    assert await a.expect("user_left", timeout=5) == {"user_id": bob.id, "username": bob.username}


async def test_typing_goes_to_the_others_once_and_stops_on_timeout(start_server) -> None:
    live = await start_server(TYPING_TIMEOUT=0.6)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    a, _ = await connected(live, room["id"], alice)
    a2, _ = await connected(live, room["id"], alice)
    b, _ = await connected(live, room["id"], bob)
    await a.send("typing_start")
    assert await b.expect("user_typing") == {"user_id": alice.id, "username": alice.username}
    for _ in range(3):  # repeated starts refresh the timeout without a new broadcast
        await asyncio.sleep(0.3)
        await a.send("typing_start")
    await b.silent(("user_typing", "user_stopped_typing"), within=0.2)
    await a2.silent(("user_typing",), within=0.05)
    await a.silent(("user_typing",), within=0.05)
    stopped = await b.expect("user_stopped_typing", timeout=2)
    assert stopped == {"user_id": alice.id, "username": alice.username}


async def test_typing_stop_explicit_on_send_and_on_disconnect(start_server) -> None:
    live = await start_server(TYPING_TIMEOUT=30)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    a, _ = await connected(live, room["id"], alice)
    b, _ = await connected(live, room["id"], bob)
    await a.send("typing_start")
    await b.expect("user_typing")
    await a.send("typing_stop")
    await b.expect("user_stopped_typing", timeout=1)
    await a.send("typing_stop")  # not typing any more: nothing to announce
    await b.silent(("user_stopped_typing",))

    await a.send("typing_start")
    await b.expect("user_typing")
    await a.send("send_message", content="done typing")
    assert (await b.recv())["type"] == "user_stopped_typing"
    assert (await b.recv())["type"] == "new_message"

    await a.send("typing_start")
    await b.expect("user_typing")
    await a.close()
    await b.expect("user_stopped_typing", timeout=1)
    await b.expect("user_left", timeout=1)
