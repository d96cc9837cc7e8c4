"""SPEC §4 send_message: confirmation, broadcast, idempotency, order, rate limit, storage failure."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import text

from tests.conftest import LiveServer, hold_commits


async def history(live: LiveServer, user, room_id: str) -> list[dict]:
    response = await live.http.get(f"/api/rooms/{room_id}/messages", params={"limit": 200}, headers=user.headers)
    return response.json()["messages"]


async def test_sender_gets_message_sent_and_the_others_new_message(live: LiveServer) -> None:
    users, room, (a, b, c) = await live.joined(3)
    await a.send("send_message", content="hello", client_id="k1")
    sent = await a.expect("message_sent")
    assert sent["client_id"] == "k1"
    message = sent["message"]
    assert message["content"] == "hello" and message["seq"] == 1 and message["client_id"] == "k1"
    assert message["sender_id"] == users[0].id and message["sender_username"] == users[0].username
    assert (await b.expect("new_message"))["message"] == message
    assert (await c.expect("new_message"))["message"] == message
    await a.silent(("new_message",))
    assert [m["id"] for m in await history(live, users[0], room["id"])] == [message["id"]]


async def test_second_tab_of_the_sender_receives_new_message(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    a2 = await live.connect(room["id"], users[0])
    await a2.expect("connected")
    await a.send("send_message", content="from tab one")
    await a.expect("message_sent")
    assert (await a2.expect("new_message"))["message"]["content"] == "from tab one"


async def test_rest_post_is_broadcast_to_every_socket(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    response = await live.post(users[0], room["id"], "via rest")
    assert response.status_code == 201
    assert (await a.expect("new_message"))["message"]["id"] == response.json()["id"]
    assert (await b.expect("new_message"))["message"]["id"] == response.json()["id"]


async def test_invalid_content_is_a_non_retryable_message_error_and_stores_nothing(start_server) -> None:
    live = await start_server(MAX_MESSAGE_LENGTH=20, MESSAGE_RATE_LIMIT=3)
    users, room, (a, b) = await live.joined(2)
    for content in ["", "   \n\t", 42, None, ["x"], "x" * 21]:
        await a.send("send_message", content=content, client_id="bad")
        error = await a.expect("message_error")
        assert error["retryable"] is False and error["client_id"] == "bad", error
    await b.silent(("new_message",))
    # Refused messages do not count against the rate limit.
    for n in range(3):
        await a.send("send_message", content=f"ok{n}")
        await a.expect("message_sent")
    contents = [m["content"] for m in await history(live, users[0], room["id"])]
    assert contents == ["ok0", "ok1", "ok2"]


async def test_duplicate_client_id_returns_the_original_and_broadcasts_once(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    await a.send("send_message", content="once", client_id="same")
    first = await a.expect("message_sent")
    await b.expect("new_message")
    await a.send("send_message", content="once again", client_id="same")
    again = await a.expect("message_sent")
    assert again["message"] == first["message"]
    await b.silent(("new_message",))
    assert len(await history(live, users[0], room["id"])) == 1
    # The same client_id from another sender is another message.
    await b.send("send_message", content="mine", client_id="same")
    assert (await b.expect("message_sent"))["message"]["seq"] == 2


async def test_order_under_concurrent_senders(start_server) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=10000)
    users, room, clients = await live.joined(5)
    per_sender = 40

    async def burst(index: int) -> None:
        for n in range(per_sender):
            await clients[index].send("send_message", content=f"{index}:{n}", client_id=f"{index}-{n}")

    await asyncio.gather(*(burst(i) for i in range(len(clients))))
    total = per_sender * len(clients)
    for index, client in enumerate(clients):
        seqs: list[int] = []
        own: list[int] = []
        async with asyncio.timeout(20):
            while len(seqs) + len(own) < total:
                frame = await client.recv()
                if frame["type"] == "new_message":
                    seqs.append(frame["data"]["message"]["seq"])
                elif frame["type"] == "message_sent":
                    own.append(frame["data"]["message"]["seq"])
        assert seqs == sorted(seqs) and own == sorted(own), f"client {index} saw seqs out of order"
        assert sorted(seqs + own) == list(range(1, total + 1))
    contents = [m["content"] for m in await history(live, users[0], room["id"])]
    for index in range(len(clients)):
        mine = [c for c in contents if c.startswith(f"{index}:")]
        assert mine == [f"{index}:{n}" for n in range(per_sender)], "a sender's messages kept their order"


async def test_rate_limit_counts_across_rooms_and_sockets(start_server) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=10, RATE_LIMIT_WINDOW=60)
    alice, bob = await live.user(), await live.user()
    room1 = await live.room(alice, bob, name="one")
    room2 = await live.room(alice, bob, name="two")
    a1 = await live.connect(room1["id"], alice)
    a2 = await live.connect(room2["id"], alice)
    b2 = await live.connect(room2["id"], bob)
    for client in (a1, a2, b2):
        await client.expect("connected")
    for n in range(10):
        sender = a1 if n % 2 else a2
        await sender.send("send_message", content=f"m{n}")
        await sender.expect("message_sent")
    for _ in range(5):
        await b2.expect("new_message")
    await a2.send("send_message", content="eleventh", client_id="late")
    refused = await a2.expect("rate_limit_exceeded")
    assert refused["error"] == "Rate limit exceeded"
    assert refused["client_id"] == "late"
    info = refused["rate_limit_info"]
    assert info["messages_sent"] == 10 and info["max_messages"] == 10
    assert 55 <= info["time_until_reset"] <= 60
    await b2.silent(("new_message",))
    contents = [m["content"] for m in await history(live, alice, room2["id"])]
    assert "eleventh" not in contents
    # Another user is not limited by alice's sends.
    await b2.send("send_message", content="bob is fine")
    await b2.expect("message_sent")


async def test_storage_failure_answers_retryable_error_and_broadcasts_nothing(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    engine = live.services.engine
    async with engine.begin() as conn:  # a real failure: the table the writer inserts into is gone
        await conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    try:
        await a.send("send_message", content="lost?", client_id="retry-me")
        error = await a.expect("message_error", timeout=8)
        assert error == {"error": error["error"], "client_id": "retry-me", "retryable": True, "action": "send"}
        await b.silent(("new_message",), within=0.5)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    await a.send("send_message", content="lost?", client_id="retry-me")
    sent = await a.expect("message_sent")
    assert sent["message"]["seq"] == 1, "the failed attempt left no gap"
    assert (await b.expect("new_message"))["message"]["id"] == sent["message"]["id"]
    health = await live.http.get("/health")
    assert health.json()["status"] == "ok"


def sample(metrics_text: str, name: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def test_each_stored_message_is_timed_from_receipt_to_commit_and_delivery(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    names = ("roomcast_receive_to_commit_seconds_count", "roomcast_receive_to_delivered_seconds_count")
    before = (await live.http.get("/metrics")).text
    await a.send("send_message", content="timed")
    await a.expect("message_sent")
    await live.post(users[1], room["id"], "timed too")
    after = (await live.http.get("/metrics")).text
    for name in names:
        assert sample(after, name) - sample(before, name) == 2, name


async def test_a_held_write_lock_delays_the_commit_but_never_the_event_loop(live: LiveServer) -> None:
    """Another connection holding SQLite's write lock: the batch waits off the loop, then commits."""
    url = live.services.settings.database_url
    if not url.startswith("sqlite"):
        return  # a PostgreSQL run: row locks, no database-wide write lock to hold
    users, room, (a, b) = await live.joined(2)
    blocker = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        await a.send("send_message", content="waits for the lock", client_id="locked")
        await b.send("ping")
        await b.expect("pong", timeout=1)  # the loop kept serving while the batch waited
        await a.silent(("message_sent",), within=0.3)
        blocker.execute("COMMIT")
    finally:
        blocker.close()
    sent = await a.expect("message_sent", timeout=5)
    assert sent["client_id"] == "locked" and sent["message"]["seq"] == 1
    assert (await b.expect("new_message"))["message"]["id"] == sent["message"]["id"]
    assert [m["content"] for m in await history(live, users[0], room["id"])] == ["waits for the lock"]


async def test_a_commit_stuck_past_five_seconds_answers_a_retryable_error(live: LiveServer, monkeypatch) -> None:
    """SPEC §4: a message not committed within 5 s gets message_error (retryable) and no broadcast."""
    users, room, (a, b) = await live.joined(2)
    release = hold_commits(live, monkeypatch)
    await a.send("send_message", content="stuck", client_id="slow-1")
    error = await a.expect("message_error", timeout=7)
    assert error["client_id"] == "slow-1" and error["retryable"] is True
    await b.silent(("new_message",), within=0.2)
    release.set()
    # The writer still commits the draft; the retry finds it by client_id instead of storing it twice.
    await a.send("send_message", content="stuck", client_id="slow-1")
    sent = await a.expect("message_sent", timeout=5)
    assert sent["message"]["seq"] == 1
    assert [m["content"] for m in await history(live, users[0], room["id"])] == ["stuck"]
