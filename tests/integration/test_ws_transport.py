"""SPEC §4 over the wire: RFC 6455 edge cases on raw TCP sockets, with hand-built frames.

These tests are the transport's contract: they speak to a real server on 127.0.0.1 with a
hand-written HTTP upgrade, masked client frames built here and server frames parsed here, so they
hold for any WebSocket implementation behind the endpoint. No WebSocket client library is used
for the socket under test (the other members of a room use the suite's usual client).

The raw client reads through its own `asyncio.Protocol` rather than `asyncio.open_connection`:
a `StreamReader` raises a connection reset before handing out bytes it already holds, and a
server that closes with unread input (an oversized frame) resets the connection right after its
close frame, which would then be lost.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import struct
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

from tests.conftest import LiveServer, User

# SPEC §4: "Frames over 64 KiB are refused (close 1009)" (roomcast.server.MAX_FRAME_BYTES today).
MAX_FRAME_BYTES = 64 * 1024
WAIT = 5.0  # seconds: the bound of every wait in this file
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
CONTROL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)


# --- a tiny RFC 6455 codec -------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    fin: bool
    opcode: int
    payload: bytes
    masked: bool = False
    rsv: int = 0

    @property
    def close_code(self) -> int | None:
        """The status code of a CLOSE frame (None when the frame carries none: 1005)."""
        assert self.opcode == OP_CLOSE, self
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> str:
        assert self.opcode == OP_CLOSE, self
        return self.payload[2:].decode()


def apply_mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return b""
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    value = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return value.to_bytes(len(payload), "big")


def encode_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True) -> bytes:
    """One client frame: masked with a random key unless `mask=False` (which RFC 6455 forbids)."""
    head = bytearray([(0x80 if fin else 0x00) | opcode])
    mask_bit = 0x80 if mask else 0x00
    length = len(payload)
    if length < 126:
        head.append(mask_bit | length)
    elif length < 1 << 16:
        head.append(mask_bit | 126)
        head += struct.pack("!H", length)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", length)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + apply_mask(payload, key)


def decode_frame(buffer: bytes | bytearray) -> tuple[Frame, int] | None:
    """The first frame in `buffer` and its length in bytes, or None while it is incomplete."""
    if len(buffer) < 2:
        return None
    first, second = buffer[0], buffer[1]
    length = second & 0x7F
    offset = 2
    if length == 126:
        if len(buffer) < offset + 2:
            return None
        (length,) = struct.unpack("!H", buffer[offset : offset + 2])
        offset += 2
    elif length == 127:
        if len(buffer) < offset + 8:
            return None
        (length,) = struct.unpack("!Q", buffer[offset : offset + 8])
        offset += 8
    masked = bool(second & 0x80)
    key = b""
    if masked:
        if len(buffer) < offset + 4:
            return None
        key = bytes(buffer[offset : offset + 4])
        offset += 4
    if len(buffer) < offset + length:
        return None
    payload = bytes(buffer[offset : offset + length])
    if masked:
        payload = apply_mask(payload, key)
    frame = Frame(fin=bool(first & 0x80), opcode=first & 0x0F, payload=payload, masked=masked, rsv=first & 0x70)
    return frame, offset + length


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()


def json_payload(kind: str, **data: Any) -> bytes:
    return orjson.dumps({"type": kind, "data": data})


def split(payload: bytes, parts: int) -> list[bytes]:
    """`payload` cut into `parts` non-empty pieces of about equal size."""
    step = -(-len(payload) // parts)
    pieces = [payload[i : i + step] for i in range(0, len(payload), step)]
    assert len(pieces) == parts, (len(payload), parts)
    return pieces


# --- a raw client ----------------------------------------------------------------------------


class Wire(asyncio.Protocol):
    """Bytes in arrival order; EOF, a reset and a local abort all just end the stream."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.ended = False
        self.changed = asyncio.Event()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.changed.set()

    def eof_received(self) -> bool:
        self.ended = True
        self.changed.set()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.changed.set()


@dataclass
class Handshake:
    status_line: str
    headers: dict[str, str]
    key: str


@dataclass
class Closed:
    """The server's CLOSE frame and the data frames that came before it."""

    code: int | None
    reason: str
    frame: Frame
    before: list[Frame] = field(default_factory=list)


