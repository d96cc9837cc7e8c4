"""What a socket does in the rooms it follows: follow one (greeting and presence), act in it
(send, change, typing), and stop following it. Room sockets and user connections share all of
it; they differ only in the greeting's name and in `room_id` on the frames (gateway.subscription).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from roomcast.backends.base import PresenceMember
from roomcast.gateway.connection import Connection
from roomcast.gateway.hub import Hub
from roomcast.gateway.subscription import Subscription
from roomcast.gateway.watch import RoomWatch
from roomcast.protocol import codec
from roomcast.protocol.frames import ChangeMessage, SendMessage
from roomcast.services.errors import DomainError, NotInRoom, RateLimited, StorageUnavailable
from roomcast.services.messages import RECOVERY_LIMIT, Actor
from roomcast.services.registry import Services
from roomcast.storage.records import CHANGES, CommitResult, UpdateResult
from roomcast.storage.writer import Committed

log = logging.getLogger("roomcast.gateway")

Envelope = codec.Envelope
# Backend round trips a user connection's rooms overlap when it opens or closes.
OVERLAP = 32
# message_error's `action` for each change of the log.
ACTIONS = dict(zip(CHANGES, ("edit", "delete", "react", "react"), strict=True))


class InFlight:
    """The sends and changes being committed, so that a drain can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()
        self.closing = False

    def begin(self) -> None:
        self.count += 1
        self.idle.clear()

    def end(self) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


# Runs a coroutine in the background, where a drain waits for it.
Spawn = Callable[[Coroutine[Any, Any, None]], None]


