"""Messages over real HTTP: posting, history paging, gap-free seq, idempotency, the rate limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import LiveServer, User

MESSAGE_KEYS = {
    *("id", "room_id", "seq", "sender_id", "sender_username", "content", "client_id", "created_at"),
    *("edited_at", "deleted", "reply_to", "reactions"),
}
StartServer = Callable[..., Awaitable[LiveServer]]


async def history(live: LiveServer, user: User, room_id: str, **params: Any) -> dict[str, Any]:
    assert live.http is not None
    response = await live.http.get(f"/api/rooms/{room_id}/messages", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def seqs(page: dict[str, Any]) -> list[int]:
    return [m["seq"] for m in page["messages"]]


async def test_post_a_message(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    response = await live.post(alice, room["id"], "hello *world* ✓", client_id="c-1")
    assert response.status_code == 201, response.text
    message = response.json()
    assert set(message) == MESSAGE_KEYS
    assert message["room_id"] == room["id"]
    assert message["seq"] == 1
    assert message["sender_id"] == alice.id and message["sender_username"] == alice.username
    assert message["content"] == "hello *world* ✓"
    assert message["client_id"] == "c-1"
    assert message["created_at"].endswith("Z")
    uuid.UUID(message["id"])
    second = (await live.post(bob, room["id"], "hi")).json()
    assert second["seq"] == 2 and second["client_id"] is None
    page = await history(live, bob, room["id"])
    assert page == {"messages": [message, second], "has_more": False}


@pytest.mark.parametrize(
    "body",
    [
        {"content": ""},
        {"content": "   \n\t "},
        {"content": 42},
        {"content": None},
        {"content": ["a"]},
        {},
        {"content": "ok", "client_id": ""},
        {"content": "ok", "client_id": "x" * 65},
        {"content": "ok", "extra": 1},
    ],
)
async def test_invalid_messages_are_422_and_not_stored(live: LiveServer, body: dict[str, Any]) -> None:
    alice = await live.user()
    room = await live.room(alice)
    assert live.http is not None
    response = await live.http.post(f"/api/rooms/{room['id']}/messages", json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)
    assert (await history(live, alice, room["id"]))["messages"] == []


async def test_message_length_limit(start_server: StartServer) -> None:
    server = await start_server(MAX_MESSAGE_LENGTH=10)
    alice = await server.user()
    room = await server.room(alice)
    assert (await server.post(alice, room["id"], "x" * 10)).status_code == 201
    too_long = await server.post(alice, room["id"], "x" * 11)
    assert too_long.status_code == 422
    assert "10" in too_long.json()["detail"]
    assert seqs(await history(server, alice, room["id"])) == [1]


async def test_posting_needs_participation(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    public = await live.room(alice)
    private = await live.room(alice, is_private=True)
    assert (await live.post(bob, public["id"], "hi")).status_code == 403
    assert (await live.post(bob, private["id"], "hi")).status_code == 404
    assert (await live.post(bob, str(uuid.uuid4()), "hi")).status_code == 404
    assert (await history(live, alice, public["id"]))["messages"] == []


async def test_history_paging(start_server: StartServer) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=1000)
    alice = await live.user()
    room = await live.room(alice)
    rid = room["id"]
    for i in range(1, 26):
        assert (await live.post(alice, rid, f"m{i}")).status_code == 201
    # limit alone: the newest, ascending
    page = await history(live, alice, rid, limit=10)
    assert seqs(page) == list(range(16, 26)) and page["has_more"] is True
    assert [m["content"] for m in page["messages"]] == [f"m{i}" for i in range(16, 26)]
    # default limit 50 covers everything
    page = await history(live, alice, rid)
    assert seqs(page) == list(range(1, 26)) and page["has_more"] is False
    # before_seq: the newest below N
    page = await history(live, alice, rid, before_seq=16, limit=10)
    assert seqs(page) == list(range(6, 16)) and page["has_more"] is True
    page = await history(live, alice, rid, before_seq=6, limit=10)
    assert seqs(page) == [1, 2, 3, 4, 5] and page["has_more"] is False
    page = await history(live, alice, rid, before_seq=1)
    assert page == {"messages": [], "has_more": False}
    # after_seq: the oldest above N
    page = await history(live, alice, rid, after_seq=0, limit=10)
    assert seqs(page) == list(range(1, 11)) and page["has_more"] is True
    page = await history(live, alice, rid, after_seq=20, limit=10)
    assert seqs(page) == list(range(21, 26)) and page["has_more"] is False
    page = await history(live, alice, rid, after_seq=15, limit=10)
    assert seqs(page) == list(range(16, 26)) and page["has_more"] is False
    page = await history(live, alice, rid, after_seq=25)
    assert page == {"messages": [], "has_more": False}
    # the exact boundary: as many left as asked for is not "more"
    page = await history(live, alice, rid, limit=25)
    assert seqs(page) == list(range(1, 26)) and page["has_more"] is False
    page = await history(live, alice, rid, limit=24)
    assert seqs(page) == list(range(2, 26)) and page["has_more"] is True
    # walking back with before_seq visits every message once
    seen: list[int] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 7} | ({"before_seq": before} if before else {})
        page = await history(live, alice, rid, **params)
        seen = seqs(page) + seen
        if not page["has_more"]:
            break
        before = page["messages"][0]["seq"]
    assert seen == list(range(1, 26))
    # limit bounds
    page = await history(live, alice, rid, limit=1)
    assert seqs(page) == [25]
    page = await history(live, alice, rid, limit=200)
    assert len(page["messages"]) == 25


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": -1},
        {"limit": "ten"},
        {"before_seq": -5},
        {"after_seq": -1},
        {"after_seq": "x"},
        {"before_seq": 2**53},
        {"before_seq": 10**30},
        {"after_seq": 10**30},
        {"after_seq": 1.5},
    ],
)
async def test_history_parameter_bounds_are_422(live: LiveServer, params: dict[str, Any]) -> None:
    alice = await live.user()
    room = await live.room(alice)
    assert live.http is not None
    response = await live.http.get(f"/api/rooms/{room['id']}/messages", params=params, headers=alice.headers)
    assert response.status_code == 422, response.text


async def test_seq_is_gap_free_under_50_concurrent_posts(start_server: StartServer) -> None:
    server = await start_server(MESSAGE_RATE_LIMIT=1000)
    senders = [await server.user() for _ in range(5)]
    room = await server.room(senders[0], *senders[1:])
    rid = room["id"]
    responses = await asyncio.gather(
        *(server.post(senders[i % 5], rid, f"msg {i}", client_id=f"c{i}") for i in range(50))
    )
    assert [r.status_code for r in responses] == [201] * 50
    posted = [r.json() for r in responses]
    assert sorted(m["seq"] for m in posted) == list(range(1, 51))
    assert len({m["id"] for m in posted}) == 50
    page = await history(server, senders[0], rid, limit=200)
    assert seqs(page) == list(range(1, 51))
    stored = {m["client_id"]: m for m in page["messages"]}
    for message in posted:
        assert stored[message["client_id"]] == message
    rooms = (await server.http.get("/api/rooms", headers=senders[1].headers)).json()  # type: ignore[union-attr]
    assert rooms[0]["last_seq"] == 50 and rooms[0]["last_message"]["seq"] == 50


async def test_seq_is_per_room(start_server: StartServer) -> None:
    server = await start_server(MESSAGE_RATE_LIMIT=1000)
    alice = await server.user()
    one, two = await server.room(alice, name="one"), await server.room(alice, name="two")
    await asyncio.gather(*(server.post(alice, r["id"], f"m{i}") for i in range(10) for r in (one, two)))
    assert seqs(await history(server, alice, one["id"])) == list(range(1, 11))
    assert seqs(await history(server, alice, two["id"])) == list(range(1, 11))


async def test_client_id_makes_a_send_idempotent(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, other = await live.room(alice, bob), await live.room(alice, bob, name="other")
    first = await live.post(alice, room["id"], "once", client_id="same")
    assert first.status_code == 201
    again = await live.post(alice, room["id"], "once (retried)", client_id="same")
    assert again.status_code in (200, 201)
    assert again.json() == first.json()
    # the same client_id from another sender or in another room is another message
    by_bob = await live.post(bob, room["id"], "bob's", client_id="same")
    in_other = await live.post(alice, other["id"], "elsewhere", client_id="same")
    assert by_bob.status_code == in_other.status_code == 201
    assert by_bob.json()["id"] != first.json()["id"] and by_bob.json()["seq"] == 2
    assert in_other.json()["id"] != first.json()["id"] and in_other.json()["seq"] == 1
    page = await history(live, alice, room["id"])
    assert [(m["sender_id"], m["content"]) for m in page["messages"]] == [(alice.id, "once"), (bob.id, "bob's")]


async def test_concurrent_duplicates_store_one_message(start_server: StartServer) -> None:
    server = await start_server(MESSAGE_RATE_LIMIT=1000)
    alice = await server.user()
    room = await server.room(alice)
    responses = await asyncio.gather(*(server.post(alice, room["id"], "dup", client_id="k") for _ in range(10)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert seqs(await history(server, alice, room["id"])) == [1]


async def test_rate_limit_refuses_the_eleventh_message(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    for i in range(10):
        assert (await live.post(alice, room["id"], f"m{i}")).status_code == 201
    refused = await live.post(alice, room["id"], "one too many", client_id="late")
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["detail"] == "Rate limit exceeded"
    info = body["rate_limit_info"]
    assert set(info) == {"messages_sent", "max_messages", "time_until_reset"}
    assert info["messages_sent"] == 10 and info["max_messages"] == 10
    assert 1 <= info["time_until_reset"] <= 60
    assert int(refused.headers["retry-after"]) == info["time_until_reset"]
    page = await history(live, alice, room["id"])
    assert seqs(page) == list(range(1, 11))
    assert "one too many" not in {m["content"] for m in page["messages"]}
    # the limit is per user: bob is unaffected
    assert (await live.post(bob, room["id"], "bob still talks")).status_code == 201


async def test_rate_limit_counts_across_rooms(live: LiveServer) -> None:
    alice = await live.user()
    one, two = await live.room(alice, name="one"), await live.room(alice, name="two")
    for i in range(5):
        assert (await live.post(alice, one["id"], f"a{i}")).status_code == 201
        assert (await live.post(alice, two["id"], f"b{i}")).status_code == 201
    three = await live.room(alice, name="three")
    assert (await live.post(alice, three["id"], "c")).status_code == 429
    assert (await history(live, alice, three["id"]))["messages"] == []


async def test_refused_messages_do_not_count(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice)
    private = await live.room(bob, is_private=True)
    assert live.http is not None
    for _ in range(5):
        assert (await live.post(alice, room["id"], "   ")).status_code == 422
        assert (await live.post(alice, private["id"], "hi")).status_code == 404
        assert (await live.post(alice, str(uuid.uuid4()), "hi")).status_code == 404
    first = await live.post(alice, room["id"], "first", client_id="dup")
    for _ in range(5):  # an idempotent re-send answers the original and is not a new message
        assert (await live.post(alice, room["id"], "first", client_id="dup")).json() == first.json()
    for i in range(9):
        assert (await live.post(alice, room["id"], f"m{i}")).status_code == 201, i
    assert (await live.post(alice, room["id"], "eleventh")).status_code == 429


async def test_rate_limit_window_slides(start_server: StartServer) -> None:
    server = await start_server(MESSAGE_RATE_LIMIT=3, RATE_LIMIT_WINDOW=2)
    alice = await server.user()
    room = await server.room(alice)
    for i in range(3):
        assert (await server.post(alice, room["id"], f"m{i}")).status_code == 201
    refused = await server.post(alice, room["id"], "too soon")
    assert refused.status_code == 429
    info = refused.json()["rate_limit_info"]
    assert (info["messages_sent"], info["max_messages"]) == (3, 3)
    assert info["time_until_reset"] in (1, 2)
    await asyncio.sleep(2.2)
    assert (await server.post(alice, room["id"], "later")).status_code == 201
    assert seqs(await history(server, alice, room["id"])) == [1, 2, 3, 4]


@pytest.mark.parametrize("bad", ["nul \x00 inside", "lone \ud800 surrogate"])
async def test_text_no_database_can_store_is_422(live: LiveServer, bad: str) -> None:
    """A NUL (PostgreSQL refuses it) or a lone surrogate (no UTF-8 for it) is bad input, not a 500."""
    alice = await live.user()
    room = await live.room(alice)
    assert live.http is not None
    raw = bad.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    escaped = raw.replace("\x00", "\\u0000").replace("\ud800", "\\ud800")

    async def send(method: str, path: str, body: str) -> int:
        response = await live.http.request(  # type: ignore[union-attr]
            method, path, content=body.encode(), headers=alice.headers | {"Content-Type": "application/json"}
        )
        return response.status_code

    rid = room["id"]
    assert await send("POST", f"/api/rooms/{rid}/messages", f'{{"content": "{escaped}"}}') == 422
    assert await send("POST", f"/api/rooms/{rid}/messages", f'{{"content": "ok", "client_id": "{escaped}"}}') == 422
    assert await send("POST", "/api/rooms", f'{{"name": "{escaped}"}}') == 422
    assert await send("POST", "/api/rooms", f'{{"name": "ok", "description": "{escaped}"}}') == 422
    assert await send("POST", "/api/rooms", f'{{"name": "ok", "members": ["{escaped}"]}}') == 422
    assert await send("POST", f"/api/rooms/{rid}/members", f'{{"username": "{escaped}"}}') == 422
    assert await send("POST", "/api/auth/login", f'{{"username": "{escaped}", "password": "whatever1"}}') == 422
    body = f'{{"username": "someone", "password": "whatever1", "display_name": "{escaped}"}}'
    assert await send("POST", "/api/auth/register", body) == 422
    search = await live.http.get("/api/rooms/public", params={"q": "a\x00b"}, headers=alice.headers)
    assert search.status_code == 422
    form = await live.http.post("/api/auth/token", data={"username": "a\x00b", "password": "whatever1"})
    assert form.status_code == 401
    assert (await history(live, alice, rid))["messages"] == []
    assert (await live.post(alice, rid, "still fine")).status_code == 201
