"""SPEC §4 Connection: admission, `connected`, and recovery with since_seq."""

from __future__ import annotations

import asyncio

import jwt
import pytest
import websockets

from tests.conftest import TEST_SECRET, LiveServer


async def close_of(live: LiveServer, url: str) -> tuple[int, str]:
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_refusals_close_with_1008_and_a_reason(live: LiveServer) -> None:
    owner, outsider = await live.user(), await live.user()
    private = await live.room(owner, name="secret", is_private=True)
    public = await live.room(owner, name="open")
    claims = {"sub": owner.id, "iss": "roomcast", "aud": "roomcast", "sid": "00000000-0000-4000-8000-000000000001"}
    expired = jwt.encode(claims | {"iat": 1, "exp": 2}, TEST_SECRET, algorithm="HS256")
    forged = jwt.encode(claims | {"iat": 1, "exp": 2**40}, "another-secret-entirely-as-long-as-it", algorithm="HS256")
    room = private["id"]
    assert await close_of(live, live.ws_url(room, None)) == (1008, "invalid token")
    assert await close_of(live, live.ws_url(room, "not-a-jwt")) == (1008, "invalid token")
    assert await close_of(live, live.ws_url(room, forged)) == (1008, "invalid token")
    assert await close_of(live, live.ws_url(room, expired)) == (1008, "token expired")
    # A room the user may not see, a public room they have not joined and a missing room look alike.
    assert await close_of(live, live.ws_url(room, outsider.token)) == (1008, "not a participant")
    assert await close_of(live, live.ws_url(public["id"], outsider.token)) == (1008, "not a participant")
    missing = "00000000-0000-4000-8000-000000000000"
    assert await close_of(live, live.ws_url(missing, outsider.token)) == (1008, "not a participant")
    assert await close_of(live, live.ws_url("not-a-uuid", outsider.token)) == (1008, "not a participant")


async def test_alg_none_token_is_refused(live: LiveServer) -> None:
    owner = await live.user()
    room = await live.room(owner)
    unsigned = jwt.encode({"sub": owner.id, "iat": 1, "exp": 2**40}, None, algorithm="none")
    assert await close_of(live, live.ws_url(room["id"], unsigned)) == (1008, "invalid token")


async def test_connected_carries_user_online_users_recent_messages_and_last_seq(start_server) -> None:
    live = await start_server(CACHE_SIZE=5)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    for n in range(8):
        assert (await live.post(alice, room["id"], f"m{n}")).status_code == 201
    a = await live.connect(room["id"], alice)
    first = await a.expect("connected")
    b = await live.connect(room["id"], bob)
    data = await b.expect("connected")
    assert data["room_id"] == room["id"]
    assert data["user"] == {"id": bob.id, "username": bob.username}
    assert {u["user_id"] for u in data["online_users"]} == {alice.id, bob.id}
    assert [m["seq"] for m in data["recent_messages"]] == [4, 5, 6, 7, 8]
    assert [m["content"] for m in data["recent_messages"]] == ["m3", "m4", "m5", "m6", "m7"]
    assert data["last_seq"] == 8
    assert "recovered" not in data
    assert first["recent_messages"] == data["recent_messages"]


async def test_recent_messages_come_from_the_database_when_the_cache_is_cold(start_server) -> None:
    live = await start_server(CACHE_SIZE=3)
    alice = await live.user()
    room = await live.room(alice)
    for n in range(4):
        await live.post(alice, room["id"], f"m{n}")
    await live.services.backends.cache.close()  # forget everything cached
    a = await live.connect(room["id"], alice)
    data = await a.expect("connected")
    assert [m["seq"] for m in data["recent_messages"]] == [2, 3, 4]


async def test_since_seq_recovers_more_than_the_cache_holds(start_server) -> None:
    live = await start_server(CACHE_SIZE=5, MESSAGE_RATE_LIMIT=1000)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    for n in range(30):
        await live.post(alice, room["id"], f"m{n}")
    b = await live.connect(room["id"], bob, since_seq=7)
    data = await b.expect("connected")
    assert data["recovered"] is True
    assert [m["seq"] for m in data["recent_messages"]] == list(range(8, 31))
    assert data["last_seq"] == 30


