"""The local hub: this instance's sockets per room, fed by the pub/sub backend.

Each payload arrives once per instance and is decoded once; its frame text is shared by
every local socket. Per room the hub keeps the newest event seq it delivered (new messages
and changes share the room's seq, SPEC §4a): a repeat is dropped, and a jump (a lost
publication, a Redis outage, another instance's event overtaking) is filled from the
database first, so sockets always see `seq` in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson

from roomcast.backends.base import PubSub
from roomcast.gateway.connection import Connection, WriteCoalescer
from roomcast.observability import metrics
from roomcast.protocol.codec import LOGGED, Envelope, websocket_text_frame

log = logging.getLogger("roomcast.gateway")

# Reads a room's log with seq in (after, upto): [(seq, frame)] (new_message, message_updated).
GapReader = Callable[[str, int, int], Awaitable[list[tuple[int, bytes]]]]
RESYNC_BATCH = 500
# Cluster-wide publications that concern no one room (a session logged out); never a room id,
# which is a UUID.
CONTROL_CHANNEL = "~control"


class RoomChannel:
    __slots__ = ("connections", "last_seq")

    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}
        self.last_seq = 0


class Hub:
    def __init__(self, pubsub: PubSub, read_gap: GapReader) -> None:
        self._pubsub = pubsub
        self._read_gap = read_gap
        self.rooms: dict[str, RoomChannel] = {}
        self.coalescer = WriteCoalescer()
        # Runs after every resync: publications (kicks too) may have been lost meanwhile.
        self.on_resynced: Callable[[], Awaitable[object]] | None = None

    async def start(self) -> None:
        await self._pubsub.start(self.on_payload, self.resync)
        await self._pubsub.subscribe(CONTROL_CHANNEL)

    async def resync(self) -> None:
        """After a pub/sub outage: deliver, in seq order, what each room committed meanwhile."""
        await self.catch_up()
        if self.on_resynced is not None:
            try:
                await self.on_resynced()
            except Exception:
                log.exception("post-resync check failed")

    async def catch_up(self) -> None:
        """Deliver from the database, in seq order, what each room committed past its last delivery."""
        for room_id, channel in list(self.rooms.items()):
            while True:
                after = channel.last_seq
                try:
                    missed = await self._read_gap(room_id, after, after + RESYNC_BATCH + 1)
                except Exception:
                    log.exception("could not catch up a room", extra={"room_id": room_id})
                    break
                self._fan_out_missed(channel, missed)
                if len(missed) < RESYNC_BATCH:
                    break

    async def attach(self, connection: Connection, room_last_seq: int) -> None:
        channel = self.rooms.get(connection.room_id)
        if channel is None:
            channel = self.rooms[connection.room_id] = RoomChannel()
            channel.last_seq = room_last_seq
            await self._pubsub.subscribe(connection.room_id)
        channel.connections[connection.id] = connection
        metrics.OPEN_SOCKETS.inc()

    async def detach(self, connection: Connection) -> None:
        channel = self.rooms.get(connection.room_id)
        if channel is None or channel.connections.pop(connection.id, None) is None:
            return
        metrics.OPEN_SOCKETS.dec()
        if not channel.connections:
            del self.rooms[connection.room_id]
            await self._pubsub.unsubscribe(connection.room_id)

    def connections(self) -> list[Connection]:
        return [c for channel in self.rooms.values() for c in channel.connections.values()]

    async def publish(self, room_id: str, envelope: Envelope) -> None:
        await self._pubsub.publish(room_id, envelope.encode())

    async def on_payload(self, room_id: str, payload: bytes) -> None:
        if room_id == CONTROL_CHANNEL:
            self._on_control(payload)
            return
        channel = self.rooms.get(room_id)
        if channel is None:
            return
        self.coalescer.hold()
        try:
            envelope = Envelope.decode(payload)
        except Exception:
            log.error("undecodable publication", extra={"room_id": room_id})
            return
        if envelope.kind in LOGGED:
            await self._deliver_event(room_id, channel, envelope)
        elif envelope.kind == "kick":
            for connection in list(channel.connections.values()):
                if connection.user_id == envelope.user_id:
                    connection.close(1008, "removed from room")
        else:
            frame = envelope.frame
            wire = websocket_text_frame(frame)
            for connection in channel.connections.values():
                if connection.user_id != envelope.user_id:
                    connection.send(frame, wire)

    def _on_control(self, payload: bytes) -> None:
        try:
            envelope = Envelope.decode(payload)
            ended = set(orjson.loads(envelope.frame)) if envelope.kind == "logout" else set()
        except Exception:
            log.error("undecodable control publication")
            return
        for connection in self.connections():
            if connection.session_id in ended:
                connection.close(1008, "logged out")

    async def _deliver_event(self, room_id: str, channel: RoomChannel, envelope: Envelope) -> None:
        if envelope.seq <= channel.last_seq:
            return
        if envelope.seq > channel.last_seq + 1:
            try:
                missed = await self._read_gap(room_id, channel.last_seq, envelope.seq)
            except Exception:
                log.exception("could not fill a seq gap", extra={"room_id": room_id})
                missed = []
            self._fan_out_missed(channel, missed)
        if envelope.seq > channel.last_seq:  # another delivery may have run during the read
            self._fan_out(channel, envelope.seq, envelope)

    def _fan_out_missed(self, channel: RoomChannel, missed: list[tuple[int, bytes]]) -> None:
        """Events read back from the database, in seq order, skipping any already delivered."""
        for seq, frame in missed:
            if seq > channel.last_seq:
                self._fan_out(channel, seq, Envelope("update", frame, seq=seq))

    def _fan_out(self, channel: RoomChannel, seq: int, envelope: Envelope) -> None:
        channel.last_seq = seq
        frame = envelope.frame
        wire = websocket_text_frame(frame)  # framed once, written to every socket as is
        delivered = 0
        for connection in channel.connections.values():
            if connection.id == envelope.origin:
                own = envelope.frame_for(connection.id)
                if own is None:
                    continue
                connection.deliver_message(seq, own, websocket_text_frame(own))
            else:
                connection.deliver_message(seq, frame, wire)
            delivered += 1
        metrics.DELIVERIES.inc(delivered)
