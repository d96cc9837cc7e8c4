"""One room as one socket follows it: where the room's frames stand on that socket, and typing.

A room socket (`/ws/{room_id}`) holds one subscription, made at the handshake; a user
connection (`/ws`, SPEC §4b) holds one per `subscribe`. Both are the same thing, except that on
a user connection every frame about the room carries `room_id` in its data (`tagged`), since
one socket carries many rooms.
"""

from __future__ import annotations

import asyncio

from roomcast.gateway.connection import Connection
from roomcast.protocol.codec import with_room_id


class Subscription:
    __slots__ = (
        "_held",
        "_ready",
        "connection",
        "ended",
        "id",
        "room_id",
        "seen_seq",
        "tagged",
        "typing",
        "typing_timer",
        "user_id",
    )

    def __init__(self, connection: Connection, room_id: str, tagged: bool) -> None:
        self.connection = connection
        # The connection's: a socket follows a room at most once, and a publication's `origin`
        # names the socket.
        self.id = connection.id
        self.user_id = connection.user_id
        self.room_id = room_id
        self.tagged = tagged
        # Room events with seq at or below this were already sent (the greeting, recovery).
        self.seen_seq = 0
        self._ready = False
        self._held: list[tuple[int, bytes, bytes]] = []
        self.ended = False  # left, removed or unsubscribed: nothing more reaches the socket
        self.typing = False
        self.typing_timer: asyncio.TimerHandle | None = None

    def send(self, frame: bytes) -> None:
        """A frame about this room to this socket alone (`room_id` added on a user connection)."""
        if not self.ended:
            self.connection.send(with_room_id(frame, self.room_id) if self.tagged else frame)

    def send_framed(self, frame: bytes, wire: bytes) -> None:
        """A frame of the room (typing, presence), already in this socket's form."""
        if not self.ended:
            self.connection.send(frame, wire)

    def deliver_message(self, seq: int, frame: bytes, wire: bytes) -> None:
        """A live room event (`new_message`, `message_updated`), already in this socket's form:
        held until the greeting is out, dropped if already sent."""
        if not self._ready:
            if not self.ended:
                self._held.append((seq, frame, wire))
            return
        if seq <= self.seen_seq:
            return
        self.seen_seq = seq
        self.connection.send(frame, wire)

    def mark_ready(self) -> None:
        self._ready = True
        held, self._held = self._held, []
        for seq, frame, wire in held:
            self.deliver_message(seq, frame, wire)

    def end(self) -> None:
        """Nothing more of the room reaches the socket, from now on (the hub lets go of it next)."""
        self.ended = True
        self._ready = False
        self._held.clear()

    def cancel_timers(self) -> None:
        if self.typing_timer is not None:
            self.typing_timer.cancel()
            self.typing_timer = None
