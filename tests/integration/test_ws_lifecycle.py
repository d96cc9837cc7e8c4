"""SPEC §4 lifecycle: removal, token expiry and refresh, SIGTERM drain, logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from tests.conftest import PASSWORD, TEST_SECRET, LiveServer, User, free_port
from tests.contract.env import redis_url


async def closed_code(client, timeout: float = 5) -> tuple[int, str]:
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(timeout):
            while True:
                await client.ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def test_removed_member_is_disconnected_at_once_and_cannot_come_back(live: LiveServer) -> None:
    owner, bob, carol = await live.user(), await live.user(), await live.user()
    room = await live.room(owner, bob, carol)
    b1 = await live.connect(room["id"], bob)
    b2 = await live.connect(room["id"], bob)
    c = await live.connect(room["id"], carol)
    for client in (b1, b2, c):
        await client.expect("connected")
    response = await live.http.delete(f"/api/rooms/{room['id']}/members/{bob.id}", headers=owner.headers)
    assert response.status_code == 204
    assert await closed_code(b1) == (1008, "removed from room")
    assert await closed_code(b2) == (1008, "removed from room")
    assert (await c.expect("user_left"))["user_id"] == bob.id
    await live.post(owner, room["id"], "after removal")
    assert (await c.expect("new_message"))["message"]["content"] == "after removal"
    again = await live.connect(room["id"], bob)
    assert await closed_code(again) == (1008, "not a participant")


async def test_leaving_closes_own_sockets(live: LiveServer) -> None:
    owner, bob = await live.user(), await live.user()
    room = await live.room(owner, bob)
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    assert (await live.http.post(f"/api/rooms/{room['id']}/leave", headers=bob.headers)).status_code == 204
    assert (await closed_code(b))[0] == 1008


async def test_token_expiry_closes_the_socket_unless_refreshed(start_server) -> None:
    # Three seconds: token times are whole seconds, so the first tokens live at least 2 s, more
    # than the 1.1 s wait before bob refreshes his.
    live = await start_server(ACCESS_TOKEN_TTL=3)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)

    async def fresh_token(user: User) -> str:
        return (await live.services.sessions.do_start(uuid.UUID(user.id), user.username)).access_token

    a = await live.connect(room["id"], alice)
    b = await live.connect(room["id"], bob)
    await a.expect("connected")
    await b.expect("connected")
    await asyncio.sleep(1.1)  # a later token expires later (whole-second timestamps)
    await b.send("auth", token="garbage")
    assert (await b.expect("error"))["error"] == "invalid token"
    await b.send("auth", token=await fresh_token(alice))
    assert (await b.expect("error"))["error"] == "invalid token"  # another user's token
    await b.send("auth", token=await fresh_token(bob))
    assert await closed_code(a, timeout=4) == (1008, "token expired")
    await b.send("ping")
    await b.expect("pong")  # bob refreshed in time and lives on
    assert await closed_code(b, timeout=4) == (1008, "token expired")


def spawn(tmp_path: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sigterm.db",
        "JWT_SECRET": TEST_SECRET,
        "MESSAGE_RATE_LIMIT": "1000",
    }
    env.pop("REDIS_URL", None)
    if workers > 1:
        env["REDIS_URL"] = redis_url()  # several workers are one cluster through Redis
    return subprocess.Popen(
        [sys.executable, "-m", "roomcast", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_commits_and_delivers_in_flight_sends_then_closes_with_1001(tmp_path: Path, workers: int) -> None:
    """uvicorn's own graceful shutdown, in one process or in each of several workers, drains the
    gateway through roomcast's WebSocket protocol: nothing patched into uvicorn."""
    port = free_port()
    process = spawn(tmp_path, port, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for _ in range(200):
                try:
                    await http.get("/health")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            tokens = {}
            for name in ("alice_t", "bob_t"):
                await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
                login = await http.post("/api/auth/login", json={"username": name, "password": PASSWORD})
                tokens[name] = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {tokens['alice_t']}"}
            room = (await http.post("/api/rooms", json={"name": "t", "members": ["bob_t"]}, headers=headers)).json()
        url = f"ws://127.0.0.1:{port}/ws/{room['id']}?token="
        async with websockets.connect(url + tokens["alice_t"]) as a, websockets.connect(url + tokens["bob_t"]) as b:
            # Each socket's `connected` (presence frames of the other may come first): only
            # then do the sends begin, so every one of them reaches bob as a `new_message`.
            for ws in (a, b):
                async with asyncio.timeout(10):
                    while orjson.loads(await ws.recv())["type"] != "connected":
                        pass
            burst = 50
            for n in range(burst):
                await a.send(orjson.dumps({"type": "send_message", "data": {"content": f"secret-{n}"}}).decode())
            process.send_signal(signal.SIGTERM)
            sent, delivered = set(), set()
            codes = []
            for ws, bucket, kind in ((a, sent, "message_sent"), (b, delivered, "new_message")):
                try:
                    async with asyncio.timeout(15):
                        while True:
                            frame = orjson.loads(await ws.recv())
                            if frame["type"] == kind:
                                bucket.add(frame["data"]["message"]["seq"])
                except websockets.ConnectionClosed as closed:
                    assert closed.rcvd is not None
                    codes.append(closed.rcvd.code)
            assert codes == [1001, 1001]
            # Every send the server took in before SIGTERM was committed, confirmed and
            # delivered, in order: with two workers bob may sit on the other one, which drains
            # at the same moment and waits for its peer's in-flight sends (DrainBarrier).
            assert sent and sent == delivered == set(range(1, len(sent) + 1))
        assert process.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
        with closing(sqlite3.connect(tmp_path / "sigterm.db")) as database:
            committed = {seq for (seq,) in database.execute("SELECT seq FROM messages")}
        assert committed == sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode() if process.stderr else ""
    records = [orjson.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    connects = [r for r in records if r.get("msg") == "connected"]
    assert len(connects) == 2 and all("user_id" in r and "room_id" in r for r in connects)
    assert any(r.get("msg") == "disconnected" for r in records)
    assert "secret-" not in stderr, "message content must not be logged at info level"