class RawWebSocket:
    def __init__(self, wire: Wire) -> None:
        assert wire.transport is not None
        self.wire = wire
        self.transport: asyncio.Transport = wire.transport
        self._fragments: list[Frame] = []

    @classmethod
    async def open(cls, port: int, path: str) -> tuple[RawWebSocket, Handshake]:
        loop = asyncio.get_running_loop()
        _, wire = await asyncio.wait_for(loop.create_connection(Wire, "127.0.0.1", port), WAIT)
        ws = cls(wire)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
        )
        ws.transport.write(request.encode())
        head = await ws._read_http_head()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return ws, Handshake(status_line, headers, key)

    async def _wait_for_bytes(self) -> None:
        if self.wire.ended:
            raise EOFError("the server ended the TCP connection")
        self.wire.changed.clear()
        await self.wire.changed.wait()

    async def _read_http_head(self) -> bytes:
        async with asyncio.timeout(WAIT):
            while (end := self.wire.buffer.find(b"\r\n\r\n")) < 0:
                await self._wait_for_bytes()
        head = bytes(self.wire.buffer[:end])
        del self.wire.buffer[: end + 4]
        return head

    # sending

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True) -> None:
        if not self.transport.is_closing():  # writes after the server hung up go nowhere
            self.transport.write(encode_frame(opcode, payload, fin=fin, mask=mask))

    def send_json(self, kind: str, **data: Any) -> None:
        self.send_frame(OP_TEXT, json_payload(kind, **data))

    def send_fragmented(self, opcode: int, pieces: list[bytes]) -> None:
        for i, piece in enumerate(pieces):
            self.send_frame(opcode if i == 0 else OP_CONT, piece, fin=i == len(pieces) - 1)

    def send_close(self, code: int, reason: str = "") -> None:
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    def abort(self) -> None:
        """Vanish: no CLOSE frame, no FIN: SO_LINGER 0 turns the close into a TCP reset."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    # receiving

    async def read_frame(self, timeout: float = WAIT) -> Frame:
        """The next frame on the wire, exactly as the server framed it."""
        async with asyncio.timeout(timeout):
            while (decoded := decode_frame(self.wire.buffer)) is None:
                await self._wait_for_bytes()
        frame, size = decoded
        del self.wire.buffer[:size]
        return frame

    async def read_message(self, timeout: float = WAIT) -> Frame:
        """The next control frame, or the next data message with its fragments joined."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.read_frame(timeout)
                assert not frame.masked, f"the server masked a frame: {frame}"
                assert frame.rsv == 0, f"RSV bits without an extension: {frame}"
                if frame.opcode in CONTROL_OPCODES:
                    assert frame.fin and len(frame.payload) <= 125, frame
                    return frame
                if frame.opcode == OP_CONT:
                    assert self._fragments, f"a continuation with no message to continue: {frame}"
                else:
                    assert not self._fragments, f"a new message inside a fragmented one: {frame}"
                self._fragments.append(frame)
                if frame.fin:
                    first, *_ = self._fragments
                    payload = b"".join(f.payload for f in self._fragments)
                    self._fragments = []
                    return Frame(fin=True, opcode=first.opcode, payload=payload)

    async def recv_json(self, timeout: float = WAIT) -> dict[str, Any]:
        """The next JSON text message; the server's own keepalive PINGs are answered on the way."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.read_message(timeout)
                if message.opcode == OP_PING:
                    self.send_frame(OP_PONG, message.payload)
                    continue
                if message.opcode == OP_PONG:
                    continue
                assert message.opcode == OP_TEXT, f"expected a text message, got {message}"
                frame = orjson.loads(message.payload)
                assert isinstance(frame, dict), frame
                return frame

    async def expect(self, kind: str, timeout: float = WAIT) -> dict[str, Any]:
        """The data of the next JSON frame of `kind`, skipping others (presence) on the way."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv_json(timeout)
                if frame["type"] == kind:
                    data = frame["data"]
                    assert isinstance(data, dict), frame
                    return data

    async def expect_pong(self, payload: bytes, timeout: float = WAIT) -> None:
        """A PONG control frame carrying `payload` (data messages on the way are not expected)."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.read_message(timeout)
                if message.opcode == OP_PING:
                    self.send_frame(OP_PONG, message.payload)
                    continue
                assert message.opcode == OP_PONG, f"expected a PONG, got {message}"
                if message.payload == payload:
                    return

    async def expect_close(self, timeout: float = WAIT) -> Closed:
        """Read until the server's CLOSE frame; the data messages before it are kept."""
        before: list[Frame] = []
        async with asyncio.timeout(timeout):
            while True:
                message = await self.read_message(timeout)
                if message.opcode == OP_CLOSE:
                    return Closed(message.close_code, message.close_reason, message, before)
                if message.opcode in (OP_TEXT, OP_BINARY):
                    before.append(message)

    async def wait_ended(self, timeout: float = WAIT) -> bytes:
        """Wait for the end of the TCP connection; what arrived after the CLOSE frame is returned."""
        async with asyncio.timeout(timeout):
            while not self.wire.ended:
                self.wire.changed.clear()
                await self.wire.changed.wait()
        rest = bytes(self.wire.buffer)
        self.wire.buffer.clear()
        return rest


