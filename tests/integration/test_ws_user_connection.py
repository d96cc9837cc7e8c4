"""SPEC §4b: one user connection (`/ws`) for all of a user's rooms, next to the room sockets."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import pytest

from roomcast.config import Settings
from tests.conftest import LiveServer, User, WsClient, reset_database
from tests.events_helpers import UNLIMITED, Rest, View, strip
from tests.integration.test_ws_lifecycle import closed_code


async def ready(live: LiveServer, user: User) -> tuple[WsClient, dict]:
    client = await live.connect_user(user)
    return client, await client.expect("ready")


async def subscribed(client: WsClient, room_id: str, **extra) -> dict:
    await client.send("subscribe", room_id=room_id, **extra)
    data = await client.expect("subscribed")
    assert data["room_id"] == room_id
    return data


async def test_ready_lists_the_rooms_as_the_rest_api_does(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    shared = await live.room(alice, bob, name="shared")
    await live.room(bob, name="bob alone", is_private=True)
    for text in ("one", "two"):
        assert (await live.post(bob, shared["id"], text)).status_code == 201
    client, data = await ready(live, alice)
    assert data["user"]["id"] == alice.id and data["user"]["username"] == alice.username
    assert "password_hash" not in data["user"]
    listed = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert data["rooms"] == listed
    (room,) = data["rooms"]
    assert room["id"] == shared["id"] and room["unread_count"] == 2 and room["last_seq"] == 2
    assert room["last_message"]["content"] == "two"
    await client.close()


async def test_a_user_connection_and_a_room_socket_chat_in_one_room(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    room_id = room["id"]
    a, _ = await ready(live, alice)
    greeting = await subscribed(a, room_id)
    assert set(greeting) >= {"room_id", "user", "online_users", "recent_messages", "last_seq"}
    assert greeting["user"] == {"id": alice.id, "username": alice.username}
    assert [u["user_id"] for u in greeting["online_users"]] == [alice.id]
    b = await live.connect(room_id, bob)
    online = (await b.expect("connected"))["online_users"]
    assert sorted(u["user_id"] for u in online) == sorted([alice.id, bob.id])
    assert await a.expect("user_joined") == {"room_id": room_id, "user_id": bob.id, "username": bob.username}

    await a.send("send_message", room_id=room_id, content="from the user connection", client_id="u-1")
    sent = await a.expect("message_sent")
    assert sent["room_id"] == room_id and sent["client_id"] == "u-1"
    got = await b.expect("new_message")
    assert set(got) == {"message"}  # the room socket's frames are the seed's, unchanged
    assert got["message"]["id"] == sent["message"]["id"]

    await b.send("send_message", content="from the room socket", client_id="r-1")
    await b.expect("message_sent")
    heard = await a.expect("new_message")
    assert heard["room_id"] == room_id and heard["message"]["content"] == "from the room socket"
    assert heard["message"]["seq"] == 2

    await a.send("typing_start", room_id=room_id)
    assert await b.expect("user_typing") == {"user_id": alice.id, "username": alice.username}
    await b.send("typing_start")
    assert await a.expect("user_typing") == {"room_id": room_id, "user_id": bob.id, "username": bob.username}

    await a.send("edit_message", room_id=room_id, message_id=sent["message"]["id"], content="edited", client_id="e-1")
    mine = await a.expect("message_updated")
    assert mine["room_id"] == room_id and mine["client_id"] == "e-1" and mine["message"]["content"] == "edited"
    theirs = await b.expect("message_updated")
    assert "room_id" not in theirs and "client_id" not in theirs and theirs["seq"] == mine["seq"] == 3
    await a.close()
    assert (await b.expect("user_left"))["user_id"] == alice.id
    await b.close()


async def test_one_socket_follows_many_rooms_each_in_seq_order(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    rooms = [(await live.room(alice, bob, name=f"room {i}"))["id"] for i in range(3)]
    a, _ = await ready(live, alice)
    for room_id in rooms:
        await subscribed(a, room_id)
    for n in range(3):  # 9 sends: within bob's MESSAGE_RATE_LIMIT
        for room_id in rooms:
            assert (await live.post(bob, room_id, f"{room_id[:4]} {n}")).status_code == 201
    seen: dict[str, list[int]] = {room_id: [] for room_id in rooms}
    while sum(map(len, seen.values())) < 9:
        data = await a.expect("new_message")
        assert data["message"]["room_id"] == data["room_id"]
        seen[data["room_id"]].append(data["message"]["seq"])
    assert all(seqs == [1, 2, 3] for seqs in seen.values()), seen
    await a.close()


async def test_room_frames_need_a_room_and_a_subscription(live: LiveServer) -> None:
    alice = await live.user()
    room_id = (await live.room(alice))["id"]
    a, _ = await ready(live, alice)
    await a.send("send_message", content="which room?")
    assert (await a.expect("error"))["error"] == "room_id required"
    await a.send("send_message", room_id=room_id, content="not subscribed yet", client_id="x")
    refused = await a.expect("error")
    assert refused == {"room_id": room_id, "error": "not subscribed", "detail": "subscribe to the room first"}
    await a.send("typing_start", room_id=room_id)
    assert (await a.expect("error"))["error"] == "not subscribed"
    await a.send("send_message", room_id="../../etc", content="x")
    assert (await a.expect("error"))["error"] == "bad data"
    await a.send("ping")
    await a.expect("pong")  # the connection stays open through all of it
    page = (await live.http.get(f"/api/rooms/{room_id}/messages", headers=alice.headers)).json()
    assert page["messages"] == []
    await a.close()


async def test_subscribe_refusals(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    private = await live.room(bob, name="bob's", is_private=True)
    public = await live.room(bob, name="open to all")
    mine = await live.room(alice, name="alice's")
    a, _ = await ready(live, alice)
    for room_id in (private["id"], public["id"], str(uuid.uuid4())):
        await a.send("subscribe", room_id=room_id)
        assert await a.expect("subscribe_error") == {"room_id": room_id, "error": "not a participant"}
    await a.send("subscribe", room_id="not-a-room")
    assert (await a.expect("error"))["error"] == "bad data"
    await a.send("subscribe")
    assert (await a.expect("error"))["error"] == "bad data"
    for bad in (-1, "3", True, 2**53):
        await a.send("subscribe", room_id=mine["id"], since_seq=bad)
        assert (await a.expect("error"))["error"] == "bad data", bad
    await subscribed(a, mine["id"])
    await a.send("subscribe", room_id=mine["id"].upper())  # the same room, written otherwise
    assert await a.expect("subscribe_error") == {"room_id": mine["id"], "error": "already subscribed"}
    b = await live.connect(public["id"], bob)
    await b.expect("connected")
    await b.send("subscribe", room_id=public["id"])
    assert (await b.expect("error"))["error"] == "not a user connection"
    await a.close()
    await b.close()


async def test_max_subscriptions(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(max_subscriptions=2)
    await reset_database(settings.database_url)
    live = await LiveServer(settings).start()
    try:
        alice = await live.user()
        rooms = [(await live.room(alice, name=f"r{i}"))["id"] for i in range(3)]
        a, _ = await ready(live, alice)
        await subscribed(a, rooms[0])
        await subscribed(a, rooms[1])
        await a.send("subscribe", room_id=rooms[2])
        assert await a.expect("subscribe_error") == {"room_id": rooms[2], "error": "too many subscriptions"}
        await a.send("unsubscribe", room_id=rooms[0])
        assert await a.expect("unsubscribed") == {"room_id": rooms[0]}
        await subscribed(a, rooms[2])
        await a.close()
    finally:
        await live.stop()


async def test_unsubscribe_ends_the_rooms_frames_not_the_presence(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    b = await live.connect(room_id, bob)
    await b.expect("connected")
    a, _ = await ready(live, alice)
    assert (await b.expect("user_joined"))["user_id"] == alice.id
    await subscribed(a, room_id)
    await a.send("unsubscribe", room_id=room_id)
    assert await a.expect("unsubscribed") == {"room_id": room_id}
    await b.silent(("user_left",))  # alice still has the app open
    await b.send("send_message", content="nobody on that socket hears this")
    await b.expect("message_sent")
    await a.silent(("new_message",))
    await a.send("unsubscribe", room_id=room_id)  # twice is fine
    assert await a.expect("unsubscribed") == {"room_id": room_id}
    await a.send("send_message", room_id=room_id, content="after unsubscribing")
    assert (await a.expect("error"))["error"] == "not subscribed"
    await a.close()
    assert (await b.expect("user_left"))["user_id"] == alice.id
    await b.close()


async def test_a_user_with_the_app_open_is_online_in_all_their_rooms(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    general = (await live.room(alice, bob, name="general"))["id"]
    other = (await live.room(alice, bob, name="other"))["id"]
    b = await live.connect(general, bob)
    await b.expect("connected")
    phone, _ = await ready(live, alice)
    laptop, _ = await ready(live, alice)
    await subscribed(laptop, other)  # reading another room
    assert (await b.expect("user_joined"))["user_id"] == alice.id
    await b.silent(("user_joined",))  # once per person, not per device
    members = (await live.http.get(f"/api/rooms/{general}/members", headers=bob.headers)).json()
    assert {m["user_id"]: m["online"] for m in members} == {alice.id: True, bob.id: True}
    c = await live.connect(general, bob)
    online = (await c.expect("connected"))["online_users"]
    assert sorted(u["user_id"] for u in online) == sorted([alice.id, bob.id])
    await phone.close()
    await b.silent(("user_left",))
    await laptop.close()
    assert (await b.expect("user_left"))["user_id"] == alice.id
    await b.close()
    await c.close()


async def test_subscribe_since_seq_recovers_messages_and_changes(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    first = (await live.post(bob, room_id, "first")).json()
    for text in ("second", "third"):
        await live.post(bob, room_id, text)
    edited = await live.http.patch(
        f"/api/rooms/{room_id}/messages/{first['id']}", json={"content": "first, edited"}, headers=bob.headers
    )
    assert edited.status_code == 200
    a, _ = await ready(live, alice)
    data = await subscribed(a, room_id, since_seq=1)
    assert [m["seq"] for m in data["recent_messages"]] == [2, 3]
    assert [(c["seq"], c["message"]["content"]) for c in data["changes"]] == [(4, "first, edited")]
    assert data["recovered"] is True and data["last_seq"] == 4
    await live.post(bob, room_id, "live again")
    assert (await a.expect("new_message"))["message"]["seq"] == 5
    await a.close()


async def test_removal_ends_the_subscription_on_every_device(live: LiveServer) -> None:
    owner, bob = await live.user(), await live.user()
    room_id = (await live.room(owner, bob))["id"]
    phone, _ = await ready(live, bob)
    laptop, _ = await ready(live, bob)
    await subscribed(phone, room_id)
    await subscribed(laptop, room_id)
    tablet, _ = await ready(live, bob)  # follows no room: hears of it all the same
    removed = await live.http.delete(f"/api/rooms/{room_id}/members/{bob.id}", headers=owner.headers)
    assert removed.status_code == 204
    for device in (phone, laptop, tablet):
        assert await device.expect("room_removed") == {"room_id": room_id, "reason": "removed"}
        await device.silent(("room_removed",))  # once
    await phone.send("send_message", room_id=room_id, content="still here?")
    assert (await phone.expect("error"))["error"] == "not subscribed"
    await phone.send("subscribe", room_id=room_id)
    assert (await phone.expect("subscribe_error"))["error"] == "not a participant"
    await live.post(owner, room_id, "after bob left")
    await laptop.silent(("new_message",))
    page = (await live.http.get(f"/api/rooms/{room_id}/messages", headers=owner.headers)).json()
    assert [m["content"] for m in page["messages"]] == ["after bob left"]
    await laptop.send("ping")
    await laptop.expect("pong")  # the socket itself lives on
    for device in (phone, laptop, tablet):
        await device.close()


async def test_leaving_is_told_as_left(live: LiveServer) -> None:
    owner, bob = await live.user(), await live.user()
    room_id = (await live.room(owner, bob))["id"]
    b, _ = await ready(live, bob)
    await subscribed(b, room_id)
    left = await live.http.post(f"/api/rooms/{room_id}/leave", headers=bob.headers)
    assert left.status_code == 204
    assert await b.expect("room_removed") == {"room_id": room_id, "reason": "left"}
    await b.close()


async def test_read_state_follows_on_every_device(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    other = (await live.room(bob, name="not alice's", is_private=True))["id"]
    for text in ("a", f"hi @{alice.username}", "c", f"again @{alice.username}"):
        await live.post(bob, room_id, text)
    await live.services.notifier.flush()
    phone, data = await ready(live, alice)
    (listed,) = data["rooms"]
    assert (listed["read_seq"], listed["unread_count"], listed["mention_count"]) == (0, 4, 2)
    laptop, _ = await ready(live, alice)
    await phone.send("mark_read", room_id=room_id, seq=2)
    marker = {"room_id": room_id, "read_seq": 2, "unread_count": 2, "mention_count": 1}
    for device in (phone, laptop):
        assert await device.expect("read_marker") == marker
    (room,) = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert (room["read_seq"], room["unread_count"], room["mention_count"]) == (2, 2, 1)
    read = await live.http.post(f"/api/rooms/{room_id}/read", json={"seq": 4}, headers=alice.headers)
    assert read.json() == {"read_seq": 4, "unread_count": 0, "mention_count": 0}
    for device in (phone, laptop):
        assert (await device.expect("read_marker"))["read_seq"] == 4
    await phone.send("mark_read", room_id=room_id, seq=1)  # never backwards
    assert (await laptop.expect("read_marker"))["read_seq"] == 4
    a = phone
    await a.send("mark_read", room_id=other, seq=1)
    refused = await a.expect("error")
    assert refused["room_id"] == other
    await a.send("mark_read", room_id=room_id, seq="3")
    assert (await a.expect("error"))["error"] == "bad data"
    await a.close()
    await laptop.close()


async def test_a_deleted_mention_is_not_counted(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    mention = (await live.post(bob, room_id, f"@{alice.username} look")).json()
    await live.post(bob, room_id, "plain")
    await live.services.notifier.flush()
    (room,) = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert (room["unread_count"], room["mention_count"]) == (2, 1)
    gone = await live.http.delete(f"/api/rooms/{room_id}/messages/{mention['id']}", headers=bob.headers)
    assert gone.status_code == 204
    (room,) = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert (room["unread_count"], room["mention_count"]) == (1, 0)


async def test_an_edit_that_adds_a_mention_counts_it(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    message = (await live.post(bob, room_id, "no one named")).json()
    edited = await live.http.patch(
        f"/api/rooms/{room_id}/messages/{message['id']}",
        json={"content": f"now @{alice.username}"},
        headers=bob.headers,
    )
    assert edited.status_code == 200
    await live.services.notifier.flush()
    (room,) = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert room["mention_count"] == 1


async def test_rooms_are_added_live(live: LiveServer) -> None:
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    b, _ = await ready(live, bob)
    c, _ = await ready(live, carol)
    created = await live.room(alice, bob, name="with bob")
    added = await b.expect("room_added")
    assert added["room"]["id"] == created["id"] and added["room"]["unread_count"] == 0
    assert set(added["room"]) >= {"last_seq", "read_seq", "mention_count", "last_message", "role"}
    public = await live.room(alice, name="open")
    await live.post(alice, public["id"], "before carol came")
    joined = await live.http.post(f"/api/rooms/{public['id']}/join", headers=carol.headers)
    assert joined.status_code == 200
    room = (await c.expect("room_added"))["room"]
    assert room["id"] == public["id"] and room["read_seq"] == room["last_seq"] == 1 and room["unread_count"] == 0
    more = await live.http.post(
        f"/api/rooms/{created['id']}/members", json={"username": carol.username}, headers=alice.headers
    )
    assert more.status_code == 201
    assert (await c.expect("room_added"))["room"]["id"] == created["id"]
    await b.silent(("room_added",))
    await b.close()
    await c.close()


async def test_user_connection_admission_auth_and_logout(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    bad = await live.connect_user(alice, token="not-a-token")
    assert await closed_code(bad) == (1008, "invalid token")
    a, _ = await ready(live, alice)
    await a.send("auth", token=bob.token)
    assert (await a.expect("error"))["error"] == "invalid token"
    issued = await live.services.sessions.do_start(uuid.UUID(alice.id), alice.username)
    await a.send("auth", token=issued.access_token)
    await a.send("ping")
    await a.expect("pong")
    b = await live.connect_user(alice, token=issued.access_token)
    await b.expect("ready")
    # Logging out the session of the new token ends both sockets now using it.
    out = await live.http.post("/api/auth/logout", json={"refresh_token": issued.refresh_token})
    assert out.status_code == 204
    for client in (a, b):
        assert await closed_code(client) == (1008, "logged out")


async def test_user_connection_expires_with_its_token(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(access_token_ttl=1)
    await reset_database(settings.database_url)
    live = await LiveServer(settings).start()
    try:
        alice = await live.user()
        a, _ = await ready(live, alice)
        assert await closed_code(a, timeout=5) == (1008, "token expired")
    finally:
        await live.stop()


@pytest.mark.parametrize("implementation", ["websockets-sansio"])
async def test_user_connection_over_plain_asgi(make_settings: Callable[..., Settings], implementation: str) -> None:
    settings = make_settings()
    await reset_database(settings.database_url)
    live = await LiveServer(settings, server_options={"ws": implementation}).start()
    try:
        alice, bob = await live.user(), await live.user()
        room_id = (await live.room(alice, bob))["id"]
        a, _ = await ready(live, alice)
        await subscribed(a, room_id)
        await live.post(bob, room_id, "over ASGI")
        assert (await a.expect("new_message"))["room_id"] == room_id
        await a.close()
    finally:
        await live.stop()


async def test_many_subscribes_in_one_burst_are_answered_in_order(live: LiveServer) -> None:
    """A reconnect re-subscribes every room at once: more than the other frames' burst of 40."""
    alice = await live.user()
    rooms = [(await live.room(alice, name=f"burst {i}"))["id"] for i in range(60)]
    a, _ = await ready(live, alice)
    for room_id in rooms:  # sent back to back, none waiting for its answer
        await a.send("subscribe", room_id=room_id)
    answered = [(await a.expect("subscribed"))["room_id"] for _ in rooms]
    assert answered == rooms
    await a.close()


