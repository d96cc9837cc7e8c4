"""One WebSocket connection: its identity, its rooms, how frames reach its peer, and its
slow-consumer limit.

Frames go to the peer (`gateway.peer`) whole, held briefly by the `WriteCoalescer` during a
broadcast. Sending never waits, so a slow socket never holds back a room: when more than
SEND_QUEUE_LIMIT frames or SEND_QUEUE_BYTES bytes wait, the connection is abandoned: what it
holds is dropped, a 1013 close frame goes out behind the whole frames already written, and the
peer lingers a while for the client to read it — a client that reads again sees 1013 and
recovers with `since_seq`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roomcast.gateway.peer import Peer
from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol.codec import websocket_text_frame

if TYPE_CHECKING:
    from roomcast.gateway.subscription import Subscription
    from roomcast.gateway.watch import RoomWatch

log = logging.getLogger("roomcast.gateway")

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
    # Slots: every delivery reads a dozen of these attributes.
    __slots__ = (
        "_closed",
        "_closing",
        "_coalescer",
        "_finisher",
        "_out",
        "_out_size",
        "_unflushed",
        "expiry_timer",
        "fixed_room",
        "frames",
        "id",
        "peer",
        "queue_bytes",
        "queue_limit",
        "session_id",
        "subscribe_budget",
        "subscriptions",
        "user_id",
        "username",
        "watches",
    )

    def __init__(
        self,
        peer: Peer,
        fixed_room: str | None,
        user_id: str,
        username: str,
        queue_limit: int,
        coalescer: WriteCoalescer,
        queue_bytes: int = 1 << 20,
        session_id: str = "",
    ) -> None:
        self.id = uuid.uuid4().hex
        self.peer = peer
        # A room socket's one room (/ws/{room_id}); None for a user connection (/ws).
        self.fixed_room = fixed_room
        self.subscriptions: dict[str, Subscription] = {}
        self.watches: dict[str, RoomWatch] = {}  # a user connection's rooms (gateway.watch)
        self.user_id = user_id
        self.username = username
        self.session_id = session_id
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self.frames = TokenBucket(rate=20, capacity=40)
        self.subscribe_budget: TokenBucket | None = None  # a user connection's, from its first subscribe
        self.expiry_timer: asyncio.TimerHandle | None = None
        self._closing = False
        # Done once the peer is closed (a future, not an Event: every idle socket holds one).
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Frames written since the peer's buffer was last empty: those still waiting.
        self._unflushed = 0
        self._coalescer = coalescer
        self._out: list[tuple[bytes, bytes]] = []  # frames held by the coalescer, not yet written
        self._out_size = 0  # bytes in _out
        self._finisher: asyncio.Future[None] | None = None

    @property
    def is_closing(self) -> bool:
        return self._closing

    def send(self, frame: bytes, wire: bytes | None = None) -> None:
        """Send one JSON text frame; `wire` is its RFC 6455 form when the caller already built it."""
        if self._closing:
            return
        peer = self.peer
        if peer.clear:  # the common case: two attribute reads
            self._unflushed = len(self._out)
        else:
            if peer.is_closing():
                return
            buffered = peer.buffered()
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
            self._out.append((frame, data))
            self._out_size += len(data)
        else:
            peer.write([(frame, data)])

    def flush(self) -> None:
        """Write the frames the coalescer held, as one write."""
        out, self._out = self._out, []
        self._out_size = 0
        if out and not self.peer.is_closing():
            self.peer.write(out)

    def _too_slow(self, frames: int, size: int) -> None:
        _slow_log.log(
            "slow consumer",
            "send queue full, closing slow connection",
            user_id=self.user_id,
            connection=self.id,
            queued_frames=frames,
            queued_bytes=size,
        )
        metrics.ERRORS.labels(type="slow_consumer").inc()
        self.abandon(1013, "send queue full")

    def abandon(self, code: int, reason: str) -> None:
        """Close a socket whose client is not reading: drop what waits here, then the close frame
        behind the whole frames already written (the peer cuts it if it stays unread)."""
        if self._closing:
            return
        self._closing = True
        self._out.clear()
        self._out_size = 0
        self.peer.abandon(code, reason)
        self._mark_closed()

    def rooms_followed(self) -> set[str]:
        """The rooms whose events reach this socket: subscribed, or watched (a user connection)."""
        rooms = {room_id for room_id, subscription in self.subscriptions.items() if not subscription.ended}
        rooms.update(room_id for room_id, watch in self.watches.items() if not watch.stopped)
        return rooms

    def close(self, code: int, reason: str = "") -> None:
        """Write what is held, then close with `code` (the close handshake is bounded)."""
        if self._closing:
            return
        self.flush()
        self._closing = True
        self._finisher = asyncio.ensure_future(self._finish(code, reason))

    async def _finish(self, code: int, reason: str) -> None:
        try:
            await self.peer.close(code, reason)
        finally:
            self._mark_closed()

    def _mark_closed(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    async def wait_closed(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._closed), timeout)

    def cancel_timers(self) -> None:
        if self.expiry_timer is not None:
            self.expiry_timer.cancel()
        for subscription in self.subscriptions.values():
            subscription.cancel_timers()
        for watch in self.watches.values():
            watch.stop()
