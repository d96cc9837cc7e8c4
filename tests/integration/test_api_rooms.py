"""Rooms and members over real HTTP: creation, visibility, roles and isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import LiveServer, User

ROOM_KEYS = {"id", "name", "description", "is_private", "kind", "created_by", "created_at"}
MEMBER_KEYS = {"user_id", "username", "display_name", "role", "online"}


async def call(live: LiveServer, user: User | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
    assert live.http is not None
    headers = user.headers if user else {}
    return await live.http.request(method, path, headers=headers, **kwargs)


async def members_of(live: LiveServer, user: User, room_id: str) -> dict[str, dict[str, Any]]:
    response = await call(live, user, "GET", f"/api/rooms/{room_id}/members")
    assert response.status_code == 200, response.text
    return {m["username"]: m for m in response.json()}


async def test_create_room_makes_the_creator_owner(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    response = await call(
        live,
        alice,
        "POST",
        "/api/rooms",
        json={"name": "design", "description": "pixels", "members": [bob.username.upper()]},
    )
    assert response.status_code == 201, response.text
    room = response.json()
    assert set(room) == ROOM_KEYS
    assert room["name"] == "design" and room["description"] == "pixels"
    assert room["is_private"] is False and room["created_by"] == alice.id
    uuid.UUID(room["id"])
    members = await members_of(live, alice, room["id"])
    assert set(members) == {alice.username, bob.username}
    assert members[alice.username]["role"] == "owner"
    assert members[bob.username]["role"] == "member"
    assert set(members[bob.username]) >= MEMBER_KEYS
    assert members[bob.username]["online"] is False
    assert (await call(live, bob, "GET", f"/api/rooms/{room['id']}")).json() == {**room, "member_count": 2}


async def test_create_room_listing_the_creator_as_member_keeps_one_owner(live: LiveServer) -> None:
    alice = await live.user()
    room = await live.room(alice, alice)
    members = await members_of(live, alice, room["id"])
    assert list(members) == [alice.username]
    assert members[alice.username]["role"] == "owner"


async def test_create_room_with_unknown_member_is_404_and_creates_nothing(live: LiveServer) -> None:
    alice = await live.user()
    response = await call(live, alice, "POST", "/api/rooms", json={"name": "x", "members": ["nobody_here"]})
    assert response.status_code == 404
    assert "nobody_here" in response.json()["detail"]
    assert (await call(live, alice, "GET", "/api/rooms")).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "   "},
        {"name": "\u200b\u200b"},
        {"name": "evil\u202egnp.exe"},
        {"name": "ok", "description": "x" * 1001},
        {"name": "ok", "is_private": "perhaps"},
        {"name": "ok", "members": "bob"},
        {"name": "ok", "members": [1, 2]},
        {"name": "ok", "owner": "someone"},
        {"name": None},
    ],
)
async def test_create_room_rejects_bad_bodies(live: LiveServer, body: dict[str, Any]) -> None:
    alice = await live.user()
    response = await call(live, alice, "POST", "/api/rooms", json=body)
    assert response.status_code == 422, response.text


async def test_my_rooms_lists_only_rooms_i_participate_in(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    mine = await live.room(alice, name="mine")
    shared = await live.room(bob, alice, name="shared", is_private=True)
    await live.room(bob, name="bobs")
    rooms = (await call(live, alice, "GET", "/api/rooms")).json()
    assert {r["id"] for r in rooms} == {mine["id"], shared["id"]}
    for room in rooms:
        assert set(room) >= ROOM_KEYS | {"unread_count", "last_message"}
        assert room["unread_count"] == 0 and room["last_message"] is None
    roles = {r["name"]: r["role"] for r in rooms}
    assert roles == {"mine": "owner", "shared": "member"}


async def test_public_rooms_lists_public_ones_and_filters_by_name(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    general = await live.room(alice, name="General chat")
    await live.room(alice, name="secret plans", is_private=True)
    odd = await live.room(alice, name="100%_done")
    response = await call(live, bob, "GET", "/api/rooms/public")
    assert response.status_code == 200
    names = [r["name"] for r in response.json()]
    assert set(names) == {"General chat", "100%_done"}
    assert all(set(r) == ROOM_KEYS for r in response.json())
    found = (await call(live, bob, "GET", "/api/rooms/public", params={"q": "GENERAL"})).json()
    assert [r["id"] for r in found] == [general["id"]]
    for q in ("%", "_", "0%_"):  # LIKE wildcards are literal characters here
        found = (await call(live, bob, "GET", "/api/rooms/public", params={"q": q})).json()
        assert [r["id"] for r in found] == [odd["id"]], q
    assert (await call(live, bob, "GET", "/api/rooms/public", params={"q": "plans"})).json() == []
    too_long = await call(live, bob, "GET", "/api/rooms/public", params={"q": "x" * 101})
    assert too_long.status_code == 422


async def test_public_room_is_visible_to_everybody(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice)
    response = await call(live, bob, "GET", f"/api/rooms/{room['id']}")
    assert response.status_code == 200
    assert response.json() == {**room, "member_count": 1}  # what a preview shows before joining


async def test_private_room_is_a_404_exactly_like_a_missing_room(live: LiveServer) -> None:
    alice, mallory = await live.user(), await live.user()
    room = await live.room(alice, is_private=True, name="vault")
    rid, missing = room["id"], str(uuid.uuid4())
    assert (await call(live, alice, "GET", f"/api/rooms/{rid}")).status_code == 200
    for method, suffix, body in [
        ("GET", "", None),
        ("GET", "/members", None),
        ("GET", "/messages", None),
        ("POST", "/messages", {"content": "let me in"}),
        ("POST", "/join", None),
        ("POST", "/leave", None),
        ("POST", "/members", {"username": mallory.username}),
        ("PATCH", f"/members/{mallory.id}", {"role": "admin"}),
        ("DELETE", f"/members/{alice.id}", None),
        ("POST", "/read", {"seq": 1}),
    ]:
        hidden = await call(live, mallory, method, f"/api/rooms/{rid}{suffix}", json=body)
        absent = await call(live, mallory, method, f"/api/rooms/{missing}{suffix}", json=body)
        assert hidden.status_code == absent.status_code == 404, (method, suffix, hidden.text)
        assert hidden.json() == absent.json(), (method, suffix)
    # nothing changed behind the 404s
    assert set(await members_of(live, alice, rid)) == {alice.username}
    assert (await call(live, alice, "GET", f"/api/rooms/{rid}/messages")).json()["messages"] == []
    assert rid not in {r["id"] for r in (await call(live, mallory, "GET", "/api/rooms")).json()}


async def test_malformed_room_id_is_422(live: LiveServer) -> None:
    alice = await live.user()
    for path in ("/api/rooms/not-a-uuid", "/api/rooms/123/messages", "/api/rooms/x/members/y"):
        method = "DELETE" if path.endswith("/y") else "GET"
        assert (await call(live, alice, method, path)).status_code == 422, path


async def test_join_and_leave_a_public_room(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice)
    rid = room["id"]
    # a visible public room, but not a participant yet: members and history are closed
    for method, suffix, body in [
        ("GET", "/members", None),
        ("GET", "/messages", None),
        ("POST", "/messages", {"content": "hi"}),
        ("POST", "/leave", None),
        ("POST", "/read", {"seq": 0}),
    ]:
        response = await call(live, bob, method, f"/api/rooms/{rid}{suffix}", json=body)
        assert response.status_code == 403, (suffix, response.text)
    joined = await call(live, bob, "POST", f"/api/rooms/{rid}/join")
    assert joined.status_code == 200, joined.text
    assert joined.json() == room
    assert (await call(live, bob, "GET", f"/api/rooms/{rid}")).json()["member_count"] == 2
    again = await call(live, bob, "POST", f"/api/rooms/{rid}/join")
    assert again.status_code == 200
    members = await members_of(live, bob, rid)
    assert members[bob.username]["role"] == "member"
    assert rid in {r["id"] for r in (await call(live, bob, "GET", "/api/rooms")).json()}
    assert (await live.post(bob, rid, "hello")).status_code == 201

    left = await call(live, bob, "POST", f"/api/rooms/{rid}/leave")
    assert left.status_code == 204
    assert rid not in {r["id"] for r in (await call(live, bob, "GET", "/api/rooms")).json()}
    assert (await live.post(bob, rid, "still here?")).status_code == 403
    assert bob.username not in await members_of(live, alice, rid)


async def test_join_a_private_room_is_refused(live: LiveServer) -> None:
    """SPEC: self-join is for public rooms (403 private); a private room is not even visible to a
    non-member, so the answer is the same 404 as for a missing room."""
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, is_private=True)
    response = await call(live, bob, "POST", f"/api/rooms/{room['id']}/join")
    assert response.status_code == 404
    assert response.json() == (await call(live, bob, "POST", f"/api/rooms/{uuid.uuid4()}/join")).json()
    assert set(await members_of(live, alice, room["id"])) == {alice.username}


async def test_the_owner_cannot_leave(live: LiveServer) -> None:
    alice = await live.user()
    room = await live.room(alice)
    response = await call(live, alice, "POST", f"/api/rooms/{room['id']}/leave")
    assert response.status_code == 403
    assert (await members_of(live, alice, room["id"]))[alice.username]["role"] == "owner"


async def test_owner_and_admin_add_members_a_member_cannot(live: LiveServer) -> None:
    owner, admin, member, carol, dave = [await live.user() for _ in range(5)]
    room = await live.room(owner, admin, member, is_private=True)
    rid = room["id"]
    assert (
        await call(live, owner, "PATCH", f"/api/rooms/{rid}/members/{admin.id}", json={"role": "admin"})
    ).status_code == 204

    refused = await call(live, member, "POST", f"/api/rooms/{rid}/members", json={"username": carol.username})
    assert refused.status_code == 403
    assert carol.username not in await members_of(live, owner, rid)

    added = await call(live, admin, "POST", f"/api/rooms/{rid}/members", json={"username": carol.username})
    assert added.status_code == 201, added.text
    body = added.json()
    assert set(body) >= MEMBER_KEYS
    assert body["user_id"] == carol.id and body["role"] == "member"
    added = await call(live, owner, "POST", f"/api/rooms/{rid}/members", json={"username": dave.username.upper()})
    assert added.status_code == 201
    assert added.json()["username"] == dave.username
    assert (await call(live, carol, "GET", f"/api/rooms/{rid}")).status_code == 200

    duplicate = await call(live, owner, "POST", f"/api/rooms/{rid}/members", json={"username": carol.username})
    assert duplicate.status_code == 409
    unknown = await call(live, owner, "POST", f"/api/rooms/{rid}/members", json={"username": "no_such_user"})
    assert unknown.status_code == 404
    empty = await call(live, owner, "POST", f"/api/rooms/{rid}/members", json={"username": ""})
    assert empty.status_code == 422


async def test_only_the_owner_changes_roles(live: LiveServer) -> None:
    owner, admin, member, outsider = [await live.user() for _ in range(4)]
    room = await live.room(owner, admin, member)
    rid = room["id"]
    path = f"/api/rooms/{rid}/members"
    assert (await call(live, owner, "PATCH", f"{path}/{admin.id}", json={"role": "admin"})).status_code == 204
    assert (await members_of(live, owner, rid))[admin.username]["role"] == "admin"

    assert (await call(live, admin, "PATCH", f"{path}/{member.id}", json={"role": "admin"})).status_code == 403
    assert (await call(live, member, "PATCH", f"{path}/{member.id}", json={"role": "admin"})).status_code == 403
    assert (await call(live, admin, "PATCH", f"{path}/{owner.id}", json={"role": "member"})).status_code == 403
    assert (await call(live, owner, "PATCH", f"{path}/{owner.id}", json={"role": "member"})).status_code == 403
    assert (await call(live, owner, "PATCH", f"{path}/{outsider.id}", json={"role": "admin"})).status_code == 404
    assert (await call(live, owner, "PATCH", f"{path}/{uuid.uuid4()}", json={"role": "admin"})).status_code == 404
    for bad in ({"role": "owner"}, {"role": "king"}, {}, {"role": None}):
        assert (await call(live, owner, "PATCH", f"{path}/{member.id}", json=bad)).status_code == 422, bad
    roles = {name: m["role"] for name, m in (await members_of(live, owner, rid)).items()}
    assert roles == {owner.username: "owner", admin.username: "admin", member.username: "member"}

    assert (await call(live, owner, "PATCH", f"{path}/{admin.id}", json={"role": "member"})).status_code == 204
    assert (await members_of(live, owner, rid))[admin.username]["role"] == "member"


async def test_removing_members(live: LiveServer) -> None:
    owner, admin, admin2, member, member2 = [await live.user() for _ in range(5)]
    room = await live.room(owner, admin, admin2, member, member2, is_private=True)
    rid = room["id"]
    path = f"/api/rooms/{rid}/members"
    for a in (admin, admin2):
        assert (await call(live, owner, "PATCH", f"{path}/{a.id}", json={"role": "admin"})).status_code == 204

    assert (await call(live, member, "DELETE", f"{path}/{member2.id}")).status_code == 403
    assert (await call(live, member, "DELETE", f"{path}/{owner.id}")).status_code == 403
    for actor in (owner, admin):
        response = await call(live, actor, "DELETE", f"{path}/{owner.id}")
        assert response.status_code == 403, response.text
        assert response.json() == {"detail": "The owner cannot be removed"}
    assert (await call(live, admin, "DELETE", f"{path}/{admin2.id}")).status_code == 403

    assert (await call(live, admin, "DELETE", f"{path}/{member2.id}")).status_code == 204
    assert (await call(live, owner, "DELETE", f"{path}/{admin2.id}")).status_code == 204
    assert (await call(live, owner, "DELETE", f"{path}/{member2.id}")).status_code == 404

    remaining = await members_of(live, owner, rid)
    assert set(remaining) == {owner.username, admin.username, member.username}
    # the removed users lose the (private) room entirely
    for gone in (member2, admin2):
        assert (await call(live, gone, "GET", f"/api/rooms/{rid}")).status_code == 404
        assert (await live.post(gone, rid, "hello?")).status_code == 404


async def test_removed_user_is_disconnected_with_1008(live: LiveServer) -> None:
    owner, bob = await live.user(), await live.user()
    room = await live.room(owner, bob)
    ws = await live.connect(room["id"], bob)
    await ws.expect("connected")
    response = await call(live, owner, "DELETE", f"/api/rooms/{room['id']}/members/{bob.id}")
    assert response.status_code == 204
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(10):
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


async def test_members_show_who_is_online(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    assert not any(m["online"] for m in (await members_of(live, alice, room["id"])).values())
    ws = await live.connect(room["id"], bob)
    await ws.expect("connected")
    members = await members_of(live, alice, room["id"])
    assert members[bob.username]["online"] is True and members[alice.username]["online"] is False
    await ws.close()
    for _ in range(100):  # the departure is processed after the close handshake
        if not (await members_of(live, alice, room["id"]))[bob.username]["online"]:
            break
        await asyncio.sleep(0.05)
    assert (await members_of(live, alice, room["id"]))[bob.username]["online"] is False


async def test_owner_and_admin_update_the_room_live_for_every_connection(live: LiveServer) -> None:
    """PATCH /api/rooms/{id}: owner or admin; room sockets and user connections (subscribed or
    not) get `room_updated {room}`; a member cannot, a DM cannot be changed, bad bodies change nothing."""
    from tests.integration.test_ws_user_connection import ready, subscribed

    owner, admin, member = await live.user(), await live.user(), await live.user()
    room = await live.room(owner, admin, member, name="before")
    room_id = room["id"]
    assert (
        await call(live, owner, "PATCH", f"/api/rooms/{room_id}/members/{admin.id}", json={"role": "admin"})
    ).status_code == 204
    socket = await live.connect(room_id, member)
    await socket.expect("connected")
    watching, _ = await ready(live, member)  # not subscribed: the sidebar still learns the name
    subscribed_app, _ = await ready(live, owner)
    await subscribed(subscribed_app, room_id)

    refused = await call(live, member, "PATCH", f"/api/rooms/{room_id}", json={"name": "mine now"})
    assert refused.status_code == 403
    bad_names = ("", "   ", "\u200b", "x\u202ey", "x" * 101)
    for body in (*({"name": name} for name in bad_names), {"is_private": "yes"}, {"unknown": 1}):
        assert (await call(live, admin, "PATCH", f"/api/rooms/{room_id}", json=body)).status_code == 422, body
    changed = await call(live, admin, "PATCH", f"/api/rooms/{room_id}", json={"name": "after", "is_private": True})
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name"], after["is_private"], after["description"]) == ("after", True, room["description"])
    assert set(after) == ROOM_KEYS
    assert await socket.expect("room_updated") == {"room": after}
    assert await watching.expect("room_updated") == {"room_id": room_id, "room": after}
    assert await subscribed_app.expect("room_updated") == {"room_id": room_id, "room": after}
    assert (await call(live, owner, "GET", f"/api/rooms/{room_id}")).json() == {**after, "member_count": 3}
    unchanged = await call(live, owner, "PATCH", f"/api/rooms/{room_id}", json={})
    assert unchanged.status_code == 200 and unchanged.json() == after

    dm = (await call(live, owner, "POST", "/api/dms", json={"username": member.username})).json()
    assert (await call(live, owner, "PATCH", f"/api/rooms/{dm['id']}", json={"name": "renamed dm"})).status_code == 409
    outsider = await live.user()
    assert (await call(live, outsider, "PATCH", f"/api/rooms/{room_id}", json={"name": "x"})).status_code == 404
    for client in (socket, watching, subscribed_app):
        await client.close()


async def test_the_owner_deletes_the_room_and_its_history(live: LiveServer) -> None:
    """DELETE /api/rooms/{id}: owner only; room sockets close with 1008 `room deleted`, user
    connections get `room_removed {reason: "deleted"}`; the room and its messages are gone."""
    from tests.integration.test_ws_lifecycle import closed_code
    from tests.integration.test_ws_user_connection import ready, subscribed

    owner, admin, member = await live.user(), await live.user(), await live.user()
    room = await live.room(owner, admin, member)
    room_id = room["id"]
    assert (
        await call(live, owner, "PATCH", f"/api/rooms/{room_id}/members/{admin.id}", json={"role": "admin"})
    ).status_code == 204
    assert (await live.post(member, room_id, "soon gone")).status_code == 201
    socket = await live.connect(room_id, member)
    await socket.expect("connected")
    app, _ = await ready(live, member)
    await subscribed(app, room_id)
    owner_app, _ = await ready(live, owner)  # watching only

    assert (await call(live, admin, "DELETE", f"/api/rooms/{room_id}")).status_code == 403
    assert (await call(live, member, "DELETE", f"/api/rooms/{room_id}")).status_code == 403
    assert (await call(live, owner, "DELETE", f"/api/rooms/{room_id}")).status_code == 204
    assert await closed_code(socket) == (1008, "room deleted")
    assert await app.expect("room_removed") == {"room_id": room_id, "reason": "deleted"}
    assert await owner_app.expect("room_removed") == {"room_id": room_id, "reason": "deleted"}
    await app.send("send_message", room_id=room_id, content="too late", client_id="late")
    assert (await app.expect("error"))["error"] == "not subscribed"
    for user in (owner, member):
        assert (await call(live, user, "GET", f"/api/rooms/{room_id}")).status_code == 404
        assert (await call(live, user, "GET", f"/api/rooms/{room_id}/messages")).status_code == 404
        assert room_id not in [r["id"] for r in (await call(live, user, "GET", "/api/rooms")).json()]
    assert (await call(live, owner, "DELETE", f"/api/rooms/{room_id}")).status_code == 404
    again = await live.connect(room_id, member)
    assert await closed_code(again) == (1008, "not a participant")
    await app.close()
    await owner_app.close()


async def test_room_changes_count_against_the_action_limit(start_server) -> None:
    """Each change reaches every socket of the room: ACTION_RATE_LIMIT bounds how often."""
    live = await start_server(ACTION_RATE_LIMIT="2/60")
    owner = await live.user()
    room_id = (await live.room(owner))["id"]
    refused = await call(live, owner, "PATCH", f"/api/rooms/{room_id}", json={"name": ""})
    assert refused.status_code == 422  # refused before the limit: costs nothing
    for n in range(2):
        assert (await call(live, owner, "PATCH", f"/api/rooms/{room_id}", json={"name": f"n{n}"})).status_code == 200
    limited = await call(live, owner, "PATCH", f"/api/rooms/{room_id}", json={"name": "too often"})
    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert (await call(live, owner, "GET", f"/api/rooms/{room_id}")).json()["name"] == "n1"