async def test_a_flood_of_subscribes_and_reads_is_refused_by_room_and_changes_nothing(
    make_settings: Callable[..., Settings],
) -> None:
    """Past their budgets (subscribes: MAX_SUBSCRIPTIONS at once, then 20 a second; other
    frames: 40, then 20 a second), each refusal names its room, so that a client knows what to
    retry; nothing is subscribed or read for it, and the connection stays usable."""
    settings = make_settings(max_subscriptions=45)
    await reset_database(settings.database_url)
    live = await LiveServer(settings).start()
    try:
        alice, bob = await live.user(), await live.user()
        room_id = (await live.room(bob, alice))["id"]
        assert (await live.post(bob, room_id, "unread")).status_code == 201
        a, _ = await ready(live, alice)
        for _ in range(100):
            await a.send("subscribe", room_id=room_id)
            await a.send("mark_read", room_id=room_id, seq=1)
        refused: dict[str, int] = {"subscribe_error": 0, "error": 0}
        answers: dict[str, int] = {}
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):
                while True:
                    frame = await a.recv(3)
                    data = frame["data"]
                    if frame["type"] in refused and data["error"] == "too many frames":
                        assert data["room_id"] == room_id
                        refused[frame["type"]] += 1
                    elif frame["type"] == "subscribe_error":
                        answers[data["error"]] = answers.get(data["error"], 0) + 1
                    else:
                        answers[frame["type"]] = answers.get(frame["type"], 0) + 1
        assert refused["subscribe_error"] > 0 and refused["error"] > 0
        assert answers["subscribed"] == 1
        assert answers["already subscribed"] == 100 - 1 - refused["subscribe_error"]
        await asyncio.sleep(2)  # the budgets refill
        await a.send("ping")
        await a.expect("pong")
        await a.close()
    finally:
        await live.stop()


