"""One WebSocket connection: its identity, how frames reach its socket, and its slow-consumer limit.

Under uvicorn's websockets-sansio protocol a connection writes finished frames to the transport
itself (held briefly by the `WriteCoalescer` during a broadcast); on any other server it queues
them for a writer task. Either way sending never waits, so a slow socket never holds back a
room: when more than SEND_QUEUE_LIMIT frames or SEND_QUEUE_BYTES bytes wait, the connection is
abandoned: what it holds is dropped, a 1013 close frame goes out behind the whole frames
already written, and the TCP connection lingers at most CLOSE_LINGER seconds for the client to
read it — a client that reads again sees 1013 and recovers with `since_seq`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol.codec import websocket_close_frame, websocket_text_frame

SERVER_CHANNEL_KEY = "roomcast.server_channel"

log = logging.getLogger("roomcast.gateway")

CLOSE_TIMEOUT = 2.0
# How long an abandoned (slow) socket may take to read its close frame before it is cut.
CLOSE_LINGER = 10.0
_slow_log = ThrottledLog(log, level=logging.WARNING)


@dataclass(slots=True)
class TokenBucket:
    """Frames per second a connection may send besides messages (typing, ping, auth)."""

    rate: float
    capacity: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def server_protocol(websocket: WebSocket) -> Any | None:
    """uvicorn's websockets-sansio protocol serving this socket, when that is the server.

    It writes each ASGI send straight to its transport and queues each received frame, so the
    gateway can write whole frames to the transport itself and take received frames from the
    protocol, skipping the middleware wrappers around `send` and `receive`.
    `CaptureServerChannel` (app.py) keeps the server's own `send` in the scope for this.
    """
    send = websocket.scope.get(SERVER_CHANNEL_KEY)
    protocol = getattr(send, "__self__", None)
    if type(protocol).__name__ != "WebSocketsSansIOProtocol":
        return None
    transport = getattr(protocol, "transport", None)
    # Duck-typed: uvloop's transports do not derive from asyncio's classes.
    if all(hasattr(transport, name) for name in ("write", "get_write_buffer_size", "is_closing")):
        return protocol
    return None


class WriteCoalescer:
    """One write per socket for everything a broadcast pass and its immediate aftermath send.

    A group commit fans out many messages at once, and the senders' `message_sent` frames
    follow a loop iteration later. From `hold()` until two loop iterations later, direct-write
    connections keep their frames in a list; `flush` then writes each socket's frames with one
    `write`: a socket that gets three frames costs one syscall instead of three (the syscalls
    are most of the fan-out's CPU). Order per socket is kept, and a closing socket flushes first.
    """

    def __init__(self) -> None:
        self.holding = False
        self.dirty: list[Connection] = []

    def hold(self) -> None:
        if self.holding:
            return
        self.holding = True
        loop = asyncio.get_running_loop()
        # The second hop lets the tasks woken by this pass (senders awaiting their commit) add
        # their frames before the flush.
        loop.call_soon(loop.call_soon, self.flush)

    def flush(self) -> None:
        self.holding = False
        dirty, self.dirty = self.dirty, []
        for connection in dirty:
            connection.flush()


class Connection:
    # Slots: every delivery reads a dozen of these attributes, and a plain instance dict stops
    # sharing keys (and its attribute reads lose their fast path) past 30 attributes.
    __slots__ = (
        "_abandoned",
        "_close_code",
        "_close_reason",
        "_closing",
        "_coalescer",
        "_finisher",
        "_held",
        "_linger",
        "_out",
        "_out_size",
        "_queue",
        "_queue_size",
        "_ready",
        "_transport",
        "_unflushed",
        "_wakeup",
        "_writer",
        "closed",
        "expiry_timer",
        "frames",
        "id",
        "queue_bytes",
        "queue_limit",
        "reader",
        "receive",
        "room_id",
        "seen_seq",
        "session_id",
        "typing",
        "typing_timer",
        "user_id",
        "username",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        room_id: str,
        user_id: str,
        username: str,
        queue_limit: int,
        coalescer: WriteCoalescer,
        queue_bytes: int = 1 << 20,
        session_id: str = "",
    ) -> None:
        self.id = uuid.uuid4().hex
        self.websocket = websocket
        self.room_id = room_id
        self.user_id = user_id
        self.username = username
        self.session_id = session_id
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self.frames = TokenBucket(rate=20, capacity=40)
        self.typing = False
        self.typing_timer: asyncio.TimerHandle | None = None
        self.expiry_timer: asyncio.TimerHandle | None = None
        # Room events with seq at or below this were already sent (connected / recovery).
        self.seen_seq = 0
        self._ready = False
        self._held: list[tuple[int, bytes, bytes]] = []
        self._queue: deque[bytes] = deque()
        self._queue_size = 0  # bytes in _queue
        self._wakeup = asyncio.Event()
        self._closing = False
        self._close_code = 1000
        self._close_reason = ""
        self._writer: asyncio.Task[None] | None = None
        # The task reading this socket; interrupted when the server closes the connection so
        # that the handler returns at once instead of waiting for the peer's close frame.
        self.reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        protocol = server_protocol(websocket)
        self._transport: asyncio.WriteTransport | None = protocol.transport if protocol is not None else None
        # The next received ASGI message: straight from the server's queue when we can.
        self.receive: Callable[[], Awaitable[Message]] = protocol.receive if protocol is not None else websocket.receive
        # Frames written since the transport's buffer was last empty: those still waiting.
        self._unflushed = 0
        self._coalescer = coalescer
        self._out: list[bytes] = []  # frames held by the coalescer, not yet written
        self._out_size = 0  # bytes in _out
        self._finisher: asyncio.Future[None] | None = None
        self._abandoned = False
        self._linger: asyncio.TimerHandle | None = None

    @property
    def is_closing(self) -> bool:
        return self._closing

    def start_writer(self) -> None:
        if self._transport is None:
            self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.id}")

    def send(self, frame: bytes, wire: bytes | None = None) -> None:
        """Send one JSON text frame; `wire` is its RFC 6455 form when the caller already built it."""
        if self._closing:
            return
        transport = self._transport
        if transport is not None:
            if transport.is_closing():
                return
            buffered = transport.get_write_buffer_size()
            if buffered == 0:
                self._unflushed = len(self._out)
            elif self._unflushed >= self.queue_limit or buffered + self._out_size > self.queue_bytes:
                self._too_slow(self._unflushed, buffered + self._out_size)
                return
            self._unflushed += 1
            data = wire if wire is not None else websocket_text_frame(frame)
            coalescer = self._coalescer
            if coalescer.holding:
                if not self._out:
                    coalescer.dirty.append(self)
                self._out.append(data)
                self._out_size += len(data)
            else:
                transport.write(data)
            return
        if len(self._queue) >= self.queue_limit or self._queue_size + len(frame) > self.queue_bytes:
            self._too_slow(len(self._queue), self._queue_size)
            return
        self._queue.append(frame)
        self._queue_size += len(frame)
        self._wakeup.set()

    def flush(self) -> None:
        """Write the frames the coalescer held, as one write."""
        out, self._out = self._out, []
        self._out_size = 0
        transport = self._transport
        if out and transport is not None and not transport.is_closing():
            transport.write(out[0] if len(out) == 1 else b"".join(out))

    def _too_slow(self, frames: int, size: int) -> None:
        _slow_log.log(
            "slow consumer",
            "send queue full, closing slow connection",
            user_id=self.user_id,
            room_id=self.room_id,
            queued_frames=frames,
            queued_bytes=size,
        )
        metrics.ERRORS.labels(type="slow_consumer").inc()
        self.abandon(1013, "send queue full")

    def abandon(self, code: int, reason: str) -> None:
        """Close a socket whose client is not reading: drop what waits here, then the close frame.

        The server's regular close waits for the socket to drain, which a client that does not
        read never lets happen; so the close frame is written behind the whole frames already
        handed to the transport, and the connection is cut if it is still not read after
        CLOSE_LINGER seconds.
        """
        if self._closing:
            return
        self._closing = True
        transport = self._transport
        self._abandoned = transport is not None
        self._close_code = code
        self._close_reason = reason
        self._out.clear()
        self._out_size = 0
        self._queue.clear()
        self._queue_size = 0
        if transport is not None:
            if not transport.is_closing():
                transport.write(websocket_close_frame(code, reason))
                self._linger = asyncio.get_running_loop().call_later(CLOSE_LINGER, self._hang_up, transport)
            self.closed.set()
            if self.reader is not None:
                self.reader.cancel()
        elif self._writer is not None:
            # The writer is stuck on a full socket buffer: interrupt it so that it closes now.
            self._writer.cancel()

    @staticmethod
    def _hang_up(transport: asyncio.WriteTransport) -> None:
        if transport.get_write_buffer_size() > 0:
            transport.abort()
        elif not transport.is_closing():
            transport.close()  # everything, the close frame included, is with the kernel: FIN after it

    def deliver_message(self, seq: int, frame: bytes, wire: bytes) -> None:
        """A live room event (`new_message`, `message_updated`): held until `connected` is out,
        dropped if already sent."""
        if not self._ready:
            self._held.append((seq, frame, wire))
            return
        if seq <= self.seen_seq:
            return
        self.seen_seq = seq
        self.send(frame, wire)

    def mark_ready(self) -> None:
        self._ready = True
        held, self._held = self._held, []
        for seq, frame, wire in held:
            self.deliver_message(seq, frame, wire)

    def close(self, code: int, reason: str = "") -> None:
        """Flush what is queued (up to CLOSE_TIMEOUT), then close with `code`."""
        if self._closing:
            return
        self.flush()
        self._closing = True
        self._close_code = code
        self._close_reason = reason
        if self._transport is not None:
            self._finisher = asyncio.ensure_future(self._finish())
        else:
            self._wakeup.set()

    async def _write_loop(self) -> None:
        ws = self.websocket
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    frame = self._queue.popleft()
                    self._queue_size -= len(frame)
                    await ws.send_text(frame.decode())
                if self._closing:
                    break
        except Exception:
            self._closing = True
        finally:
            await self._finish()

    async def _finish(self) -> None:
        ws = self.websocket
        connected = ws.application_state == WebSocketState.CONNECTED and ws.client_state == WebSocketState.CONNECTED
        if connected and not self._abandoned:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(self._close_code, self._close_reason), CLOSE_TIMEOUT)
        self.closed.set()
        if self.reader is not None:
            self.reader.cancel()

    async def wait_closed(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except TimeoutError:
            if self._writer is not None:
                self._writer.cancel()

    def cancel_timers(self) -> None:
        # Not the linger: it outlives the handler, bounding how long an abandoned socket stays.
        for timer in (self.typing_timer, self.expiry_timer):
            if timer is not None:
                timer.cancel()
