"""SPEC §4 robustness: bad frames, oversized and binary frames, floods, slow consumers."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import orjson
import pytest
import websockets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from tests.conftest import LiveServer


async def test_malformed_frames_get_error_and_the_connection_lives(live: LiveServer) -> None:
    _, _, (a, _b) = await live.joined()
    cases = {
        "not json": "invalid JSON",
        "[1, 2]": "frame must be a JSON object",
        '"text"': "frame must be a JSON object",
        "{}": "missing type",
        '{"type": 7}': "missing type",
        '{"type": "dance", "data": {}}': "unknown type",
        '{"type": "send_message", "data": []}': "bad data",
        '{"type": "send_message", "data": {"content": "x", "client_id": 5}}': "bad data",
        '{"type": "auth", "data": {}}': "bad data",
    }
    for raw, error in cases.items():
        await a.ws.send(raw)
        frame = await a.expect("error")
        assert frame["error"] == error, (raw, frame)
    await a.send("ping")
    pong = await a.expect("pong")
    assert isinstance(pong["timestamp"], float)


async def test_binary_frames_get_error(live: LiveServer) -> None:
    _, _, (a, _b) = await live.joined()
    await a.ws.send(b'{"type": "ping"}')
    frame = await a.expect("error")
    assert "binary" in frame["error"]
    await a.send("ping")
    await a.expect("pong")


async def test_frames_over_64_kib_close_with_1009(live: LiveServer) -> None:
    _, _, (a, b) = await live.joined()
    await a.ws.send(orjson.dumps({"type": "send_message", "data": {"content": "x" * 70_000}}).decode())
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(5):
            while True:
                await a.ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    await b.send("ping")
    await b.expect("pong")


async def test_a_flood_of_typing_and_pings_is_throttled_not_fatal(live: LiveServer) -> None:
    _, _, (a, b) = await live.joined()
    for _ in range(200):
        await a.send("ping")
    kinds = []
    async with asyncio.timeout(5):
        while len(kinds) < 200:
            kinds.append((await a.recv())["type"])
    assert kinds.count("pong") < 100
    assert "error" in kinds
    await asyncio.sleep(1.1)
    await a.send("ping")
    await a.expect("pong")
    await a.send("send_message", content="still here")
    await a.expect("message_sent")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
frames = st.one_of(
    st.text(max_size=200),
    json_values.map(lambda v: orjson.dumps(v).decode()),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["send_message", "typing_start", "typing_stop", "ping", "auth", "x"]),
            "data": json_values,
        }
    ).map(lambda v: orjson.dumps(v).decode()),
)


async def test_fuzzed_frames_never_kill_the_handler(start_server) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=100000)
    _, _, (a, _b) = await live.joined()
    batches: list[list[str]] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(frames, min_size=1, max_size=8))
    def collect(batch: list[str]) -> None:
        batches.append(batch)

    collect()
    for batch in batches:
        for raw in batch:
            await a.ws.send(raw)
        await asyncio.sleep(0.06)  # stay under the frame-rate limit for pings
        await a.ws.send('{"type": "ping"}')
        await a.expect("pong")


def raw_websocket(port: int, path: str, recv_buffer: int) -> socket.socket:
    """A client that completes the handshake and then never reads: the slowest consumer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert b" 101 " in response.split(b"\r\n")[0], response
    return sock


async def test_a_slow_consumer_is_closed_with_1013_and_the_room_keeps_flowing(start_server) -> None:
    live = await start_server(SEND_QUEUE_LIMIT=50, MESSAGE_RATE_LIMIT=100000, MAX_MESSAGE_LENGTH=60000)
    users, room, (a, b) = await live.joined()
    slow = users[1]
    path = f"/ws/{room['id']}?token={slow.token}"
    sock = await asyncio.to_thread(raw_websocket, live.port, path, 4096)
    try:
        content = "y" * 50_000  # big frames fill the kernel's socket buffers quickly
        total = 400
        received = 0
        started = asyncio.get_running_loop().time()

        async def read_confirmations() -> None:  # the sender is a fast reader too
            while True:
                await a.recv(timeout=30)

        confirmations = asyncio.create_task(read_confirmations())
        for n in range(total):
            await a.send("send_message", content=f"{n} {content}")
            if n % 20 == 19:
                while received < n - 10:  # the fast reader keeps up all along
                    frame = await b.recv()
                    received += frame["type"] == "new_message"
        async with asyncio.timeout(10):
            while received < total:
                frame = await b.recv()
                received += frame["type"] == "new_message"
        elapsed = asyncio.get_running_loop().time() - started
        confirmations.cancel()
        assert received == total
        assert elapsed < 30
        # The slow socket is closed with 1013 and leaves the room at once (a client that reads
        # nothing cannot see the code), while bob's fast socket is untouched.
        gateway = live.app.state.gateway
        async with asyncio.timeout(5):
            while sum(c.user_id == slow.id for c in gateway.hub.connections()) > 1:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        remaining = [c for c in gateway.hub.connections() if c.user_id == slow.id]
        assert len(remaining) == 1 and remaining[0].peer is not None
        assert REGISTRY.get_sample_value("roomcast_errors_total", {"type": "slow_consumer"}) >= 1
        await b.send("ping")
        await b.expect("pong")
    finally:
        sock.close()
