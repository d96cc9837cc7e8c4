"""SPEC §3 `GET /api/search` over real HTTP: what it finds, what it refuses, what it never shows,
how often it may be called."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import PASSWORD, LiveServer, User
from tests.events_helpers import MESSAGE_KEYS, UNLIMITED, Rest


async def search(live: LiveServer, user: User | None, **params: Any) -> Any:
    assert live.http is not None
    return await live.http.get("/api/search", params=params, headers=user.headers if user else {})


async def contents(live: LiveServer, user: User, q: str, **params: Any) -> list[str]:
    response = await search(live, user, q=q, **params)
    assert response.status_code == 200, response.text
    return [message["content"] for message in response.json()["results"]]


async def test_finds_whole_messages_newest_first_across_the_callers_rooms(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    first = Rest(live, (await live.room(alice, bob, name="first"))["id"])
    second = Rest(live, (await live.room(bob, alice, name="second"))["id"])
    older = await first.post(bob, "The Quarterly report is ready", client_id="r1")
    await second.post(alice, "nothing to see")
    newer = await second.post(alice, "quarterly numbers: 東京 +12%")

    response = await search(live, alice, q="QUARTER")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results", "next_cursor"} and body["next_cursor"] is None
    assert body["results"] == [newer, older], "whole messages, as history gives them, newest first"
    assert all(set(message) == MESSAGE_KEYS for message in body["results"])
    assert await contents(live, alice, "quarter", room_id=first.room_id) == [older["content"]]
    assert await contents(live, bob, '"numbers: 東京"') == [newer["content"]]
    assert await contents(live, bob, "report ready") == [older["content"]], "every term, in any order"


async def test_pages_follow_next_cursor_without_repeats_or_gaps(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice = await live.user()
    rest = Rest(live, (await live.room(alice))["id"])
    sent = [(await rest.post(alice, f"page test {n}"))["id"] for n in range(12)]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(4):
        params: dict[str, Any] = {"q": "page test", "limit": 5} | ({"cursor": cursor} if cursor else {})
        body = (await search(live, alice, **params)).json()
        seen += [message["id"] for message in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(sent))


async def test_follows_edits_and_deletes_at_once(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    rest = Rest(live, (await live.room(alice, bob))["id"])
    message = await rest.post(alice, "meet at the harbour")
    assert await contents(live, bob, "harbour") == ["meet at the harbour"]
    assert (await rest.edit(alice, message["id"], "meet at the station")).status_code == 200
    assert await contents(live, bob, "harbour") == []
    assert await contents(live, bob, "station") == ["meet at the station"]
    assert (await rest.delete(alice, message["id"])).status_code == 204
    assert await contents(live, bob, "station") == []
    assert await contents(live, alice, "meet") == []


async def test_never_shows_what_the_caller_may_not_see(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob, eve = await live.user(), await live.user(), await live.user()
    public = await live.room(alice, bob, name="public")
    private = await live.room(alice, name="private", is_private=True)
    await Rest(live, public["id"]).post(alice, "launch codes are in the public room")
    await Rest(live, private["id"]).post(alice, "launch codes are in the private room")

    assert len(await contents(live, alice, "launch")) == 2
    assert await contents(live, bob, "launch") == ["launch codes are in the public room"]
    assert await contents(live, eve, "launch") == [], "not a participant: not even a public room"
    for room in (private, public):  # a room filter the caller may not read: an empty answer, no 404
        response = await search(live, eve, q="launch", room_id=room["id"])
        assert (response.status_code, response.json()) == (200, {"results": [], "next_cursor": None})
    assert (await search(live, eve, q="launch", room_id=str(uuid.uuid4()))).json()["results"] == []

    assert live.http is not None
    left = await live.http.post(f"/api/rooms/{public['id']}/leave", headers=bob.headers)
    assert left.status_code in (200, 204), left.text
    assert await contents(live, bob, "launch") == [], "a room left stops matching"


async def test_refusals_are_clear_422s(start_server) -> None:
    live = await start_server(**UNLIMITED, SEARCH_RATE_LIMIT="1000/60")
    alice = await live.user()
    await Rest(live, (await live.room(alice))["id"]).post(alice, "something to find")
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "ab"}, "at least 3 characters"),
        ({"q": "ab cd 東京"}, "at least 3 characters"),
        ({"q": '"ab"  '}, "at least 3 characters"),
        ({"q": "x" * 201}, "q"),
        ({"q": '"a b"'}, "at least 3 characters"),
        ({"q": "some\x00thing"}, "q"),
        ({"q": "something", "limit": 0}, "limit"),
        ({"q": "something", "limit": 51}, "limit"),
        ({"q": "something", "room_id": "not-a-uuid"}, "room_id"),
        ({"q": "something", "cursor": "not a cursor"}, "cursor"),
    ]
    for params, detail in cases:
        response = await search(live, alice, **params)
        assert response.status_code == 422, (params, response.text)
        assert detail in response.json()["detail"], (params, response.text)
    assert (await search(live, None, q="something")).status_code == 401
    assert await contents(live, alice, "something") == ["something to find"]


async def test_search_rate_limit(start_server) -> None:
    live = await start_server(**UNLIMITED, SEARCH_RATE_LIMIT="2/60")
    alice, bob = await live.user(), await live.user()
    await live.room(alice, bob)
    assert (await search(live, alice, q="ab")).status_code == 422, "a refused query costs nothing"
    assert (await search(live, alice, q="first")).status_code == 200
    assert (await search(live, alice, q="second")).status_code == 200
    limited = await search(live, alice, q="third")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "too often" in limited.json()["detail"]
    assert (await search(live, bob, q="third")).status_code == 200, "each user has their own window"


async def test_a_removed_member_and_a_revoked_session_find_nothing(start_server) -> None:
    live = await start_server(**UNLIMITED)
    assert live.http is not None
    alice = await live.user()
    bob = await live.user(via_login=True)
    room = await live.room(alice, bob)
    await Rest(live, room["id"]).post(alice, "the removal notice")
    assert await contents(live, bob, "removal") == ["the removal notice"]

    removed = await live.http.delete(f"/api/rooms/{room['id']}/members/{bob.id}", headers=alice.headers)
    assert removed.status_code == 204, removed.text
    assert await contents(live, bob, "removal") == [], "removed by the owner: the room stops matching"

    pair = (await live.http.post("/api/auth/login", json={"username": alice.username, "password": PASSWORD})).json()
    signed_in = User(alice.id, alice.username, pair["access_token"])
    assert await contents(live, signed_in, "removal") == ["the removal notice"]
    assert (await live.http.post("/api/auth/logout", json={"refresh_token": pair["refresh_token"]})).status_code == 204
    assert (await search(live, signed_in, q="removal")).status_code == 401, "a revoked session's token searches nothing"
