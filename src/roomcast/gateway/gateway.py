"""The WebSocket endpoints (SPEC §4, §4b): admission, each client frame, and the socket's end.

Two doors, one gateway: `/ws/{room_id}` is a socket that follows one room from its handshake
(frames without `room_id`), `/ws` a user connection that follows the rooms it subscribes to
(frames with `room_id`). Both are a `Connection` holding `Subscription`s, and every room frame
is handled by the same code (gateway.rooms).

Admission, in order: the browser Origin (refused before the handshake: HTTP 403), the
token and its session, `since_seq`, the room membership (room socket), the user's connection
slot (MAX_CONNECTIONS_PER_USER, across instances); then a room's subscription registers in the
hub and the membership is read once more, so a removal that raced it either sees the
registered subscription (and kicks it) or is seen by the second read. After that the kick,
the membership lease (gateway.membership) and the group commit's own participant check keep a
removed user out.

Once admitted, the socket's `Session` (gateway.session) takes its frames as they arrive and
`handle` answers each; nothing waits on an idle socket's behalf.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from roomcast.backends.base import PresenceMember
from roomcast.gateway.admission import Admission, origin_allowed, parse_since_seq
from roomcast.gateway.connection import Connection, TokenBucket
from roomcast.gateway.hub import CONTROL_CHANNEL, USER_CHANNEL, Hub
from roomcast.gateway.membership import MembershipLease
from roomcast.gateway.peer import Peer
from roomcast.gateway.rooms import InFlight, RoomActions
from roomcast.gateway.session import Session, Work
from roomcast.gateway.subscription import Subscription
from roomcast.gateway.watch import RoomWatch
from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol import codec
from roomcast.protocol.frames import (
    Auth,
    ChangeMessage,
    FrameError,
    MarkRead,
    Ping,
    SendMessage,
    Subscribe,
    TypingStart,
    TypingStop,
    Unsubscribe,
    decode_client_frame,
)
from roomcast.services.errors import DomainError, NotFound
from roomcast.services.messages import Actor, event_frame
from roomcast.services.registry import Services
from roomcast.services.users import user_as_dict

log = logging.getLogger("roomcast.gateway")
refusals = ThrottledLog(log)

Envelope = codec.Envelope


@dataclass(frozen=True, slots=True)
class Admitted:
    """What a handshake proved: who, in which session until when, and (room socket) its room."""

    actor: Actor
    session_id: str
    expires_at: float
    room_id: str | None  # canonical form; None for a user connection
    last_seq: int
    since_seq: int | None


class Gateway:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.hub = Hub(services.backends.pubsub, self._read_gap)
        self._in_flight = InFlight()
        self.rooms = RoomActions(services, self.hub, self._in_flight, self._spawn)
        self.hub.on_removed = self.rooms.lose
        self.hub.on_user_event = self._on_user_event
        self.lease = MembershipLease(services.rooms, self.hub.connections, self.rooms.lose)
        self.hub.before_catch_up = self.lease.sweep
        self.hub.after_catch_up = self._refresh_user_connections
        self._drain: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()  # sockets and subscriptions ending

    @property
    def closing(self) -> bool:
        return self._in_flight.closing

    async def start(self) -> None:
        await self.hub.start()
        await self.services.backends.presence.start(self._on_presence_expired)
        self.services.rooms.kick = self.kick
        self.services.rooms.tell = self.tell
        self.services.rooms.announce = self.announce
        self.services.sessions.on_revoked = self.end_sessions
        if self.services.settings.scaled:
            # Only a shared pub/sub can lose a kick; in-process, the kick is a direct call.
            self.lease.start()

    async def kick(self, room_id: uuid.UUID, user_id: uuid.UUID | None, reason: str) -> None:
        """End the user's subscriptions of the room (everyone's, without a user), on every instance."""
        user = "" if user_id is None else str(user_id)
        await self.hub.publish(str(room_id), Envelope("kick", reason.encode(), user_id=user))

    async def tell(self, user_id: uuid.UUID, kind: str, data: dict[str, Any]) -> None:
        """A user event (SPEC §4b) to every user connection of the user, on every instance."""
        await self.hub.publish(USER_CHANNEL + str(user_id), Envelope("user", codec.encode_frame(kind, data)))

    async def announce(self, room_id: uuid.UUID, kind: str, data: dict[str, Any]) -> None:
        """A room event that is not logged (`room_updated`, `member_changed`, `user_updated`) to
        every socket that follows the room, subscribed or watching, on every instance."""
        await self.hub.publish(str(room_id), Envelope("notice", codec.encode_frame(kind, data)))

    def _on_user_event(self, connection: Connection, kind: str, data: dict[str, Any]) -> None:
        """What a user event changes on one user connection, before the connection gets its frame."""
        if kind == "room_removed":
            self.rooms.lose(connection, data["room_id"], data["reason"], told=True)
        elif kind == "room_added" and data["room"]["id"] not in connection.watches:
            self._spawn(self.rooms.watch(RoomWatch(connection, data["room"], (), self.hub.activity)))
        elif kind == "read_marker":
            watch = connection.watches.get(data["room_id"])
            if watch is not None:
                watch.read(data["read_seq"], data["unread_count"], data["mention_count"])

    async def _refresh_user_connections(self) -> None:
        """After a pub/sub outage: the rooms a user was added to and the reads made meanwhile,
        whose user events may be lost, from the database (the lease ended the removals)."""
        for user_id, connections in list(self.hub.users.items()):
            rooms = await self.services.rooms.list_for(uuid.UUID(user_id))
            mentions: dict[str, list[int]] | None = None
            for connection in list(connections.values()):
                for room in rooms:
                    watch = connection.watches.get(room["id"])
                    if watch is None:
                        if mentions is None:
                            mentions = await self.services.rooms.unread_mentions(uuid.UUID(user_id))
                        connection.send(codec.encode_frame("room_added", {"room": room}))
                        await self.rooms.watch(
                            RoomWatch(connection, room, mentions.get(room["id"], ()), self.hub.activity)
                        )
                    elif room["read_seq"] > watch.read_seq:
                        watch.read(room["read_seq"], room["unread_count"], room["mention_count"])
                        marker = {key: room[key] for key in ("read_seq", "unread_count", "mention_count")}
                        connection.send(codec.encode_frame("read_marker", {"room_id": room["id"], **marker}))

    async def end_sessions(self, session_ids: Sequence[str]) -> None:
        """Close the sockets of these (revoked) sessions with 1008 `logged out`, on every instance."""
        await self.hub.publish(CONTROL_CHANNEL, Envelope("logout", orjson.dumps(list(session_ids))))

    async def _read_gap(self, room_id: str, after: int, upto: int) -> list[tuple[int, bytes]]:
        page = await self.services.messages.events(uuid.UUID(room_id), after, upto - after - 1, upto=upto)
        return [(event.seq, event_frame(event)) for event in page.events]

    async def _on_presence_expired(self, room_id: str, member: PresenceMember) -> None:
        frame = codec.user_frame("user_left", member.user_id, member.username)
        await self.hub.publish(room_id, Envelope("event", frame, user_id=member.user_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)

    def start_drain(self) -> None:
        """The server's graceful shutdown began (it asks each socket): drain, once."""
        if self._drain is None:
            self._drain = asyncio.ensure_future(self.drain())

    async def drain(self) -> None:
        """SIGTERM: commit and deliver what is in flight, then close every socket with 1001.

        In flight on any instance that drains at the same time, too (backends.base.DrainBarrier):
        once they have all committed, each catches its sockets up from the database, since
        a peer's publications may still be on their way."""
        if self.closing:
            if self._drain is not None and self._drain is not asyncio.current_task():
                await self._drain
            return
        self._in_flight.closing = True
        barrier = self.services.backends.drain
        await barrier.begin()
        await self.lease.stop()
        await self.services.messages.writer.stop()
        try:
            await asyncio.wait_for(self._in_flight.idle.wait(), 5)
        except TimeoutError:
            log.warning("in-flight sends still pending at shutdown")
        await barrier.end()
        if self.services.settings.scaled:
            await barrier.wait_for_peers(5)
            await self.hub.catch_up()
        connections = self.hub.connections()
        for connection in connections:
            connection.close(1001, "server shutting down")
        await asyncio.gather(*(c.wait_closed(3) for c in connections))
        if self._ending:
            await asyncio.wait(self._ending, timeout=5)

    async def serve(self, peer: Peer, room_id: str | None) -> None:
        """A socket of `/ws/{room_id}`, or of `/ws` (a user connection) when `room_id` is None."""
        settings = self.services.settings
        if not origin_allowed(peer.headers.get("origin"), peer.headers.get("host"), settings.origins):
            refusals.log("origin", "connection refused", reason="origin not allowed")
            await peer.refuse()  # before the handshake: the client gets HTTP 403
            return
        await peer.accept()
        if self.closing:
            await peer.close(1001, "server shutting down")
            return
        try:
            admitted = await self._admit(peer, room_id)
        except Admission as refusal:
            refusals.log(refusal.reason, "connection refused", reason=refusal.reason)
            await peer.close(1008, refusal.reason)
            return
        connection = Connection(
            peer,
            admitted.room_id,
            str(admitted.actor.user_id),
            admitted.actor.username,
            settings.send_queue_limit,
            self.hub.coalescer,
            queue_bytes=settings.send_queue_bytes,
            session_id=admitted.session_id,
        )
        slots = self.services.backends.connections
        if not await slots.acquire(connection.user_id, connection.id, settings.max_connections_per_user):
            refusals.log("too many connections", "connection refused", reason="too many connections")
            await peer.close(1008, "too many connections")
            return
        await self.hub.register(connection)
        try:
            opened = await self._open(connection, admitted)
        except Exception:
            log.exception("connection handler failed", extra={"user_id": connection.user_id})
            metrics.ERRORS.labels(type="handler").inc()
            connection.close(1011, "internal error")
            opened = False
        if opened:
            peer.listen(Session(connection, admitted.actor, self.handle, self._end))
        else:
            await self._part(connection)

    async def _open(self, connection: Connection, admitted: Admitted) -> bool:
        """Greet the socket: `connected` for a room socket (False if refused), `ready` for a user connection."""
        actor = admitted.actor
        if admitted.room_id is None:
            user = await self.services.users.get(actor.user_id)
            if user is None:
                connection.close(1008, "invalid token")
                return False
            rooms = await self.services.rooms.list_for(actor.user_id)
            mentions = await self.services.rooms.unread_mentions(actor.user_id)
            connection.send(codec.encode_frame("ready", {"user": user_as_dict(user), "rooms": rooms}))
            await self.rooms.watch_all(
                [RoomWatch(connection, room, mentions.get(room["id"], ()), self.hub.activity) for room in rooms]
            )
        else:
            subscription = Subscription(connection, admitted.room_id, tagged=False)
            if not await self.rooms.follow(subscription, actor, admitted.last_seq, admitted.since_seq, "connected"):
                refusals.log("not a participant", "connection refused", reason="not a participant")
                connection.close(1008, "not a participant")
                return False
        self._schedule_expiry(connection, admitted.expires_at)
        log.info(
            "connected", extra={"user_id": connection.user_id, "room_id": admitted.room_id, "connection": connection.id}
        )
        return True

    def _end(self, session: Session) -> None:
        """The session's socket is gone and what it sent is handled: part, in the background."""
        self._spawn(self._part(session.connection))

    async def _admit(self, peer: Peer, room_id: str | None) -> Admitted:
        params = peer.query
        token = params.get("token")
        if not token:
            raise Admission("invalid token")
        try:
            claims = self.services.tokens.decode(token)
        except DomainError as exc:
            raise Admission(exc.detail) from None
        since_seq = parse_since_seq(params.get("since_seq")) if room_id is not None else None
        if not await self.services.sessions.is_active(claims.session_id):
            raise Admission("logged out")
        actor = Actor(claims.user_id, claims.username)
        if room_id is None:
            return Admitted(actor, claims.session_id, claims.expires_at, None, 0, None)
        try:
            room_uuid = uuid.UUID(room_id)
            access = await self.services.rooms.check_access(room_uuid, claims.user_id)
        except (ValueError, NotFound):
            raise Admission("not a participant") from None
        if not access.is_participant:
            raise Admission("not a participant")
        return Admitted(actor, claims.session_id, claims.expires_at, str(room_uuid), access.last_seq, since_seq)

    def handle(self, session: Session, message: str | bytes) -> Work | None:
        """Answer one client frame; what must await comes back as a coroutine for the session."""
        connection = session.connection
        if not isinstance(message, str):
            connection.send(codec.error_frame("binary frames are not supported", "send JSON text frames"))
            return None
        received_at = time.perf_counter()
        try:
            decoded = decode_client_frame(message)
        except FrameError as exc:
            connection.send(codec.error_frame(exc.error, exc.detail))
            return None
        frame = decoded.frame
        if isinstance(frame, SendMessage | ChangeMessage | TypingStart | TypingStop):
            room_id = decoded.room_id or connection.fixed_room
            subscription = connection.subscriptions.get(room_id) if room_id is not None else None
            if subscription is None:
                connection.send(_not_subscribed(room_id))
                return None
            if isinstance(frame, SendMessage):
                return self.rooms.send_message(subscription, session.actor, frame, received_at)
            if isinstance(frame, ChangeMessage):
                return self.rooms.change_message(subscription, session.actor, frame, received_at)
            if not connection.frames.take():
                subscription.send(codec.error_frame("too many frames", "slow down"))
                return None
            if isinstance(frame, TypingStart):
                return self.rooms.typing_start(subscription)
            return self.rooms.typing_stop(subscription)
        if isinstance(frame, Subscribe):
            if not self._subscribe_budget(connection).take():
                refusal = codec.encode_frame("subscribe_error", {"room_id": frame.room_id, "error": "too many frames"})
                connection.send(refusal)
                return None
            return self._subscribe(connection, session.actor, frame)
        if not connection.frames.take():
            # Refusals name the room they are about, so that a client knows what to retry.
            if isinstance(frame, Unsubscribe | MarkRead):
                refusal = codec.with_room_id(codec.error_frame("too many frames", "slow down"), frame.room_id)
            else:
                refusal = codec.error_frame("too many frames", "slow down")
            connection.send(refusal)
            return None
        if isinstance(frame, Ping):
            connection.send(codec.pong_frame())
            return None
        if isinstance(frame, Auth):
            return self._reauthenticate(session, frame.token)
        if isinstance(frame, Unsubscribe):
            return self._unsubscribe(connection, frame.room_id)
        if isinstance(frame, MarkRead):
            return self._mark_read(connection, session.actor, frame)
        return None

    def _subscribe_budget(self, connection: Connection) -> TokenBucket:
        """Subscribes have a budget of their own: a reconnecting client subscribes to all of
        its rooms at once (up to MAX_SUBSCRIPTIONS), then churn is held to 20 a second."""
        if connection.subscribe_budget is None:
            capacity = max(40, self.services.settings.max_subscriptions)
            connection.subscribe_budget = TokenBucket(rate=20, capacity=capacity)
        return connection.subscribe_budget

    async def _subscribe(self, connection: Connection, actor: Actor, frame: Subscribe) -> None:
        room_id = frame.room_id
        if connection.fixed_room is not None:
            connection.send(codec.error_frame("not a user connection", "subscribe on /ws, not on a room's socket"))
            return
        error = None
        if room_id in connection.subscriptions:
            error = "already subscribed"
        elif len(connection.subscriptions) >= self.services.settings.max_subscriptions:
            error = "too many subscriptions"
        else:
            try:
                access = await self.services.rooms.check_access(uuid.UUID(room_id), actor.user_id)
            except NotFound:
                access = None
            if access is None or not access.is_participant:
                error = "not a participant"
            elif room_id in connection.subscriptions:  # a kick or a drain raced the check
                error = "already subscribed"
            else:
                subscription = Subscription(connection, room_id, tagged=True)
                if not await self.rooms.follow(subscription, actor, access.last_seq, frame.since_seq, "subscribed"):
                    error = "not a participant"
        if error is not None:
            refusals.log(error, "subscription refused", reason=error)
            connection.send(codec.encode_frame("subscribe_error", {"room_id": room_id, "error": error}))

    async def _unsubscribe(self, connection: Connection, room_id: str) -> None:
        subscription = connection.subscriptions.get(room_id)
        if subscription is not None and connection.fixed_room is None:
            await self.rooms.unfollow(subscription)
        connection.send(codec.encode_frame("unsubscribed", {"room_id": room_id}))

    async def _mark_read(self, connection: Connection, actor: Actor, frame: MarkRead) -> None:
        try:
            await self.services.mark_read(uuid.UUID(frame.room_id), actor.user_id, frame.seq)
        except DomainError as exc:
            connection.send(codec.with_room_id(codec.error_frame(exc.detail), frame.room_id))

    async def _reauthenticate(self, session: Session, token: str) -> None:
        connection = session.connection
        try:
            claims = self.services.tokens.decode(token)
        except DomainError as exc:
            connection.send(codec.error_frame(exc.detail, "the current token stays in use"))
            return
        if str(claims.user_id) != connection.user_id:
            connection.send(codec.error_frame("invalid token", "token belongs to another user"))
            return
        if not await self.services.sessions.is_active(claims.session_id):
            connection.send(codec.error_frame("logged out", "that token's session has ended"))
            return
        self._schedule_expiry(connection, claims.expires_at)
        connection.session_id = claims.session_id
        session.actor = Actor(claims.user_id, claims.username)

    def _schedule_expiry(self, connection: Connection, expires_at: float) -> None:
        if connection.expiry_timer is not None:
            connection.expiry_timer.cancel()
        delay = max(0.0, expires_at - time.time())
        connection.expiry_timer = asyncio.get_running_loop().call_later(delay, connection.close, 1008, "token expired")

    async def _part(self, connection: Connection) -> None:
        """The socket is done: out of the hub and its rooms' presence, its slot given back."""
        connection.cancel_timers()
        connection.close(1000)
        await self.hub.unregister(connection)
        for subscription in list(connection.subscriptions.values()):
            await self.rooms.unfollow(subscription)
        await self.rooms.unwatch_all(list(connection.watches.values()))
        try:
            await self.services.backends.connections.release(connection.user_id, connection.id)
        except Exception:
            log.exception("connection slot release failed", extra={"user_id": connection.user_id})
        await connection.wait_closed(3)
        log.info(
            "disconnected",
            extra={"user_id": connection.user_id, "room_id": connection.fixed_room, "connection": connection.id},
        )


def _not_subscribed(room_id: str | None) -> bytes:
    if room_id is None:
        return codec.error_frame("room_id required", "name the room of this frame with 'room_id'")
    return codec.with_room_id(codec.error_frame("not subscribed", "subscribe to the room first"), room_id)
