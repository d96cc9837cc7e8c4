"""The local hub: this instance's sockets, and per room the subscriptions that follow it, fed by
the pub/sub backend.

Each payload arrives once per instance and is decoded once; its frame text is shared by
every local socket that follows the room, in two forms at most: as room sockets receive it,
and with `room_id`, as user connections do. Per room the hub keeps the newest event seq it
delivered (new messages and changes share the room's seq, SPEC §4a): a repeat is dropped, and
a jump (a lost publication, a Redis outage, another instance's event overtaking) is filled
from the database first, so sockets always see `seq` in order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

from roomcast.backends.base import PubSub
from roomcast.gateway.connection import Connection, WriteCoalescer
from roomcast.gateway.subscription import Subscription
from roomcast.gateway.watch import ActivityClock, RoomWatch
from roomcast.observability import metrics
from roomcast.protocol.codec import LOGGED, Envelope, websocket_text_frame, with_room_id

log = logging.getLogger("roomcast.gateway")

# Reads a room's log with seq in (after, upto): [(seq, frame)] (new_message, message_updated).
GapReader = Callable[[str, int, int], Awaitable[list[tuple[int, bytes]]]]
RESYNC_BATCH = 500
# Cluster-wide publications that concern no one room (a session logged out); never a room id,
# which is a UUID.
CONTROL_CHANNEL = "~control"
# Each user's events (SPEC §4b: `read_marker`, `room_added`, `room_removed`) reach the instances
# holding one of the user's user connections on `~user:{user_id}`.
USER_CHANNEL = "~user:"
# Called for a subscription whose user left the room or was removed from it (`reason`).
OnRemoved = Callable[[Connection, str, str], None]  # connection, room id, reason
# Called for each local user connection of the user a user event is for: (connection, type, data).
OnUserEvent = Callable[[Connection, str, dict[str, Any]], None]


class RoomChannel:
    __slots__ = ("last_seq", "room_id", "subscriptions", "watches")

    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.subscriptions: dict[str, Subscription] = {}  # by connection id
        self.watches: dict[str, RoomWatch] = {}  # user connections of members, by connection id
        self.last_seq = 0

    @property
    def idle(self) -> bool:
        return not self.subscriptions and not self.watches


class RoomFrame:
    """One frame of a room in the forms its local sockets take, each framed once, when first asked."""

    __slots__ = ("_plain", "_room_id", "_tagged", "frame")

    def __init__(self, frame: bytes, room_id: str) -> None:
        self.frame = frame
        self._room_id = room_id
        self._plain: bytes | None = None
        self._tagged: tuple[bytes, bytes] | None = None

    def wire(self) -> bytes:
        if self._plain is None:
            self._plain = websocket_text_frame(self.frame)
        return self._plain

    def tagged(self) -> tuple[bytes, bytes]:
        if self._tagged is None:
            frame = with_room_id(self.frame, self._room_id)
            self._tagged = (frame, websocket_text_frame(frame))
        return self._tagged

    def deliver(self, subscription: Subscription, seq: int) -> None:
        if subscription.tagged:
            frame, wire = self.tagged()
            subscription.deliver_message(seq, frame, wire)
        else:
            subscription.deliver_message(seq, self.frame, self.wire())

    def send(self, subscription: Subscription) -> None:
        if subscription.tagged:
            subscription.send_framed(*self.tagged())
        else:
            subscription.send_framed(self.frame, self.wire())


class Hub:
    def __init__(self, pubsub: PubSub, read_gap: GapReader) -> None:
        self._pubsub = pubsub
        self._read_gap = read_gap
        self.rooms: dict[str, RoomChannel] = {}
        self.sockets: dict[str, Connection] = {}  # every open socket of this instance, by id
        self.coalescer = WriteCoalescer()
        self.activity = ActivityClock(self.coalescer)  # when watches send `room_activity`
        # Run around the catch-up after a pub/sub outage, when publications may have been lost:
        # removals first (nothing of a room may reach a socket whose user left it meanwhile),
        # then what else the sockets missed.
        self.before_catch_up: Callable[[], Awaitable[object]] | None = None
        self.after_catch_up: Callable[[], Awaitable[object]] | None = None
        self.on_removed: OnRemoved | None = None
        self.on_user_event: OnUserEvent | None = None
        self.users: dict[str, dict[str, Connection]] = {}  # user connections, by user and id

    async def start(self) -> None:
        await self._pubsub.start(self.on_payload, self.resync)
        await self._pubsub.subscribe(CONTROL_CHANNEL)

    async def resync(self) -> None:
        """After a pub/sub outage: deliver, in seq order, what each room committed meanwhile."""
        for hook in (self.before_catch_up, self.catch_up, self.after_catch_up):
            if hook is None:
                continue
            try:
                await hook()
            except Exception:
                log.exception("resync step failed")

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

    async def register(self, connection: Connection) -> None:
        self.sockets[connection.id] = connection
        metrics.OPEN_SOCKETS.inc()
        if connection.fixed_room is None:
            mine = self.users.get(connection.user_id)
            if mine is None:
                mine = self.users[connection.user_id] = {}
                await self._pubsub.subscribe(USER_CHANNEL + connection.user_id)
            mine[connection.id] = connection

    async def unregister(self, connection: Connection) -> None:
        if self.sockets.pop(connection.id, None) is None:
            return
        metrics.OPEN_SOCKETS.dec()
        mine = self.users.get(connection.user_id)
        if mine is not None and mine.pop(connection.id, None) is not None and not mine:
            del self.users[connection.user_id]
            await self._pubsub.unsubscribe(USER_CHANNEL + connection.user_id)

    async def attach(self, subscription: Subscription, room_last_seq: int) -> None:
        subscription.connection.subscriptions[subscription.room_id] = subscription
        channel = await self._channel(subscription.room_id, room_last_seq)
        channel.subscriptions[subscription.id] = subscription

    async def watch(self, watch: RoomWatch) -> None:
        watch.connection.watches[watch.room_id] = watch
        channel = await self._channel(watch.room_id, watch.last_seq)
        channel.watches[watch.connection.id] = watch

    def unwatch(self, watch: RoomWatch) -> Coroutine[Any, Any, None]:
        """Stop the watch now (nothing more of the room reaches it); what the result awaits is
        only the channel's release, should no one else follow the room here."""
        watch.stop()
        connection = watch.connection
        if connection.watches.get(watch.room_id) is watch:
            del connection.watches[watch.room_id]
        channel = self.rooms.get(watch.room_id)
        if channel is not None and channel.watches.get(connection.id) is watch:
            del channel.watches[connection.id]
        else:
            channel = None
        return self._release(channel)

    async def _channel(self, room_id: str, room_last_seq: int) -> RoomChannel:
        channel = self.rooms.get(room_id)
        if channel is None:
            channel = self.rooms[room_id] = RoomChannel(room_id)
            channel.last_seq = room_last_seq
            await self._pubsub.subscribe(room_id)
        return channel

    async def _release(self, channel: RoomChannel | None) -> None:
        if channel is not None and channel.idle and self.rooms.get(channel.room_id) is channel:
            del self.rooms[channel.room_id]
            await self._pubsub.unsubscribe(channel.room_id)

    async def detach(self, subscription: Subscription) -> None:
        room_id = subscription.room_id
        connection = subscription.connection
        if connection.subscriptions.get(room_id) is subscription:
            del connection.subscriptions[room_id]
        channel = self.rooms.get(room_id)
        if channel is None or channel.subscriptions.get(subscription.id) is not subscription:
            return
        del channel.subscriptions[subscription.id]
        await self._release(channel)

    def connections(self) -> list[Connection]:
        return list(self.sockets.values())

    async def publish(self, room_id: str, envelope: Envelope) -> None:
        await self._pubsub.publish(room_id, envelope.encode())

    async def on_payload(self, room_id: str, payload: bytes) -> None:
        if room_id == CONTROL_CHANNEL:
            self._on_control(payload)
            return
        if room_id.startswith(USER_CHANNEL):
            self._on_user_event(room_id.removeprefix(USER_CHANNEL), payload)
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
            reason = envelope.frame.decode() or "removed"
            # User connections hear of it on the user's own channel (`room_removed`).
            for subscription in list(channel.subscriptions.values()):
                kicked = not envelope.user_id or subscription.user_id == envelope.user_id
                if kicked and not subscription.tagged and self.on_removed:
                    self.on_removed(subscription.connection, subscription.room_id, reason)
        elif envelope.kind == "notice":
            frame = RoomFrame(envelope.frame, room_id)
            for subscription in channel.subscriptions.values():
                frame.send(subscription)
            for connection_id, watch in channel.watches.items():
                if connection_id not in channel.subscriptions and not watch.stopped:
                    watch.connection.send(*frame.tagged())
        else:
            frame = RoomFrame(envelope.frame, room_id)
            for subscription in channel.subscriptions.values():
                if subscription.user_id != envelope.user_id:
                    frame.send(subscription)

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

    def _on_user_event(self, user_id: str, payload: bytes) -> None:
        connections = self.users.get(user_id)
        if not connections:
            return
        try:
            envelope = Envelope.decode(payload)
            event = orjson.loads(envelope.frame)
            kind, data = event["type"], event["data"]
        except Exception:
            log.error("undecodable user event", extra={"user_id": user_id})
            return
        wire = websocket_text_frame(envelope.frame)
        for connection in list(connections.values()):
            if self.on_user_event is not None:
                self.on_user_event(connection, kind, data)
            connection.send(envelope.frame, wire)

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
        # Framed once, written to every socket as is (and once more with `room_id`, if any
        # user connection follows the room).
        frame = RoomFrame(envelope.frame, channel.room_id)
        plain, wire = envelope.frame, frame.wire()
        origin = envelope.origin  # "" for events read back from the database: no socket's id
        delivered = 0
        for subscription in channel.subscriptions.values():
            if subscription.id == origin:
                own = envelope.frame_for(origin)
                if own is None:
                    continue
                RoomFrame(own, channel.room_id).deliver(subscription, seq)
            elif subscription.tagged:
                subscription.deliver_message(seq, *frame.tagged())
            else:
                subscription.deliver_message(seq, plain, wire)
            delivered += 1
        metrics.DELIVERIES.inc(delivered)
        if channel.watches:
            event = orjson.loads(envelope.frame)  # once for all the room's watching connections
            kind, data = event["type"], event["data"]
            for watch in list(channel.watches.values()):
                watch.apply(seq, kind, data)
