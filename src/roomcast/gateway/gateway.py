"""The /ws/{room_id} endpoint (SPEC §4): admission, each client frame, presence and typing.

Admission, in order: the browser Origin (refused before the handshake: HTTP 403), the
token and its session, `since_seq`, the room membership, the user's connection slot (
MAX_CONNECTIONS_PER_USER, across instances); then the connection registers in the hub and
the membership is read once more, so a removal that raced the handshake either sees the
registered socket (and kicks it) or is seen by the second read. After that the kick, the
membership lease (gateway.membership) and the group commit's own participant check keep a
removed user out.

Once admitted, the socket's `Session` (gateway.session) takes its frames as they arrive and
`handle` answers each; nothing waits on an idle socket's behalf.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from roomcast.backends.base import PresenceMember
from roomcast.gateway.admission import Admission, origin_allowed, parse_since_seq
from roomcast.gateway.connection import Connection
from roomcast.gateway.hub import CONTROL_CHANNEL, Hub
from roomcast.gateway.membership import MembershipLease
from roomcast.gateway.peer import Peer
from roomcast.gateway.session import Session, Work
from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol import codec
from roomcast.protocol.frames import (
    Auth,
    ChangeMessage,
    FrameError,
    Ping,
    SendMessage,
    TypingStart,
    TypingStop,
    decode_client_frame,
)
from roomcast.services.errors import DomainError, NotFound, NotInRoom, RateLimited, StorageUnavailable
from roomcast.services.messages import RECOVERY_LIMIT, Actor, event_frame
from roomcast.services.registry import Services
from roomcast.storage.records import CHANGES, CommitResult, UpdateResult
from roomcast.storage.writer import Committed

log = logging.getLogger("roomcast.gateway")
refusals = ThrottledLog(log)

Envelope = codec.Envelope
# message_error's `action` for each change of the log.
ACTIONS = dict(zip(CHANGES, ("edit", "delete", "react", "react"), strict=True))


@dataclass(frozen=True, slots=True)
class Admitted:
    """What a handshake proved: who, in which session until when, and where the room stood."""

    actor: Actor
    session_id: str
    expires_at: float
    last_seq: int
    since_seq: int | None


class Gateway:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.hub = Hub(services.backends.pubsub, self._read_gap)
        self.lease = MembershipLease(services.rooms, self.hub.connections)
        self.hub.on_resynced = self.lease.sweep
        self.closing = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._drain: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()  # sessions whose socket is gone, parting

    async def start(self) -> None:
        await self.hub.start()
        await self.services.backends.presence.start(self._on_presence_expired)
        self.services.rooms.kick = self.kick
        self.services.sessions.on_revoked = self.end_sessions
        if self.services.settings.scaled:
            # Only a shared pub/sub can lose a kick; in-process, the kick is a direct call.
            self.lease.start()

    async def kick(self, room_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await self.hub.publish(str(room_id), Envelope("kick", b"", user_id=str(user_id)))

    async def end_sessions(self, session_ids: Sequence[str]) -> None:
        """Close the sockets of these (revoked) sessions with 1008 `logged out`, on every instance."""
        await self.hub.publish(CONTROL_CHANNEL, Envelope("logout", orjson.dumps(list(session_ids))))

    async def _read_gap(self, room_id: str, after: int, upto: int) -> list[tuple[int, bytes]]:
        page = await self.services.messages.events(uuid.UUID(room_id), after, upto - after - 1, upto=upto)
        return [(event.seq, event_frame(event)) for event in page.events]

    async def _on_presence_expired(self, room_id: str, member: PresenceMember) -> None:
        frame = codec.user_frame("user_left", member.user_id, member.username)
        await self.hub.publish(room_id, Envelope("event", frame, user_id=member.user_id))

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
        self.closing = True
        barrier = self.services.backends.drain
        await barrier.begin()
        await self.lease.stop()
        await self.services.messages.writer.stop()
        try:
            await asyncio.wait_for(self._idle.wait(), 5)
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

    async def serve(self, peer: Peer, room_id: str) -> None:
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
            room_id,
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
        try:
            opened = await self._open(connection, admitted)
        except Exception:
            log.exception(
                "connection handler failed", extra={"user_id": connection.user_id, "room_id": connection.room_id}
            )
            metrics.ERRORS.labels(type="handler").inc()
            connection.close(1011, "internal error")
            opened = False
        if opened:
            peer.listen(Session(connection, admitted.actor, self.handle, self._end))
        else:
            await self._part(connection)

    async def _open(self, connection: Connection, admitted: Admitted) -> bool:
        """Register the connection, greet it (`connected`) and announce it; False if refused."""
        room_id = connection.room_id
        actor, last_seq = admitted.actor, admitted.last_seq
        await self.hub.attach(connection, last_seq)
        # Registered first, read again second: a removal committed before this read is seen
        # here, one committed after it finds the socket registered and kicks it.
        pair = (uuid.UUID(room_id), actor.user_id)
        if pair not in await self.services.rooms.participants_among([pair]):
            refusals.log("not a participant", "connection refused", reason="not a participant")
            connection.close(1008, "not a participant")
            return False
        member = PresenceMember(connection.user_id, connection.username)
        first = await self.services.backends.presence.join(room_id, member, connection.id)
        await self._send_connected(connection, actor, last_seq, admitted.since_seq)
        self._schedule_expiry(connection, admitted.expires_at)
        if first:
            await self._announce(connection, "user_joined")
        log.info("connected", extra={"user_id": connection.user_id, "room_id": room_id, "connection": connection.id})
        return True

    def _end(self, session: Session) -> None:
        """The session's socket is gone and what it sent is handled: part, in the background."""
        ending = asyncio.ensure_future(self._part(session.connection))
        self._ending.add(ending)
        ending.add_done_callback(self._ending.discard)

    async def _admit(self, peer: Peer, room_id: str) -> Admitted:
        params = peer.query
        token = params.get("token")
        if not token:
            raise Admission("invalid token")
        try:
            claims = self.services.tokens.decode(token)
        except DomainError as exc:
            raise Admission(exc.detail) from None
        since_seq = parse_since_seq(params.get("since_seq"))
        if not await self.services.sessions.is_active(claims.session_id):
            raise Admission("logged out")
        try:
            room_uuid = uuid.UUID(room_id)
            access = await self.services.rooms.check_access(room_uuid, claims.user_id)
        except (ValueError, NotFound):
            raise Admission("not a participant") from None
        if not access.is_participant:
            raise Admission("not a participant")
        return Admitted(
            Actor(claims.user_id, claims.username), claims.session_id, claims.expires_at, access.last_seq, since_seq
        )

    async def _send_connected(self, connection: Connection, actor: Actor, last_seq: int, since_seq: int | None) -> None:
        room_uuid = uuid.UUID(connection.room_id)
        data: dict[str, Any] = {
            "room_id": connection.room_id,
            "user": {"id": connection.user_id, "username": actor.username},
        }
        online = await self.services.backends.presence.online(connection.room_id)
        data["online_users"] = [{"user_id": m.user_id, "username": m.username} for m in online]
        if since_seq is None:
            recent = await self.services.messages.recent(room_uuid, last_seq)
            data["recent_messages"] = [codec.Fragment(payload) for _, payload in recent]
            connection.seen_seq = recent[-1][0] if recent else last_seq
        else:
            page = await self.services.messages.events(room_uuid, since_seq, RECOVERY_LIMIT)
            data["recent_messages"] = [codec.Fragment(e.message.json) for e in page.events if e.update is None]
            data["changes"] = [e.update.data() for e in page.events if e.update is not None]
            data["recovered"] = not page.has_more
            connection.seen_seq = page.events[-1].seq if page.events else min(since_seq, last_seq)
        data["last_seq"] = max(last_seq, connection.seen_seq)
        connection.send(codec.encode_frame("connected", data))
        connection.mark_ready()

    def handle(self, session: Session, message: str | bytes) -> Work | None:
        """Answer one client frame; what must await comes back as a coroutine for the session."""
        connection = session.connection
        if not isinstance(message, str):
            connection.send(codec.error_frame("binary frames are not supported", "send JSON text frames"))
            return None
        received_at = time.perf_counter()
        try:
            frame = decode_client_frame(message)
        except FrameError as exc:
            connection.send(codec.error_frame(exc.error, exc.detail))
            return None
        if isinstance(frame, SendMessage):
            return self._send_message(connection, session.actor, frame, received_at)
        if isinstance(frame, ChangeMessage):
            return self._change_message(connection, session.actor, frame, received_at)
        if not connection.frames.take():
            connection.send(codec.error_frame("too many frames", "slow down"))
            return None
        if isinstance(frame, Ping):
            connection.send(codec.pong_frame())
            return None
        if isinstance(frame, TypingStart):
            return self._typing_start(connection)
        if isinstance(frame, TypingStop):
            return self._typing_stop(connection)
        if isinstance(frame, Auth):
            return self._reauthenticate(session, frame.token)
        return None

    async def _send_message(self, connection: Connection, actor: Actor, frame: SendMessage, received_at: float) -> None:
        if connection.typing:
            await self._typing_stop(connection)
        room_id = uuid.UUID(connection.room_id)
        result = await self._attempt(
            connection,
            "send",
            frame.client_id,
            lambda: self.services.messages.do_send(
                actor, room_id, frame.content, frame.client_id, connection.id, received_at, frame.reply_to
            ),
        )
        if isinstance(result, CommitResult):
            connection.send(codec.message_sent_frame(result.message.json, frame.client_id))

    async def _change_message(
        self, connection: Connection, actor: Actor, frame: ChangeMessage, received_at: float
    ) -> None:
        room_id = uuid.UUID(connection.room_id)
        result = await self._attempt(
            connection,
            ACTIONS[frame.change],
            frame.client_id,
            lambda: self.services.messages.do_change(
                actor,
                room_id,
                frame.message_id,
                frame.change,
                content=frame.content,
                emoji=frame.emoji,
                client_id=frame.client_id,
                origin=connection.id,
                received_at=received_at,
            ),
        )
        # A logged change reaches this connection through the hub, in seq order, with its
        # client_id; one that changed nothing is answered here alone.
        if isinstance(result, UpdateResult) and result.update.seq is None:
            data = result.update.data()
            if frame.client_id is not None:
                data["client_id"] = frame.client_id
            connection.send(codec.message_updated_frame(data))

    async def _attempt(
        self, connection: Connection, action: str, client_id: str | None, work: Callable[[], Awaitable[Committed]]
    ) -> Committed | None:
        """Run a send or change, answering its refusal (`message_error` with `action`) on `connection`."""
        if self.closing:
            connection.send(codec.message_error_frame("server shutting down", client_id, True, action))
            return None
        self._in_flight += 1
        self._idle.clear()
        try:
            return await work()
        except RateLimited as exc:
            connection.send(codec.rate_limited_frame(client_id, exc.info))
        except StorageUnavailable as exc:
            connection.send(codec.message_error_frame(exc.detail, client_id, True, action))
        except NotInRoom:
            # The commit found the actor no longer participates: whatever the hub heard, out.
            connection.close(1008, "not a participant")
        except DomainError as exc:
            connection.send(codec.message_error_frame(exc.detail, client_id, False, action))
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
        return None

    async def _typing_start(self, connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        if connection.typing_timer is not None:
            connection.typing_timer.cancel()
        connection.typing_timer = loop.call_later(
            self.services.settings.typing_timeout,
            lambda: asyncio.ensure_future(self._typing_stop(connection)),
        )
        if not connection.typing:
            connection.typing = True
            await self._announce(connection, "user_typing")

    async def _typing_stop(self, connection: Connection) -> None:
        if connection.typing_timer is not None:
            connection.typing_timer.cancel()
            connection.typing_timer = None
        if connection.typing:
            connection.typing = False
            await self._announce(connection, "user_stopped_typing")

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

    async def _announce(self, connection: Connection, kind: str) -> None:
        frame = codec.user_frame(kind, connection.user_id, connection.username)
        await self.hub.publish(connection.room_id, Envelope("event", frame, user_id=connection.user_id))

    async def _part(self, connection: Connection) -> None:
        """The socket is done: out of the hub and the room's presence, its slot given back."""
        connection.cancel_timers()
        connection.close(1000)
        await self.hub.detach(connection)
        try:
            if connection.typing:
                connection.typing = False
                await self._announce(connection, "user_stopped_typing")
            if await self.services.backends.presence.leave(connection.room_id, connection.user_id, connection.id):
                await self._announce(connection, "user_left")
        except Exception:
            log.exception("presence cleanup failed", extra={"room_id": connection.room_id})
        try:
            await self.services.backends.connections.release(connection.user_id, connection.id)
        except Exception:
            log.exception("connection slot release failed", extra={"user_id": connection.user_id})
        await connection.wait_closed(3)
        log.info(
            "disconnected",
            extra={"user_id": connection.user_id, "room_id": connection.room_id, "connection": connection.id},
        )
