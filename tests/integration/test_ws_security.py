"""SPEC §4/§7 on the WebSocket door: removal that really removes, connection limits, bounded
input, the browser origin, slow readers closed so that they see 1013, sessions that end."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

import pytest
import websockets
from sqlalchemy import text

from roomcast.storage.sqlite_commit import SqliteBatchStore
from tests.conftest import PASSWORD, LiveServer, User, hold_commits
from tests.integration.test_ws_lifecycle import closed_code
from tests.integration.test_ws_robustness import raw_websocket


async def history(live: LiveServer, user: User, room_id: str) -> list[dict]:
    assert live.http is not None
    response = await live.http.get(f"/api/rooms/{room_id}/messages?limit=200", headers=user.headers)
    return response.json()["messages"]


async def open_quietly(live: LiveServer, room_id: str, user: User) -> websockets.ClientConnection | None:
    try:
        return await websockets.connect(live.ws_url(room_id, user.token), open_timeout=10)
    except (OSError, websockets.InvalidHandshake):
        return None


async def test_no_socket_survives_a_removal_that_races_its_handshake(live: LiveServer) -> None:
    owner = await live.user()
    for attempt in range(3):
        member = await live.user()
        room = await live.room(owner, member, name=f"race{attempt}")
        opening = [asyncio.create_task(open_quietly(live, room["id"], member)) for _ in range(12)]
        await asyncio.sleep(0.005 * attempt)
        assert live.http is not None
        removed = await live.http.delete(f"/api/rooms/{room['id']}/members/{member.id}", headers=owner.headers)
        assert removed.status_code == 204, removed.text
        sockets = [ws for ws in await asyncio.gather(*opening) if ws is not None]
        # Every socket, whenever it was admitted, is closed with 1008; whatever it tries is refused.
        for ws in sockets:
            try:
                await ws.send('{"type": "send_message", "data": {"content": "after removal"}}')
                await ws.send('{"type": "typing_start", "data": {}}')
            except websockets.ConnectionClosed:
                pass
        for ws in sockets:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(5):
                    while True:
                        frame = await ws.recv()
                        assert '"message_sent"' not in str(frame), frame
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        assert not [m for m in await history(live, owner, room["id"]) if m["sender_id"] == member.id]


async def test_the_commit_refuses_a_member_removed_behind_the_gateways_back(live: LiveServer) -> None:
    """However the removal was learned of (here: not at all, the kick is lost), a send is refused."""
    owner, member = await live.user(), await live.user()
    room = await live.room(owner, member)
    client = await live.connect(room["id"], member)
    await client.expect("connected")
    live.services.rooms.kick = None  # the kick publication is lost
    assert live.http is not None
    response = await live.http.delete(f"/api/rooms/{room['id']}/members/{member.id}", headers=owner.headers)
    assert response.status_code == 204
    await client.send("send_message", content="sneaky", client_id="s1")
    assert await closed_code(client) == (1008, "not a participant")
    assert await history(live, owner, room["id"]) == []


async def test_the_membership_lease_closes_a_socket_whose_kick_was_lost(live: LiveServer) -> None:
    owner, member = await live.user(), await live.user()
    room = await live.room(owner, member)
    watcher = await live.connect(room["id"], member)
    await watcher.expect("connected")
    live.services.rooms.kick = None
    assert live.http is not None
    await live.http.delete(f"/api/rooms/{room['id']}/members/{member.id}", headers=owner.headers)
    assert await live.app.state.gateway.lease.sweep() == 1  # what the lease does every LEASE seconds
    assert await closed_code(watcher) == (1008, "removed from room")


async def test_connections_per_user_are_limited(start_server) -> None:
    live = await start_server(MAX_CONNECTIONS_PER_USER=3)
    owner = await live.user()
    room = await live.room(owner)
    other = await live.room(owner, name="other")
    clients = [await live.connect(room["id"], owner), await live.connect(room["id"], owner)]
    clients.append(await live.connect(other["id"], owner))  # both rooms count
    for client in clients:
        await client.expect("connected")
    extra = await live.connect(room["id"], owner)
    assert await closed_code(extra) == (1008, "too many connections")
    await clients[0].close()
    async with asyncio.timeout(5):
        while True:
            again = await live.connect(room["id"], owner)
            frame = await again.recv()
            if frame["type"] == "connected":
                break
            await asyncio.sleep(0.05)  # the closed socket's slot is released a moment later


@pytest.mark.redis
async def test_the_connection_limit_holds_across_instances(start_server) -> None:
    from tests.contract.env import flush
    from tests.contract.env import redis_url as shared_redis

    redis_url = shared_redis()
    await flush(redis_url)
    first = await start_server(MAX_CONNECTIONS_PER_USER=2, REDIS_URL=redis_url)
    second = await start_server(MAX_CONNECTIONS_PER_USER=2, REDIS_URL=redis_url)
    owner = await first.user()
    room = await first.room(owner)
    a = await first.connect(room["id"], owner)
    b = await second.connect(room["id"], owner)
    await a.expect("connected")
    await b.expect("connected")
    assert await closed_code(await second.connect(room["id"], owner)) == (1008, "too many connections")
    assert await closed_code(await first.connect(room["id"], owner)) == (1008, "too many connections")


@pytest.mark.parametrize("since_seq", ["9" * 30, "-1", "1e3", "%2B5", "%205", "5_000", "", str(2**53)])
async def test_since_seq_out_of_range_is_a_clear_1008(live: LiveServer, since_seq: str) -> None:
    owner = await live.user()
    room = await live.room(owner)
    client = await live.connect(room["id"], owner, since_seq=since_seq)
    assert await closed_code(client) == (1008, "invalid since_seq")


async def test_the_largest_since_seq_is_accepted(live: LiveServer) -> None:
    owner = await live.user()
    room = await live.room(owner)
    client = await live.connect(room["id"], owner, since_seq=str(2**53 - 1))
    data = await client.expect("connected")
    assert data["recent_messages"] == [] and data["recovered"] is True


async def test_a_foreign_browser_origin_is_refused_before_the_handshake(start_server) -> None:
    live = await start_server()
    owner = await live.user()
    room = await live.room(owner)
    url = live.ws_url(room["id"], owner.token)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    for origin in (f"http://127.0.0.1:{live.port}", "http://localhost:5173", None):
        async with websockets.connect(url, origin=origin) as ws:
            assert '"connected"' in str(await asyncio.wait_for(ws.recv(), 5))
    strict = await start_server(ALLOWED_ORIGINS="https://chat.example.com")
    url = strict.ws_url(room["id"], owner.token)
    for origin in ("http://localhost:5173", "https://chat.example.com.evil.example"):
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(url, origin=origin)
    async with websockets.connect(url, origin="https://chat.example.com") as ws:
        assert '"connected"' in str(await asyncio.wait_for(ws.recv(), 5))


def read_frames_until_close(sock: socket.socket) -> tuple[int, int]:
    """Read server frames from a raw socket: (text frames seen, close code)."""
    buffer = b""
    texts = 0

    def take(n: int) -> bytes:
        nonlocal buffer
        while len(buffer) < n:
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("EOF before the close frame")
            buffer += chunk
        head, buffer = buffer[:n], buffer[n:]
        return head

    while True:
        first, second = take(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", take(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", take(8))[0]
        payload = take(size)
        opcode = first & 0x0F
        if opcode == 0x8:
            return texts, struct.unpack("!H", payload[:2])[0]
        texts += opcode == 0x1


async def test_a_reader_that_stops_reading_meets_1013_when_it_reads_again_and_recovers(start_server) -> None:
    live = await start_server(SEND_QUEUE_BYTES=65536, MESSAGE_RATE_LIMIT=100000, MAX_MESSAGE_LENGTH=60000)
    users, room, (a, unread) = await live.joined()
    slow = users[1]
    await unread.close()  # a socket nobody reads would be a second slow consumer of the same user
    gateway = live.app.state.gateway

    async def registered(count: int) -> None:
        async with asyncio.timeout(10):
            while sum(c.user_id == slow.id for c in gateway.hub.connections()) != count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    await registered(0)
    sock = await asyncio.to_thread(raw_websocket, live.port, f"/ws/{room['id']}?token={slow.token}", 4096)
    sock.settimeout(10)
    try:
        await registered(1)  # the 101 comes before the gateway registers the socket
        content = "z" * 20_000
        for n in range(300):
            await a.send("send_message", content=f"{n} {content}")
            await a.expect("message_sent", timeout=10)
            if not any(c.user_id == slow.id for c in gateway.hub.connections()):
                break  # the slow socket is gone
        assert not any(c.user_id == slow.id for c in gateway.hub.connections())
        # It reads again: the whole frames written before, then the close frame with 1013.
        texts, code = await asyncio.to_thread(read_frames_until_close, sock)
        assert code == 1013
        assert texts >= 1  # at least `connected`
    finally:
        sock.close()
    last_seq = len(await history(live, users[0], room["id"]))
    # Recovery with since_seq: nothing lost.
    client = await live.connect(room["id"], slow, since_seq=0)
    data = await client.expect("connected")
    assert data["recovered"] is True
    assert [m["seq"] for m in data["recent_messages"]] == list(range(1, last_seq + 1))


async def test_logout_closes_the_sessions_sockets_and_its_token_stops_working(live: LiveServer) -> None:
    assert live.http is not None
    owner = await live.user()
    room = await live.room(owner)
    login = await live.http.post("/api/auth/login", json={"username": owner.username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    session_user = User(owner.id, owner.username, tokens["access_token"])
    in_session = await live.connect(room["id"], session_user)
    other_session = await live.connect(room["id"], owner)
    await in_session.expect("connected")
    await other_session.expect("connected")
    out = await live.http.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert await closed_code(in_session) == (1008, "logged out")
    await other_session.send("ping")
    await other_session.expect("pong")  # another session of the same user lives on
    again = await live.connect(room["id"], session_user)
    assert await closed_code(again) == (1008, "logged out")
    await other_session.send("auth", token=session_user.token)
    assert (await other_session.expect("error"))["error"] == "logged out"


async def test_a_send_given_up_while_queued_is_never_stored(live: LiveServer, monkeypatch) -> None:
    """message_error means: not stored, or stored and found again by its client_id."""
    users, room, (a, b) = await live.joined(2)
    release = hold_commits(live, monkeypatch)
    await a.send("send_message", content="in flight", client_id="f1")
    await asyncio.sleep(0.2)  # its batch is now the stuck one
    await b.send("send_message", content="queued, no client id")
    assert (await a.expect("message_error", timeout=7))["retryable"] is True
    assert (await b.expect("message_error", timeout=7))["retryable"] is True
    release.set()
    await a.send("send_message", content="in flight", client_id="f1")
    assert (await a.expect("message_sent", timeout=5))["message"]["seq"] == 1
    await asyncio.sleep(0.3)
    assert [m["content"] for m in await history(live, users[0], room["id"])] == ["in flight"]


async def test_no_reader_sees_a_message_before_its_commit_is_durable(live: LiveServer) -> None:
    """SQLite: the COMMIT runs (synced, then visible) in the writer's thread; holding that thread
    stands for a slow disk. Before, the commit was visible while its fsync still waited.
    PostgreSQL: a commit is visible once its WAL record is flushed under synchronous_commit=on."""
    store = live.services.messages.writer._store
    if not isinstance(store, SqliteBatchStore):
        async with live.services.engine.connect() as conn:
            assert (await conn.execute(text("SHOW synchronous_commit"))).scalar_one() == "on"
        return
    owner = await live.user()
    room = await live.room(owner)
    gate = threading.Event()
    stalled = asyncio.get_running_loop().run_in_executor(store._executor, gate.wait, 10)
    sending = asyncio.create_task(live.post(owner, room["id"], "not yet durable"))
    try:
        await asyncio.sleep(0.3)
        assert await history(live, owner, room["id"]) == []  # a REST reader does not see it
        recovering = await live.connect(room["id"], owner, since_seq=0)
        assert (await recovering.expect("connected"))["recent_messages"] == []
    finally:
        gate.set()
    await stalled
    assert (await sending).status_code == 201
    assert [m["content"] for m in await history(live, owner, room["id"])] == ["not yet durable"]


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("edit_message", {"content": "rewritten"}),
        ("delete_message", {}),
        ("add_reaction", {"emoji": "👎"}),
    ],
)
async def test_the_commit_refuses_a_change_by_a_member_removed_behind_the_gateways_back(
    live: LiveServer, kind: str, data: dict[str, str]
) -> None:
    """Edits, deletes and reactions pass the same participant check in the commit as sends."""
    owner, member = await live.user(), await live.user()
    room = await live.room(owner, member)
    posted = await live.post(member, room["id"], "mine")
    assert posted.status_code == 201
    client = await live.connect(room["id"], member)
    await client.expect("connected")
    live.services.rooms.kick = None  # the kick publication is lost
    assert live.http is not None
    response = await live.http.delete(f"/api/rooms/{room['id']}/members/{member.id}", headers=owner.headers)
    assert response.status_code == 204
    await client.send(kind, message_id=posted.json()["id"], client_id="c1", **data)
    assert await closed_code(client) == (1008, "not a participant")
    (stored,) = await history(live, owner, room["id"])
    assert (stored["content"], stored["deleted"], stored["reactions"], stored["edited_at"]) == ("mine", False, [], None)
    # Nor through REST, now that the room knows.
    path = f"/api/rooms/{room['id']}/messages/{posted.json()['id']}"
    assert (await live.http.patch(path, json={"content": "x"}, headers=member.headers)).status_code == 403
    assert (await live.http.delete(path, headers=member.headers)).status_code == 403