async def activities(client: WsClient, within: float) -> list[dict]:
    """Every room_activity that arrives within `within` seconds."""
    seen = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                frame = await client.recv(within)
                if frame["type"] == "room_activity":
                    seen.append(frame["data"])
    return seen


async def listed(live: LiveServer, user: User, room_id: str) -> dict:
    await live.services.notifier.flush()
    rooms = (await live.http.get("/api/rooms", headers=user.headers)).json()
    return next(room for room in rooms if room["id"] == room_id)


async def test_room_activity_without_subscribing_coalesced_and_true_to_the_rest_api(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    a, _ = await ready(live, alice)
    first = (await live.post(bob, room_id, "one")).json()
    activity = await a.expect("room_activity")
    assert activity == {
        "room_id": room_id,
        "last_seq": 1,
        "read_seq": 0,
        "unread_count": 1,
        "mention_count": 0,
        "last_message": first,
    }
    for text in ("two", f"three @{alice.username}", "four"):
        await live.post(bob, room_id, text)
    coalesced = await activities(a, 1.6)
    assert len(coalesced) == 1, coalesced  # at most one a second, the last state winning
    assert (coalesced[0]["last_seq"], coalesced[0]["unread_count"], coalesced[0]["mention_count"]) == (4, 4, 1)
    assert coalesced[0]["last_message"]["content"] == "four"
    room = await listed(live, alice, room_id)
    assert (room["unread_count"], room["mention_count"]) == (4, 1)
    await a.close()


async def test_room_activity_follows_deletes_and_the_users_own_messages(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    mention = (await live.post(bob, room_id, f"@{alice.username} before")).json()
    await live.post(bob, room_id, "plain")
    await live.services.notifier.flush()
    a, _ = await ready(live, alice)
    gone = await live.http.delete(f"/api/rooms/{room_id}/messages/{mention['id']}", headers=bob.headers)
    assert gone.status_code == 204
    activity = await a.expect("room_activity")
    assert (activity["unread_count"], activity["mention_count"], activity["last_seq"]) == (1, 0, 3)
    room = await listed(live, alice, room_id)
    assert (room["unread_count"], room["mention_count"]) == (1, 0)
    await asyncio.sleep(1.1)
    await live.post(alice, room_id, "my own, from another device")
    activity = await a.expect("room_activity")
    assert (activity["read_seq"], activity["unread_count"], activity["mention_count"]) == (4, 0, 0)
    room = await listed(live, alice, room_id)
    assert (room["read_seq"], room["unread_count"]) == (4, 0)
    await a.close()


async def test_room_activity_starts_and_ends_with_membership(live: LiveServer) -> None:
    owner, bob = await live.user(), await live.user()
    b, _ = await ready(live, bob)
    room_id = (await live.room(owner, name="later"))["id"]
    body = {"username": bob.username}
    added = await live.http.post(f"/api/rooms/{room_id}/members", json=body, headers=owner.headers)
    assert added.status_code == 201
    await b.expect("room_added")
    await live.post(owner, room_id, "welcome")
    assert (await b.expect("room_activity"))["unread_count"] == 1
    removed = await live.http.delete(f"/api/rooms/{room_id}/members/{bob.id}", headers=owner.headers)
    assert removed.status_code == 204
    await b.expect("room_removed")
    await asyncio.sleep(1.1)
    await live.post(owner, room_id, "bob is gone")
    await b.silent(("room_activity", "new_message"), within=0.5)
    await b.close()


async def test_member_panels_and_names_stay_live(live: LiveServer) -> None:
    owner, bob, carol = await live.user(), await live.user(), await live.user()
    room_id = (await live.room(owner, bob))["id"]
    panel = await live.connect(room_id, owner)
    await panel.expect("connected")
    app, _ = await ready(live, owner)
    await subscribed(app, room_id)
    body = {"username": carol.username}
    assert (await live.http.post(f"/api/rooms/{room_id}/members", json=body, headers=owner.headers)).status_code == 201
    added = {"room_id": room_id, "user_id": carol.id, "username": carol.username, "change": "added", "role": "member"}
    for client in (panel, app):
        assert await client.expect("member_changed") == added
    promoted = await live.http.patch(
        f"/api/rooms/{room_id}/members/{carol.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.status_code == 204, promoted.text
    for client in (panel, app):
        changed = await client.expect("member_changed")
        assert (changed["change"], changed["role"], changed["user_id"]) == ("role", "admin", carol.id)
    gone = await live.http.delete(f"/api/rooms/{room_id}/members/{carol.id}", headers=owner.headers)
    assert gone.status_code == 204
    for client in (panel, app):
        assert (await client.expect("member_changed"))["change"] == "removed"
    renamed = await live.http.patch("/api/users/me", json={"display_name": "Bob the Builder"}, headers=bob.headers)
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Bob the Builder"
    on_panel = await panel.expect("user_updated")
    assert on_panel == {"user": renamed.json()}
    assert await app.expect("user_updated") == {"room_id": room_id, "user": renamed.json()}
    me = (await live.http.get("/api/users/me", headers=bob.headers)).json()
    assert me["display_name"] == "Bob the Builder"
    for bad in ("", " ", "\u202eevil", "x" * 65):
        response = await live.http.patch("/api/users/me", json={"display_name": bad}, headers=bob.headers)
        assert response.status_code == 422, bad
    assert (await live.http.get("/api/users/me", headers=bob.headers)).json()["display_name"] == "Bob the Builder"
    await panel.close()
    await app.close()


async def test_a_reconnect_recovers_each_subscribed_room_exactly_across_a_restart(start_server) -> None:
    """One socket, three rooms: after the server restarts and the others post, edit, delete and
    react, re-subscribing each room with its since_seq gives exactly the rooms' state."""
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room_ids = [(await live.room(bob, alice, name=f"r{n}"))["id"] for n in range(3)]
    rests = {room_id: Rest(live, room_id) for room_id in room_ids}
    old = {
        room_id: [await rests[room_id].post(bob, f"{room_id[:4]} old {n}") for n in range(2)] for room_id in room_ids
    }
    views = {room_id: View() for room_id in room_ids}
    a, _ = await ready(live, alice)
    for room_id in room_ids:
        views[room_id].apply_connected(await subscribed(a, room_id))
    for room_id in room_ids:
        await rests[room_id].post(bob, "while alice is here")
    while any(view.last_seq < 3 for view in views.values()):
        frame = await a.recv()
        if frame["type"] == "new_message":
            views[frame["data"]["room_id"]].apply(frame)
    await a.close()

    await live.stop()
    again = await LiveServer(live.settings, port=live.port).start()
    try:
        rests = {room_id: Rest(again, room_id) for room_id in room_ids}
        first, second, third = room_ids
        assert (await rests[first].edit(bob, old[first][0]["id"], "edited while alice was away")).status_code == 200
        assert (await rests[second].delete(bob, old[second][1]["id"])).status_code == 204
        assert (await rests[third].react(bob, old[third][0]["id"], "👍")).status_code == 204
        for room_id in (first, third):
            await rests[room_id].post(bob, "new while alice was away")
        a, _ = await ready(again, alice)
        for room_id in room_ids:
            data = await subscribed(a, room_id, since_seq=views[room_id].last_seq)
            assert data["recovered"] is True
            views[room_id].apply_connected(data)
        for room_id in room_ids:
            assert strip(views[room_id].messages.values()) == await rests[room_id].state(alice), room_id
        await a.close()
    finally:
        await again.stop()