class RawClients:
    """Opens raw sockets to the live server and hangs up whatever is left open after the test."""

    def __init__(self, live: LiveServer) -> None:
        self.live = live
        self.opened: list[RawWebSocket] = []

    async def handshake(self, room_id: str, user: User) -> tuple[RawWebSocket, Handshake]:
        ws, handshake = await RawWebSocket.open(self.live.port, f"/ws/{room_id}?token={user.token}")
        self.opened.append(ws)
        return ws, handshake

    async def connect(self, room_id: str, user: User) -> RawWebSocket:
        """A raw socket past the upgrade and the `connected` frame."""
        ws, handshake = await self.handshake(room_id, user)
        assert handshake.status_line.split(" ")[1] == "101", handshake
        await ws.expect("connected")
        return ws

    def hang_up_all(self) -> None:
        for ws in self.opened:
            if not ws.transport.is_closing():
                ws.transport.abort()


@pytest.fixture
async def raw(live: LiveServer) -> AsyncIterator[RawClients]:
    clients = RawClients(live)
    try:
        yield clients
    finally:
        clients.hang_up_all()


async def room_of(live: LiveServer, *users: User) -> dict[str, Any]:
    owner, *members = users
    return await live.room(owner, *members)


async def stored_contents(live: LiveServer, room_id: str, user: User) -> list[str]:
    assert live.http is not None
    response = await live.http.get(f"/api/rooms/{room_id}/messages", params={"limit": 200}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [m["content"] for m in response.json()["messages"]]


# --- the tests -------------------------------------------------------------------------------


async def test_handshake_answers_101_with_the_right_accept_and_the_first_frame_is_connected(
    live: LiveServer, raw: RawClients
) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws, handshake = await raw.handshake(room["id"], alice)
    version, status, *_ = handshake.status_line.split(" ")
    assert (version, status) == ("HTTP/1.1", "101"), handshake
    assert handshake.headers.get("upgrade", "").lower() == "websocket", handshake
    assert "upgrade" in [t.strip().lower() for t in handshake.headers.get("connection", "").split(",")], handshake
    expected = base64.b64encode(hashlib.sha1((handshake.key + WS_GUID).encode()).digest()).decode()
    assert handshake.headers.get("sec-websocket-accept") == expected, handshake
    first = await ws.read_frame()
    assert first.opcode == OP_TEXT and first.fin and not first.masked and first.rsv == 0, first
    connected = orjson.loads(first.payload)
    assert connected["type"] == "connected", connected
    assert connected["data"]["room_id"] == room["id"]
    assert connected["data"]["user"]["id"] == alice.id


async def test_a_fragmented_text_message_is_handled_as_one_frame(live: LiveServer, raw: RawClients) -> None:
    alice, bob = await live.user(), await live.user()
    room = await room_of(live, alice, bob)
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    ws = await raw.connect(room["id"], alice)

    ws.send_fragmented(OP_TEXT, split(json_payload("ping"), 3))  # TEXT fin=0, CONT fin=0, CONT fin=1
    pong = await ws.expect("pong")
    assert isinstance(pong["timestamp"], float)

    # The fragment boundaries fall inside multi-byte UTF-8 characters: only the whole message is text.
    content = "fragmented ✓ héllo ☃ 🎉"
    payload = json_payload("send_message", content=content, client_id="frag-1")
    cut = payload.index("✓".encode()) + 1
    cut2 = payload.index("🎉".encode()) + 2
    ws.send_fragmented(OP_TEXT, [payload[:cut], payload[cut:cut2], payload[cut2:]])
    sent = await ws.expect("message_sent")
    assert sent["client_id"] == "frag-1"
    assert sent["message"]["content"] == content
    assert (await b.expect("new_message"))["message"]["content"] == content
    assert content in await stored_contents(live, room["id"], alice)


async def test_a_ping_control_frame_is_answered_with_the_same_payload_even_between_fragments(
    live: LiveServer, raw: RawClients
) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws = await raw.connect(room["id"], alice)

    ws.send_frame(OP_PING, b"are you there?")
    await ws.expect_pong(b"are you there?")

    # RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message.
    first, second = split(json_payload("ping"), 2)
    ws.send_frame(OP_TEXT, first, fin=False)
    ws.send_frame(OP_PING, b"\x00mid-message\xff")  # a PING payload is bytes, not text
    await ws.expect_pong(b"\x00mid-message\xff")  # answered before the message is complete
    ws.send_frame(OP_CONT, second, fin=True)
    assert isinstance((await ws.expect("pong"))["timestamp"], float)

    ws.send_json("send_message", content="still working", client_id="after-pings")
    assert (await ws.expect("message_sent"))["client_id"] == "after-pings"


async def test_a_close_from_the_client_is_answered_with_close_1000_then_the_tcp_connection_ends(
    live: LiveServer, raw: RawClients
) -> None:
    alice, bob = await live.user(), await live.user()
    room = await room_of(live, alice, bob)
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    ws = await raw.connect(room["id"], alice)
    await b.expect("user_joined")

    ws.send_close(1000, "bye")
    closed = await ws.expect_close()
    assert closed.code == 1000, closed
    assert not closed.frame.masked
    assert await ws.wait_ended() == b"", "nothing may follow a CLOSE frame"
    assert (await b.expect("user_left"))["user_id"] == alice.id


async def test_a_close_from_the_server_reaches_the_raw_client_with_1008_and_the_tcp_connection_ends(
    live: LiveServer, raw: RawClients
) -> None:
    owner, bob = await live.user(), await live.user()
    room = await room_of(live, owner, bob)
    ws = await raw.connect(room["id"], bob)
    assert live.http is not None
    # SPEC §3: removing a member closes their live connections to the room with 1008.
    response = await live.http.delete(f"/api/rooms/{room['id']}/members/{bob.id}", headers=owner.headers)
    assert response.status_code == 204, response.text
    closed = await ws.expect_close()
    assert closed.code == 1008, closed
    ws.send_close(1008)  # the client completes the closing handshake
    assert await ws.wait_ended() == b"", "nothing may follow a CLOSE frame"


async def test_an_oversized_frame_is_closed_with_1009(live: LiveServer, raw: RawClients) -> None:
    alice, bob = await live.user(), await live.user()
    room = await room_of(live, alice, bob)
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    ws = await raw.connect(room["id"], alice)
    payload = json_payload("send_message", content="x" * MAX_FRAME_BYTES)
    assert len(payload) > MAX_FRAME_BYTES
    ws.send_frame(OP_TEXT, payload)
    closed = await ws.expect_close()
    assert closed.code == 1009, closed
    await ws.wait_ended()
    await b.send("ping")
    await b.expect("pong")


async def test_an_oversized_message_of_small_fragments_is_closed_with_1009(live: LiveServer, raw: RawClients) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws = await raw.connect(room["id"], alice)
    payload = json_payload("send_message", content="y" * (MAX_FRAME_BYTES + 16 * 1024), client_id="too-big")
    pieces = split(payload, 20)
    assert all(len(piece) < MAX_FRAME_BYTES // 4 for piece in pieces)
    ws.send_fragmented(OP_TEXT, pieces)
    closed = await ws.expect_close()
    assert closed.code == 1009, closed
    assert not [f for f in closed.before if b"message_sent" in f.payload], closed
    await ws.wait_ended()
    assert "y" * 100 not in "".join(await stored_contents(live, room["id"], alice))


async def test_invalid_utf8_in_a_text_frame_is_closed_with_1007(live: LiveServer, raw: RawClients) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws = await raw.connect(room["id"], alice)
    ws.send_frame(OP_TEXT, b"\xff\xfe")
    closed = await ws.expect_close()
    assert closed.code == 1007, closed
    await ws.wait_ended()


async def test_a_peer_that_vanishes_without_a_close_is_cleaned_up_and_the_server_keeps_serving(
    live: LiveServer, raw: RawClients
) -> None:
    alice, bob = await live.user(), await live.user()
    room = await room_of(live, alice, bob)
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    ws = await raw.connect(room["id"], alice)
    assert (await b.expect("user_joined"))["user_id"] == alice.id

    ws.abort()  # a TCP reset: no CLOSE frame, no FIN
    assert (await b.expect("user_left"))["user_id"] == alice.id

    again = await raw.connect(room["id"], alice)
    assert (await b.expect("user_joined"))["user_id"] == alice.id
    await b.send("send_message", content="welcome back", client_id="wb")
    assert (await b.expect("message_sent"))["client_id"] == "wb"
    assert (await again.expect("new_message"))["message"]["content"] == "welcome back"
    again.send_json("send_message", content="thanks", client_id=str(uuid.uuid4()))
    await again.expect("message_sent")
    assert (await b.expect("new_message"))["message"]["content"] == "thanks"


async def test_an_unmasked_client_frame_is_closed_with_1002(live: LiveServer, raw: RawClients) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws = await raw.connect(room["id"], alice)
    ws.send_frame(OP_TEXT, json_payload("ping"), mask=False)
    closed = await ws.expect_close()
    assert closed.code == 1002, closed
    assert not [f for f in closed.before if b'"pong"' in f.payload], "an unmasked frame must not be processed"
    await ws.wait_ended()


async def test_a_binary_frame_gets_an_error_frame_and_the_connection_stays_open(
    live: LiveServer, raw: RawClients
) -> None:
    alice = await live.user()
    room = await room_of(live, alice)
    ws = await raw.connect(room["id"], alice)
    ws.send_frame(OP_BINARY, json_payload("ping"))
    frame = await ws.recv_json()
    assert frame["type"] == "error", frame  # SPEC §4: "binary frames get `error`"
    assert isinstance(frame["data"]["error"], str) and frame["data"]["error"]
    ws.send_json("ping")
    await ws.expect("pong")
    ws.send_json("send_message", content="after binary", client_id="ab")
    assert (await ws.expect("message_sent"))["client_id"] == "ab"


# --- event-driven connections (no task while a socket is idle) ---------------------------------


def roomcast_tasks() -> list[asyncio.Task[Any]]:
    """The live server's tasks that run roomcast's own code (the test and uvicorn excluded)."""
    tasks = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and f"{os.sep}roomcast{os.sep}" in code.co_filename:
            tasks.append(task)
    return tasks


async def test_an_idle_socket_holds_no_task_of_its_own(live: LiveServer, raw: RawClients) -> None:
    """Under the own transport a socket's frames are handled in its callbacks: once admitted,
    twenty idle sockets leave no task behind (a task per socket would be twenty)."""
    users = [await live.user() for _ in range(20)]
    room = await room_of(live, *users)
    before = len(roomcast_tasks())
    sockets = [await raw.connect(room["id"], user) for user in users]
    async with asyncio.timeout(WAIT):
        while len(roomcast_tasks()) > before:  # noqa: ASYNC110 (no event says "no task left")
            await asyncio.sleep(0.02)
    assert len(roomcast_tasks()) == before
    sockets[0].send_json("ping")  # and each is still served
    assert (await sockets[0].recv_json())["type"] in ("pong", "user_joined")


async def test_frames_written_in_one_burst_are_answered_in_order(
    start_server: Any,
) -> None:
    """A client that pipelines far more frames than the session holds back (its reading pauses
    meanwhile) gets every one handled, in the order sent: sends commit with increasing seq."""
    live = await start_server(MESSAGE_RATE_LIMIT=1000)
    raw = RawClients(live)
    try:
        alice, bob = await live.user(), await live.user()
        room = await room_of(live, alice, bob)
        ws = await raw.connect(room["id"], alice)
        burst = 150
        ws.transport.write(
            b"".join(
                encode_frame(OP_TEXT, json_payload("send_message", content=f"m{n}", client_id=f"c{n}"))
                for n in range(burst)
            )
            + encode_frame(OP_TEXT, json_payload("ping"))
        )
        confirmed: list[tuple[str, int]] = []
        async with asyncio.timeout(30):
            while True:
                frame = await ws.recv_json(timeout=30)
                if frame["type"] == "message_sent":
                    confirmed.append((frame["data"]["client_id"], frame["data"]["message"]["seq"]))
                elif frame["type"] == "pong":
                    break
        assert confirmed == [(f"c{n}", n + 1) for n in range(burst)]
    finally:
        raw.hang_up_all()