async def test_since_seq_beyond_1000_sends_the_oldest_1000_and_recovered_false(start_server) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=100000)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    for start in range(0, 1010, 50):
        await asyncio.gather(*(live.post(alice, room["id"], f"m{n}") for n in range(start, min(start + 50, 1010))))
    b = await live.connect(room["id"], bob, since_seq=5)
    data = await b.expect("connected", timeout=15)
    assert data["recovered"] is False
    assert [m["seq"] for m in data["recent_messages"]] == list(range(6, 1006))
    assert data["last_seq"] == 1010
    rest = await live.http.get(
        f"/api/rooms/{room['id']}/messages", params={"after_seq": 1005, "limit": 200}, headers=bob.headers
    )
    assert [m["seq"] for m in rest.json()["messages"]] == list(range(1006, 1011))


async def read_until(client, data: dict, last: int) -> list[int]:
    got = [m["seq"] for m in data["recent_messages"]]
    async with asyncio.timeout(20):
        while not got or got[-1] < last:
            try:
                frame = await client.recv()
            except TimeoutError:
                raise AssertionError(f"stuck at {got[-5:]} of {len(got)}") from None
            if frame["type"] == "new_message":
                got.append(frame["data"]["message"]["seq"])
    return got


async def test_no_gap_and_no_duplicate_between_catch_up_and_live_stream(start_server) -> None:
    """Connect while messages keep arriving: every seq exactly once and in order."""
    live = await start_server(MESSAGE_RATE_LIMIT=100000)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    sender = await live.connect(room["id"], alice)
    await sender.expect("connected")
    total = 300

    async def send_all(round_: int) -> None:
        for n in range(total):
            await sender.send("send_message", content=f"m{n}", client_id=f"c{round_}-{n}")
            if n % 10 == 0:
                await asyncio.sleep(0.002)

    sending = asyncio.create_task(send_all(1))
    await asyncio.sleep(0.05)
    recovering = await live.connect(room["id"], bob, since_seq=0)
    recovered = await read_until(recovering, await recovering.expect("connected"), total)
    assert recovered == list(range(1, total + 1))
    await sending

    sending = asyncio.create_task(send_all(2))
    await asyncio.sleep(0.05)
    fresh = await live.connect(room["id"], bob)
    seqs = await read_until(fresh, await fresh.expect("connected"), 2 * total)
    assert seqs == list(range(seqs[0], 2 * total + 1))
    await sending


async def test_recovery_works_across_a_server_restart(start_server, make_settings) -> None:
    live = await start_server()
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    await live.post(alice, room["id"], "before restart")
    await live.stop()
    again = await LiveServer(live.settings, port=live.port).start()
    try:
        await again.post(alice, room["id"], "after restart")
        b = await again.connect(room["id"], bob, since_seq=1)
        data = await b.expect("connected")
        assert [m["content"] for m in data["recent_messages"]] == ["after restart"]
        assert data["recovered"] is True
    finally:
        await again.stop()


async def test_a_cache_that_missed_pushes_is_not_trusted(start_server, monkeypatch) -> None:
    live = await start_server(CACHE_SIZE=3)
    alice = await live.user()
    room = await live.room(alice)
    for n in range(3):
        await live.post(alice, room["id"], f"m{n}")
    cache = live.services.backends.cache

    async def lost(*args: object) -> None:
        return None

    monkeypatch.setattr(cache, "push", lost)  # as if the push of seq 4 was lost
    await live.post(alice, room["id"], "m3")
    monkeypatch.undo()
    a = await live.connect(room["id"], alice)
    data = await a.expect("connected")
    assert [m["seq"] for m in data["recent_messages"]] == [2, 3, 4]
    assert data["last_seq"] == 4
