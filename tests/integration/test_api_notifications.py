"""Notifications, mentions, read marks and unread counts (SPEC §6), over real HTTP.

Notifications are written by a background task: every check polls with a bounded wait.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.conftest import LiveServer, User

NOTIFICATION_KEYS = {"id", "type", "room_id", "message_id", "count", "is_read", "created_at", "updated_at"}


async def eventually(probe: Callable[[], Awaitable[Any]], check: Callable[[Any], bool], within: float = 5) -> Any:
    """Poll `probe` until `check` holds on its result; fail with the last result after `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(0.05)


async def notes(live: LiveServer, user: User) -> list[dict[str, Any]]:
    assert live.http is not None
    response = await live.http.get("/api/notifications", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def my_rooms(live: LiveServer, user: User) -> dict[str, dict[str, Any]]:
    assert live.http is not None
    response = await live.http.get("/api/rooms", headers=user.headers)
    assert response.status_code == 200, response.text
    return {room["id"]: room for room in response.json()}


async def settled(live: LiveServer) -> None:
    """Wait until the notifier has processed everything queued so far."""
    await asyncio.wait_for(live.services.notifier.flush(), 5)


def of(items: list[dict[str, Any]], kind: str, room_id: str) -> list[dict[str, Any]]:
    return [n for n in items if n["type"] == kind and n["room_id"] == room_id]


async def test_an_offline_participant_gets_one_counting_notification_per_room(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    first = (await live.post(alice, room["id"], "one")).json()
    got = await eventually(lambda: notes(live, bob), lambda n: len(n) == 1)
    note = got[0]
    assert set(note) == NOTIFICATION_KEYS
    assert note["type"] == "message" and note["room_id"] == room["id"]
    assert note["message_id"] == first["id"] and note["count"] == 1 and note["is_read"] is False
    for text in ("two", "three"):
        last = (await live.post(alice, room["id"], text)).json()
    got = await eventually(lambda: notes(live, bob), lambda n: n and n[0]["count"] == 3)
    assert len(got) == 1
    assert got[0]["id"] == note["id"] and got[0]["message_id"] == last["id"]
    assert got[0]["updated_at"] >= note["updated_at"]
    # the sender is not notified of their own messages
    await settled(live)
    assert await notes(live, alice) == []


async def test_a_connected_participant_gets_no_message_notification(live: LiveServer) -> None:
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    room = await live.room(alice, bob, carol)
    ws = await live.connect(room["id"], bob)
    await ws.expect("connected")
    await live.post(alice, room["id"], "are you there?")
    await eventually(lambda: notes(live, carol), lambda n: len(n) == 1)
    await settled(live)
    assert await notes(live, bob) == []
    await ws.close()


async def test_mentions(live: LiveServer) -> None:
    alice, bob, carol, outsider = [await live.user() for _ in range(4)]
    room = await live.room(alice, bob, carol)
    message = (await live.post(alice, room["id"], f"hey @{bob.username.upper()}, and @{outsider.username}")).json()
    got = await eventually(lambda: notes(live, bob), lambda n: len(n) == 2)
    mention = of(got, "mention", room["id"])
    assert len(mention) == 1 and mention[0]["message_id"] == message["id"] and mention[0]["count"] == 1
    assert len(of(got, "message", room["id"])) == 1
    await settled(live)
    assert [n["type"] for n in await notes(live, carol)] == ["message"]
    assert await notes(live, outsider) == []  # not a participant: nobody to notify
    # a mention of yourself, or an e-mail address, is not a mention
    await live.post(alice, room["id"], f"note to self @{alice.username}; mail carol@{bob.username}")
    await settled(live)
    assert await notes(live, alice) == []
    assert of(await notes(live, bob), "mention", room["id"])[0]["count"] == 1


async def test_a_connected_participant_still_gets_mentions(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    ws = await live.connect(room["id"], bob)
    await ws.expect("connected")
    await live.post(alice, room["id"], f"@{bob.username} look")
    got = await eventually(lambda: notes(live, bob), lambda n: len(n) == 1)
    assert got[0]["type"] == "mention"
    await ws.close()


async def test_mark_one_read_and_all_read(live: LiveServer) -> None:
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    one, two = await live.room(alice, bob, carol, name="one"), await live.room(alice, bob, name="two")
    await live.post(alice, one["id"], "in one")
    await live.post(alice, two["id"], f"in two @{bob.username}")
    got = await eventually(lambda: notes(live, bob), lambda n: len(n) == 3)
    await eventually(lambda: notes(live, carol), lambda n: len(n) == 1)
    assert live.http is not None
    target = of(got, "message", one["id"])[0]
    # somebody else's notification is not found, nor is an unknown or malformed id
    assert (await live.http.post(f"/api/notifications/{target['id']}/read", headers=carol.headers)).status_code == 404
    assert (await live.http.post(f"/api/notifications/{uuid.uuid4()}/read", headers=bob.headers)).status_code == 404
    assert (await live.http.post("/api/notifications/nope/read", headers=bob.headers)).status_code == 422
    response = await live.http.post(f"/api/notifications/{target['id']}/read", headers=bob.headers)
    assert response.status_code == 204
    after = {n["id"]: n["is_read"] for n in await notes(live, bob)}
    assert after[target["id"]] is True and sum(after.values()) == 1
    assert not (await notes(live, carol))[0]["is_read"]
    # marking it again is fine
    assert (await live.http.post(f"/api/notifications/{target['id']}/read", headers=bob.headers)).status_code == 204

    response = await live.http.post("/api/notifications/read-all", headers=bob.headers)
    assert response.status_code == 204
    assert all(n["is_read"] for n in await notes(live, bob))
    assert not (await notes(live, carol))[0]["is_read"]  # only the caller's

    # a new message makes the room's notification unread again, counting afresh
    await live.post(alice, one["id"], "again")
    got = await eventually(lambda: notes(live, bob), lambda n: not of(n, "message", one["id"])[0]["is_read"])
    assert of(got, "message", one["id"])[0]["count"] == 1
    assert of(got, "message", one["id"])[0]["id"] == target["id"]


async def test_unread_notifications_come_first(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    older, newer, newest = [await live.room(alice, bob, name=f"r{i}") for i in range(3)]
    for room in (older, newer, newest):
        await live.post(alice, room["id"], "hello")
        await eventually(lambda room=room: notes(live, bob), lambda n, room=room: of(n, "message", room["id"]))
    got = await notes(live, bob)
    assert [n["room_id"] for n in got] == [newest["id"], newer["id"], older["id"]]  # newest first
    assert live.http is not None
    for room in (newest, newer):
        note = of(got, "message", room["id"])[0]
        await live.http.post(f"/api/notifications/{note['id']}/read", headers=bob.headers)
    got = await notes(live, bob)
    assert [(n["room_id"], n["is_read"]) for n in got] == [
        (older["id"], False),
        (newest["id"], True),
        (newer["id"], True),
    ]


async def test_unread_count_and_read_marks(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    rid = room["id"]
    posted = [(await live.post(alice, rid, f"m{i}")).json() for i in range(1, 6)]
    rooms = await my_rooms(live, bob)
    assert rooms[rid]["unread_count"] == 5
    assert rooms[rid]["last_message"] == posted[-1]
    assert rooms[rid]["last_seq"] == 5
    # the sender has read their own messages (the notifier moves their mark)
    await eventually(lambda: my_rooms(live, alice), lambda r: r[rid]["unread_count"] == 0)
    assert live.http is not None

    async def read(seq: Any) -> Any:
        return await live.http.post(f"/api/rooms/{rid}/read", json={"seq": seq}, headers=bob.headers)  # type: ignore[union-attr]

    response = await read(3)
    assert response.status_code == 200, response.text
    assert response.json() == {"read_seq": 3, "unread_count": 2, "mention_count": 0}
    assert (await my_rooms(live, bob))[rid]["unread_count"] == 2
    # never moves backwards
    assert (await read(1)).json()["read_seq"] == 3
    assert (await read(0)).json() == {"read_seq": 3, "unread_count": 2, "mention_count": 0}
    assert (await my_rooms(live, bob))[rid]["unread_count"] == 2
    # beyond the newest is the newest, so later messages are still unread
    assert (await read(10**6)).json()["unread_count"] == 0
    await live.post(alice, rid, "m6")
    assert (await my_rooms(live, bob))[rid]["unread_count"] == 1
    for bad in (-1, "three", None, 2**53, 10**30, True, 1.5):
        assert (await read(bad)).status_code == 422, bad
    assert (await live.http.post(f"/api/rooms/{rid}/read", json={}, headers=bob.headers)).status_code == 422


async def test_reading_a_room_to_the_end_clears_its_notifications(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, other = await live.room(alice, bob, name="a"), await live.room(alice, bob, name="b")
    await live.post(alice, room["id"], f"hi @{bob.username}")
    await live.post(alice, other["id"], "elsewhere")
    await eventually(lambda: notes(live, bob), lambda n: len(n) == 3)
    assert live.http is not None
    await live.http.post(f"/api/rooms/{room['id']}/read", json={"seq": 1}, headers=bob.headers)
    got = await notes(live, bob)
    assert all(n["is_read"] for n in got if n["room_id"] == room["id"])
    assert not of(got, "message", other["id"])[0]["is_read"]


async def test_new_participants_start_with_nothing_unread(live: LiveServer) -> None:
    """Joining (or being added) is not a reason to be notified of, or count, older messages."""
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    room = await live.room(alice)
    for i in range(3):
        await live.post(alice, room["id"], f"before {i}")
    assert live.http is not None
    # join and add at once, while the notifier may still be busy with the messages above
    joined, added = await asyncio.gather(
        live.http.post(f"/api/rooms/{room['id']}/join", headers=bob.headers),
        live.http.post(f"/api/rooms/{room['id']}/members", json={"username": carol.username}, headers=alice.headers),
    )
    assert (joined.status_code, added.status_code) == (200, 201)
    for user in (bob, carol):
        assert (await my_rooms(live, user))[room["id"]]["unread_count"] == 0
    await live.post(alice, room["id"], "after")
    for user in (bob, carol):
        assert (await my_rooms(live, user))[room["id"]]["unread_count"] == 1
        got = await eventually(lambda user=user: notes(live, user), lambda n: len(n) == 1)
        assert got[0]["count"] == 1


async def test_my_rooms_come_most_recently_active_first(live: LiveServer) -> None:
    alice = await live.user()
    busy, quiet = await live.room(alice, name="busy"), await live.room(alice, name="quiet")
    empty = await live.room(alice, name="empty")
    for i in range(3):
        await live.post(alice, busy["id"], f"b{i}")
    await live.post(alice, quiet["id"], "once")
    rooms = list((await my_rooms(live, alice)).values())
    assert [r["name"] for r in rooms] == ["quiet", "busy", "empty"]
    assert rooms[0]["last_message"]["content"] == "once"
    assert rooms[1]["last_message"]["content"] == "b2"
    assert rooms[2]["last_message"] is None
    await live.post(alice, busy["id"], "b3")
    assert [r["name"] for r in (await my_rooms(live, alice)).values()] == ["busy", "quiet", "empty"]
    assert empty["id"] in await my_rooms(live, alice)
