"""SPEC §3: direct messages (`POST /api/dms`, one room per pair) and finding people (`GET /api/users`)."""

from __future__ import annotations

import asyncio

from tests.conftest import LiveServer


async def open_dm(live: LiveServer, user, username: str):
    return await live.http.post("/api/dms", json={"username": username}, headers=user.headers)


async def test_one_room_per_pair_whoever_asks(live: LiveServer) -> None:
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    first = await open_dm(live, alice, bob.username)
    assert first.status_code == 201, first.text
    room = first.json()
    assert room["kind"] == "dm" and room["is_private"] is True
    again = await open_dm(live, bob, alice.username.upper())
    assert again.status_code == 200 and again.json()["id"] == room["id"]
    for user in (alice, bob):
        listed = {r["id"]: r for r in (await live.http.get("/api/rooms", headers=user.headers)).json()}
        assert listed[room["id"]]["kind"] == "dm"
    members = (await live.http.get(f"/api/rooms/{room['id']}/members", headers=alice.headers)).json()
    assert sorted(m["user_id"] for m in members) == sorted([alice.id, bob.id])
    assert (await live.http.get(f"/api/rooms/{room['id']}", headers=carol.headers)).status_code == 404
    assert (await live.http.post(f"/api/rooms/{room['id']}/join", headers=carol.headers)).status_code == 404
    base = f"/api/rooms/{room['id']}"
    refused = [
        await live.http.post(f"{base}/members", json={"username": carol.username}, headers=alice.headers),
        await live.http.post(f"{base}/leave", headers=bob.headers),
        await live.http.delete(f"{base}/members/{bob.id}", headers=alice.headers),
        await live.http.patch(f"{base}/members/{bob.id}", json={"role": "admin"}, headers=alice.headers),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409, 409]
    members = (await live.http.get(f"{base}/members", headers=alice.headers)).json()
    assert len(members) == 2
    sent = await live.post(bob, room["id"], "just between us")
    assert sent.status_code == 201


async def test_a_dm_with_oneself_and_unknown_people(live: LiveServer) -> None:
    alice = await live.user()
    mine = await open_dm(live, alice, alice.username)
    assert mine.status_code == 201
    assert (await open_dm(live, alice, alice.username)).json()["id"] == mine.json()["id"]
    members = (await live.http.get(f"/api/rooms/{mine.json()['id']}/members", headers=alice.headers)).json()
    assert [m["user_id"] for m in members] == [alice.id]
    assert (await open_dm(live, alice, "nobody_here")).status_code == 404
    assert (await live.http.post("/api/dms", json={"username": alice.username})).status_code == 401


async def test_both_asking_at_once_still_make_one_room(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    answers = await asyncio.gather(open_dm(live, alice, bob.username), open_dm(live, bob, alice.username))
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json()["id"] for a in answers}) == 1


async def test_a_new_dm_reaches_both_user_connections(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    a = await live.connect_user(alice)
    await a.expect("ready")
    b = await live.connect_user(bob)
    await b.expect("ready")
    room = (await open_dm(live, alice, bob.username)).json()
    for client in (a, b):
        added = await client.expect("room_added")
        assert added["room"]["id"] == room["id"] and added["room"]["kind"] == "dm"
    await a.close()
    await b.close()


async def test_find_users_by_prefix(live: LiveServer) -> None:
    me = await live.user("searcher")
    for name in ("Zed_one", "zed_two", "zebra", "other"):
        await live.user(name)
    found = await live.http.get("/api/users", params={"q": "ZED"}, headers=me.headers)
    assert found.status_code == 200
    assert [u["username"] for u in found.json()] == ["Zed_one", "zed_two"]
    assert all(set(u) == {"id", "username", "display_name", "created_at"} for u in found.json())
    assert [u["username"] for u in (await live.http.get("/api/users?q=ze&limit=1", headers=me.headers)).json()] == [
        "zebra"
    ]
    literal = await live.http.get("/api/users", params={"q": "%"}, headers=me.headers)
    assert literal.json() == []
    assert (await live.http.get("/api/users?limit=0", headers=me.headers)).status_code == 422
    assert (await live.http.get("/api/users?q=x")).status_code == 401


async def test_creating_rooms_and_dms_is_limited_per_user(start_server) -> None:
    """CREATE_RATE_LIMIT: rooms and new DMs count, per user; opening an existing DM and a
    creation refused for an unknown member do not."""
    live = await start_server(CREATE_RATE_LIMIT="3/60")
    alice, bob, carol = await live.user(), await live.user(), await live.user()
    unknown = await live.http.post("/api/rooms", json={"name": "x", "members": ["nobody_here"]}, headers=alice.headers)
    assert unknown.status_code == 404
    await live.room(alice, name="one")
    await live.room(alice, name="two")
    assert (await open_dm(live, alice, bob.username)).status_code == 201
    assert (await open_dm(live, alice, bob.username)).status_code == 200  # found, not created
    assert (await open_dm(live, bob, alice.username)).status_code == 200
    for refused in (
        await live.http.post("/api/rooms", json={"name": "three"}, headers=alice.headers),
        await open_dm(live, alice, carol.username),
    ):
        assert refused.status_code == 429, refused.text
        assert "Too many rooms created" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    rooms = (await live.http.get("/api/rooms", headers=alice.headers)).json()
    assert sorted(r["name"] for r in rooms if r["kind"] == "room") == ["one", "two"]
    assert [r["kind"] for r in (await live.http.get("/api/rooms", headers=carol.headers)).json()] == []
    assert (await open_dm(live, carol, bob.username)).status_code == 201  # carol's own window