class RoomActions:
    def __init__(self, services: Services, hub: Hub, in_flight: InFlight, spawn: Spawn) -> None:
        self.services = services
        self.hub = hub
        self.in_flight = in_flight
        self._spawn = spawn

    async def follow(
        self, subscription: Subscription, actor: Actor, last_seq: int, since_seq: int | None, greeting: str
    ) -> bool:
        """Register the subscription, greet it (`greeting`: `connected` or `subscribed`) and
        announce its user; False (and nothing of it kept) if the user does not participate."""
        room_id = subscription.room_id
        await self.hub.attach(subscription, last_seq)
        # Registered first, read again second: a removal committed before this read is seen
        # here, one committed after it finds the subscription registered and kicks it.
        pair = (uuid.UUID(room_id), actor.user_id)
        if pair not in await self.services.rooms.participants_among([pair]):
            subscription.end()
            await self.hub.detach(subscription)
            return False
        # A user connection's presence comes with its watch of the room (gateway.watch): the
        # user is online in all their rooms, subscribed or not.
        first = not subscription.tagged and await self.join(room_id, subscription.connection)
        await self._greet(subscription, actor, last_seq, since_seq, greeting)
        if first:
            await self.announce(room_id, subscription.connection, "user_joined")
        return True

    async def join(self, room_id: str, connection: Connection) -> bool:
        """The connection counts for the user's presence in the room; whether it is the first."""
        member = PresenceMember(connection.user_id, connection.username)
        return await self.services.backends.presence.join(room_id, member, connection.id)

    async def leave(self, room_id: str, connection: Connection) -> None:
        """The connection no longer counts for the user's presence in the room (`user_left` after the last)."""
        try:
            if await self.services.backends.presence.leave(room_id, connection.user_id, connection.id):
                await self.announce(room_id, connection, "user_left")
        except Exception:
            log.exception("presence cleanup failed", extra={"room_id": room_id})

    async def _greet(
        self, subscription: Subscription, actor: Actor, last_seq: int, since_seq: int | None, greeting: str
    ) -> None:
        room_id = subscription.room_id
        room_uuid = uuid.UUID(room_id)
        data: dict[str, Any] = {"room_id": room_id, "user": {"id": subscription.user_id, "username": actor.username}}
        online = await self.services.backends.presence.online(room_id)
        data["online_users"] = [{"user_id": m.user_id, "username": m.username} for m in online]
        if since_seq is None:
            recent = await self.services.messages.recent(room_uuid, last_seq)
            data["recent_messages"] = [codec.Fragment(payload) for _, payload in recent]
            subscription.seen_seq = recent[-1][0] if recent else last_seq
        else:
            page = await self.services.messages.events(room_uuid, since_seq, RECOVERY_LIMIT)
            data["recent_messages"] = [codec.Fragment(e.message.json) for e in page.events if e.update is None]
            data["changes"] = [e.update.data() for e in page.events if e.update is not None]
            data["recovered"] = not page.has_more
            subscription.seen_seq = page.events[-1].seq if page.events else min(since_seq, last_seq)
        data["last_seq"] = max(last_seq, subscription.seen_seq)
        if subscription.ended:
            return  # removed while being greeted: the socket was told so
        subscription.connection.send(codec.encode_frame(greeting, data))  # `room_id` is in it already
        subscription.mark_ready()

    async def unfollow(self, subscription: Subscription) -> None:
        """Out of the hub and the room's presence (the subscription has ended)."""
        subscription.end()
        subscription.cancel_timers()
        await self.hub.detach(subscription)
        connection = subscription.connection
        if subscription.typing:
            subscription.typing = False
            try:
                await self.announce(subscription.room_id, connection, "user_stopped_typing")
            except Exception:
                log.exception("typing cleanup failed", extra={"room_id": subscription.room_id})
        if not subscription.tagged:
            await self.leave(subscription.room_id, connection)

    async def send_message(
        self, subscription: Subscription, actor: Actor, frame: SendMessage, received_at: float
    ) -> None:
        if subscription.typing:
            await self.typing_stop(subscription)
        room_id = uuid.UUID(subscription.room_id)
        origin = subscription.id
        result = await self._attempt(
            subscription,
            "send",
            frame.client_id,
            lambda: self.services.messages.do_send(
                actor, room_id, frame.content, frame.client_id, origin, received_at, frame.reply_to
            ),
        )
        if isinstance(result, CommitResult):
            subscription.send(codec.message_sent_frame(result.message.json, frame.client_id))

    async def change_message(
        self, subscription: Subscription, actor: Actor, frame: ChangeMessage, received_at: float
    ) -> None:
        room_id = uuid.UUID(subscription.room_id)
        result = await self._attempt(
            subscription,
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
                origin=subscription.id,
                received_at=received_at,
            ),
        )
        # A logged change reaches this socket through the hub, in seq order, with its
        # client_id; one that changed nothing is answered here alone.
        if isinstance(result, UpdateResult) and result.update.seq is None:
            data = result.update.data()
            if frame.client_id is not None:
                data["client_id"] = frame.client_id
            subscription.send(codec.message_updated_frame(data))

    async def _attempt(
        self, subscription: Subscription, action: str, client_id: str | None, work: Callable[[], Awaitable[Committed]]
    ) -> Committed | None:
        """Run a send or change, answering its refusal (`message_error` with `action`)."""
        if self.in_flight.closing:
            subscription.send(codec.message_error_frame("server shutting down", client_id, True, action))
            return None
        self.in_flight.begin()
        try:
            return await work()
        except RateLimited as exc:
            subscription.send(codec.rate_limited_frame(client_id, exc.info))
        except StorageUnavailable as exc:
            subscription.send(codec.message_error_frame(exc.detail, client_id, True, action))
        except NotInRoom:
            # The commit found the actor no longer participates: whatever the hub heard, out.
            self.lose(subscription.connection, subscription.room_id, "removed", "not a participant")
        except DomainError as exc:
            subscription.send(codec.message_error_frame(exc.detail, client_id, False, action))
        finally:
            self.in_flight.end()
        return None

    def lose(
        self,
        connection: Connection,
        room_id: str,
        reason: str,
        close_reason: str = "",
        told: bool = False,
    ) -> None:
        """The user left the room or was removed (`reason`): a room socket closes with 1008
        (`close_reason`); a user connection stops following the room at once, subscribed or only
        watched, and is told `room_removed` once (`told`: the event saying so is on its way)."""
        if connection.fixed_room is not None:
            connection.close(1008, close_reason or ("room deleted" if reason == "deleted" else "removed from room"))
            return
        subscription = connection.subscriptions.get(room_id)
        watch = connection.watches.get(room_id)
        followed = False
        if subscription is not None and not subscription.ended:
            subscription.end()
            self._spawn(self.unfollow(subscription))
            followed = True
        if watch is not None and not watch.stopped:
            self._spawn(self.unwatch(watch))
            followed = True
        if followed and not told:
            connection.send(codec.encode_frame("room_removed", {"room_id": room_id, "reason": reason}))

    async def watch(self, watch: RoomWatch) -> None:
        """A user connection follows one of its user's rooms: its counts, and the user's presence there."""
        await self.hub.watch(watch)
        if await self.join(watch.room_id, watch.connection):
            await self.announce(watch.room_id, watch.connection, "user_joined")

    async def watch_all(self, watches: Sequence[RoomWatch]) -> None:
        """Many rooms of one user connection at once (it opens): their backend round trips
        (presence, pub/sub) overlap, a bounded number at a time."""
        for start in range(0, len(watches), OVERLAP):
            await asyncio.gather(*(self.watch(watch) for watch in watches[start : start + OVERLAP]))

    async def unwatch_all(self, watches: Sequence[RoomWatch]) -> None:
        for start in range(0, len(watches), OVERLAP):
            await asyncio.gather(*(self.unwatch(watch) for watch in watches[start : start + OVERLAP]))

    def unwatch(self, watch: RoomWatch) -> Coroutine[Any, Any, None]:
        """Stop the watch now; what the result awaits is the hub's release and the presence."""
        release = self.hub.unwatch(watch)
        return self._unwatched(watch, release)

    async def _unwatched(self, watch: RoomWatch, release: Coroutine[Any, Any, None]) -> None:
        await release
        await self.leave(watch.room_id, watch.connection)

    async def typing_start(self, subscription: Subscription) -> None:
        loop = asyncio.get_running_loop()
        if subscription.typing_timer is not None:
            subscription.typing_timer.cancel()
        subscription.typing_timer = loop.call_later(
            self.services.settings.typing_timeout,
            lambda: asyncio.ensure_future(self.typing_stop(subscription)),
        )
        if not subscription.typing:
            subscription.typing = True
            await self.announce(subscription.room_id, subscription.connection, "user_typing")

    async def typing_stop(self, subscription: Subscription) -> None:
        if subscription.typing_timer is not None:
            subscription.typing_timer.cancel()
            subscription.typing_timer = None
        if subscription.typing:
            subscription.typing = False
            await self.announce(subscription.room_id, subscription.connection, "user_stopped_typing")

    async def announce(self, room_id: str, connection: Connection, kind: str) -> None:
        """Presence or typing of the connection's user, to the room's other users' connections."""
        frame = codec.user_frame(kind, connection.user_id, connection.username)
        await self.hub.publish(room_id, Envelope("event", frame, user_id=connection.user_id))
