"""One room followed on the client's user connection: its events in seq order, exactly once,
across reconnects; and the actions in it (send, edit, delete, react, typing, read).

An action waits for its answer by `client_id`; when the socket drops first, it is sent again
with the same `client_id` once the room is subscribed again, so a send is stored once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from roomcast.client import frames
from roomcast.client.backoff import Backoff
from roomcast.client.errors import (
    ClientClosed,
    ClientError,
    ConnectionFailed,
    MessageRejected,
    NotAParticipant,
    RateLimited,
    TooManySubscriptions,
)
from roomcast.client.events import (
    MessageUpdated,
    NewMessage,
    RoomEvent,
    UserJoined,
    UserLeft,
)
from roomcast.client.ordering import Sequencer
from roomcast.client.records import Actor, Message
from roomcast.client.rest import Rest

log = logging.getLogger("roomcast.client")

# The server refuses frames over 64 KiB (close 1009); refused here first, as a rejection.
MAX_FRAME_BYTES = 65536
RETRY_DELAY = 1.0  # before an action the server could not store is tried again


class Link(Protocol):
    """What a subscription needs of the connection it lives on."""

    rest: Rest
    generation: int  # counts the sockets: one more each time a socket is opened

    async def transmit(self, kind: str, data: dict[str, Any]) -> bool:
        """Write a frame to the current socket; False if there is none (it is sent again later)."""
        ...

    def forget(self, subscription: Subscription) -> None: ...


@dataclass(eq=False)
class Request:
    kind: str
    data: dict[str, Any]
    action: str
    future: asyncio.Future[Message]
    sent_on: int = -1  # the socket generation it was last written to
    attempts: int = field(default=0)


class Subscription:
    def __init__(
        self, link: Link, room_id: str, since_seq: int | None, *, buffer_limit: int, gap_timeout: float
    ) -> None:
        self.room_id = room_id
        self._link = link
        self._since_seq = since_seq
        self._greeted = False
        self._greeting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sequencer = Sequencer(buffer_limit)
        if since_seq is not None:
            self._sequencer.start(since_seq)
        self._gap_timeout = gap_timeout
        self._gap_timer: asyncio.TimerHandle | None = None
        self._wakeup = asyncio.Event()
        self._requests: dict[str, Request] = {}
        self._active = False  # subscribed on the current socket
        self._ended: BaseException | None = None
        self._reading_log = asyncio.Lock()
        self._log_backoff = Backoff(initial=0.5, maximum=5.0)
        self.recent_messages: tuple[Message, ...] = ()  # the greeting's, when subscribed from now
        self._online: dict[str, str] = {}
        self.user: Actor | None = None
        self._retries: set[asyncio.Task[None]] = set()

    @property
    def last_seq(self) -> int:
        """The newest seq handed out (or passed over): where this subscription resumes from."""
        return self._sequencer.seq

    @property
    def online_users(self) -> list[Actor]:
        return [Actor(user_id, username) for user_id, username in self._online.items()]

    @property
    def ended(self) -> bool:
        return self._ended is not None

    # --- what the connection tells it ---------------------------------------------------------

    def subscribe_data(self) -> dict[str, Any]:
        since = self._sequencer.seq if self._greeted else self._since_seq
        return {"room_id": self.room_id} if since is None else {"room_id": self.room_id, "since_seq": since}

    async def greeted(self) -> None:
        await asyncio.shield(self._greeting)

    async def on_subscribed(self, frame: frames.Subscribed) -> None:
        self._active = True
        self.user = frame.user
        self._online = {u.user_id: u.username for u in frame.online_users}
        if frame.recovered is None:
            self.recent_messages = frame.recent_messages
            self._sequencer.start(frame.last_seq)
        else:
            recovered = [NewMessage(self.room_id, m) for m in frame.recent_messages]
            self._sequencer.recovered([*recovered, *frame.changes], frame.last_seq if frame.recovered else None)
        self._greeted = True
        if not self._greeting.done():
            self._greeting.set_result(None)
        self._wakeup.set()
        await self._retransmit()

    def on_subscribe_error(self, error: str) -> bool:
        """A refusal: True if it is worth asking again shortly (`too many frames`)."""
        if error == "too many frames":
            return True
        if error == "already subscribed":
            return False  # its `subscribed` is there already or on its way
        failure: ClientError
        if error == "too many subscriptions":
            failure = TooManySubscriptions(error)
        else:
            failure = NotAParticipant(self.room_id, error)
        self.end(failure)
        return False

    def on_frame(self, frame: frames.Frame) -> None:
        if isinstance(frame, frames.MessageSent):
            self._resolve(frame.client_id, frame.message)
            self._live(NewMessage(self.room_id, frame.message))
        elif isinstance(frame, NewMessage):
            self._live(frame)
        elif isinstance(frame, MessageUpdated):
            self._resolve(frame.client_id, frame.message)
            self._live(frame)
        elif isinstance(frame, frames.OwnUpdate):
            self._resolve(frame.client_id, frame.message)
        elif isinstance(frame, frames.MessageError):
            self._refused(frame)
        elif isinstance(frame, frames.RateLimitExceeded):
            self._fail(frame.client_id, RateLimited(float(max(frame.time_until_reset, 1))))
        elif isinstance(frame, frames.ErrorFrame):
            log.warning("room %s: %s (%s)", self.room_id, frame.error, frame.detail)
        elif isinstance(frame, RoomEvent):
            if isinstance(frame, UserJoined):
                self._online[frame.user_id] = frame.username
            elif isinstance(frame, UserLeft):
                self._online.pop(frame.user_id, None)
            self._sequencer.other(frame)
            self._wakeup.set()

    def on_disconnect(self) -> None:
        self._active = False
        self._sequencer.reset_live()
        self._cancel_gap_timer()

    def end(self, reason: BaseException) -> None:
        """Nothing more comes: what is waiting is still read, then iteration raises `reason`
        (StopAsyncIteration: it just ends)."""
        if self._ended is not None:
            return
        self._ended = reason
        self._active = False
        self._cancel_gap_timer()
        failure = reason if isinstance(reason, ClientError) else ClientClosed("unsubscribed")
        for request in list(self._requests.values()):
            if not request.future.done():
                request.future.set_exception(failure)
        self._requests.clear()
        if not self._greeting.done():
            self._greeting.set_exception(failure)
            self._greeting.exception()  # retrieved here: nobody may be waiting for it
        self._wakeup.set()

    # --- the room's events ---------------------------------------------------------------------

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> RoomEvent:
        while True:
            event = self._sequencer.pop()
            if event is not None:
                return event
            if self._ended is not None:
                raise self._ended
            if self._sequencer.lagging:
                await self._read_log()
                continue
            self._wakeup.clear()
            await self._wakeup.wait()

    def _live(self, event: NewMessage | MessageUpdated) -> None:
        self._sequencer.live(event)
        if self._sequencer.gap():
            if self._gap_timer is None:
                loop = asyncio.get_running_loop()
                self._gap_timer = loop.call_later(self._gap_timeout, self._gap_expired)
        else:
            self._cancel_gap_timer()
        self._wakeup.set()

    def _gap_expired(self) -> None:
        self._gap_timer = None
        self._sequencer.give_up_gap()
        self._wakeup.set()

    def _cancel_gap_timer(self) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()
            self._gap_timer = None

    async def _read_log(self) -> None:
        """One page of the room's log after the last seq (the sequencer is lagging)."""
        async with self._reading_log:
            if not self._sequencer.lagging or self._ended is not None:
                return
            for attempt in itertools.count():
                try:
                    page = await self._link.rest.events(self.room_id, self._sequencer.seq)
                except NotAParticipant as exc:
                    self.end(exc)
                    return
                except ConnectionFailed:
                    # The server is away: the connection is reconnecting meanwhile.
                    await asyncio.sleep(self._log_backoff.delay(attempt))
                    if self._ended is not None:
                        return
                    continue
                self._sequencer.from_log(page.events, page.has_more, page.last_seq)
                return

    # --- actions -------------------------------------------------------------------------------

    async def send(self, content: str, *, reply_to: str | None = None, client_id: str | None = None) -> Message:
        """Send a message; the stored message once it is committed (`message_sent`)."""
        data: dict[str, Any] = {"content": content}
        if reply_to is not None:
            data["reply_to"] = reply_to
        return await self._act("send_message", "send", data, client_id)

    async def edit(self, message_id: str, content: str) -> Message:
        return await self._act("edit_message", "edit", {"message_id": message_id, "content": content})

    async def delete(self, message_id: str) -> Message:
        """Delete a message (the tombstone keeps its seq); the message in its deleted state."""
        return await self._act("delete_message", "delete", {"message_id": message_id})

    async def react(self, message_id: str, emoji: str) -> Message:
        return await self._act("add_reaction", "react", {"message_id": message_id, "emoji": emoji})

    async def unreact(self, message_id: str, emoji: str) -> Message:
        return await self._act("remove_reaction", "react", {"message_id": message_id, "emoji": emoji})

    async def typing(self, active: bool = True) -> None:
        """Show the user as typing (the server stops it after TYPING_TIMEOUT, or on a send)."""
        if self._active:
            await self._link.transmit("typing_start" if active else "typing_stop", {"room_id": self.room_id})

    async def mark_read(self, seq: int | None = None) -> None:
        """The user has read the room up to `seq` (default: the last seq handed out)."""
        seq = self._sequencer.seq if seq is None else seq
        await self._link.transmit("mark_read", {"room_id": self.room_id, "seq": seq})

    async def history(self, *, limit: int = 50, before_seq: int | None = None) -> list[Message]:
        """Older messages, oldest first (`GET …/messages`)."""
        return await self._link.rest.history(self.room_id, limit=limit, before_seq=before_seq)

    async def close(self) -> None:
        """Stop following the room: iteration ends."""
        if self._ended is None:
            self.end(StopAsyncIteration())
            self._sequencer.ready.clear()
            self._link.forget(self)
            await self._link.transmit("unsubscribe", {"room_id": self.room_id})

    async def _act(self, kind: str, action: str, data: dict[str, Any], client_id: str | None = None) -> Message:
        if self._ended is not None:
            raise self._ended if isinstance(self._ended, ClientError) else ClientClosed("unsubscribed")
        client_id = client_id or uuid.uuid4().hex
        data = {"room_id": self.room_id, **data, "client_id": client_id}
        if len(frames.encode(kind, data)) > MAX_FRAME_BYTES:
            raise MessageRejected("frame too big (64 KiB at most)", action)
        request = Request(kind, data, action, asyncio.get_running_loop().create_future())
        self._requests[client_id] = request
        try:
            if self._active:
                await self._transmit(request)
            return await request.future
        finally:
            if self._requests.get(client_id) is request:
                del self._requests[client_id]

    async def _transmit(self, request: Request) -> None:
        request.sent_on = self._link.generation
        request.attempts += 1
        if not await self._link.transmit(request.kind, request.data):
            request.sent_on = -1

    async def _retransmit(self) -> None:
        for request in list(self._requests.values()):
            if request.sent_on != self._link.generation and not request.future.done() and self._active:
                await self._transmit(request)

    def _resolve(self, client_id: str | None, message: Message) -> None:
        request = self._requests.get(client_id) if client_id is not None else None
        if request is not None and not request.future.done():
            request.future.set_result(message)

    def _fail(self, client_id: str | None, error: ClientError) -> None:
        request = self._requests.get(client_id) if client_id is not None else None
        if request is not None and not request.future.done():
            request.future.set_exception(error)

    def _refused(self, frame: frames.MessageError) -> None:
        if not frame.retryable:
            self._fail(frame.client_id, MessageRejected(frame.error, frame.action))
            return
        request = self._requests.get(frame.client_id) if frame.client_id is not None else None
        if request is None:
            return
        # Not stored (the database is slow, or the server is shutting down): the same client_id
        # again shortly, or on the next socket, is stored at most once.
        request.sent_on = -1
        asyncio.get_running_loop().call_later(RETRY_DELAY * min(request.attempts, 5), self._retry, request)

    def _retry(self, request: Request) -> None:
        if self._active and request.sent_on == -1 and not request.future.done():
            task = asyncio.ensure_future(self._transmit(request))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)
