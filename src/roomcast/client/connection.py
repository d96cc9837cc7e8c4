"""The client's one user connection (`/ws`, SPEC §4b), kept open for as long as the client is.

On any drop (1006, 1001, 1013, 1011, a network loss) it reconnects with full-jitter backoff,
resubscribes every subscription from its last seq, and the subscriptions send again what was
unanswered. A close with 1008 (policy) is final, except a token refusal, which renews the token
once and tries again. The token is renewed in-band (`auth`) before it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import urllib.parse
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from roomcast.client import frames
from roomcast.client.backoff import Backoff
from roomcast.client.errors import (
    AuthenticationFailed,
    ClientClosed,
    ClientError,
    ConnectionFailed,
    ConnectionRefused,
    NotAParticipant,
)
from roomcast.client.events import ReadMarker, RoomActivity, RoomAdded, RoomRemoved, UnknownEvent, UserEvent
from roomcast.client.records import Room, User
from roomcast.client.rest import Rest
from roomcast.client.subscription import Subscription
from roomcast.client.tokens import Tokens

log = logging.getLogger("roomcast.client")

# 1008 reasons a new token may cure (SPEC §4); any other 1008 is final.
TOKEN_REASONS = frozenset({"invalid token", "token expired", "logged out"})
# HTTP answers to the handshake that will not change by retrying.
FINAL_STATUSES = frozenset({400, 401, 403, 404})
SUBSCRIBE_RETRY = 1.0  # seconds before a subscribe refused with `too many frames` is sent again
RENEW_RETRY = 5.0
# A recovery (`subscribed` with 1,000 messages of up to 4,000 characters) is a large frame.
MAX_FRAME = 64 * 1024 * 1024


def websocket_url(base_url: str, token: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    path = parts.path.rstrip("/") + "/ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, urllib.parse.urlencode({"token": token}), ""))


class Connection:
    def __init__(
        self,
        base_url: str,
        tokens: Tokens,
        rest: Rest,
        *,
        backoff: Backoff,
        buffer_limit: int,
        gap_timeout: float,
        user_events_limit: int,
    ) -> None:
        self.rest = rest
        self.generation = 0
        self.user: User | None = None
        self.rooms: dict[str, Room] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.failure: ClientError | None = None
        self._base_url = base_url
        self._tokens = tokens
        self._backoff = backoff
        self._buffer_limit = buffer_limit
        self._gap_timeout = gap_timeout
        self._user_events: deque[UserEvent] = deque(maxlen=user_events_limit)
        self._user_wakeup = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._ready = asyncio.Event()  # set while a socket is greeted (or once the connection failed)
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    # --- life ----------------------------------------------------------------------------------

    async def open(self, timeout: float) -> None:
        """Connect, and return once `ready` came (or raise what went wrong)."""
        self._runner = asyncio.create_task(self._run())
        self._spawn(self._renew_tokens())
        try:
            async with asyncio.timeout(timeout):
                await self.wait_ready()
        except TimeoutError:
            await self.close()
            raise ConnectionFailed(f"no connection to {self._base_url} within {timeout:g}s") from None
        except BaseException:
            await self.close()
            raise

    async def wait_ready(self) -> None:
        await self._ready.wait()
        if self.failure is not None:
            raise self.failure

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = [*self._tasks, *([self._runner] if self._runner else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for subscription in list(self.subscriptions.values()):
            subscription.end(StopAsyncIteration())
        self.subscriptions.clear()
        self._ready.set()
        self._user_wakeup.set()

    def _fail(self, failure: ClientError) -> None:
        log.error("roomcast connection stopped: %s", failure)
        self.failure = failure
        for subscription in list(self.subscriptions.values()):
            subscription.end(failure)
        self._ready.set()
        self._user_wakeup.set()

    async def _run(self) -> None:
        attempt = 0
        renewed = False  # the token was renewed after a refusal, and no socket was greeted since
        while True:
            try:
                token = await self._tokens.current()
            except AuthenticationFailed as exc:
                self._fail(exc)
                return
            except Exception as exc:  # the server is away (a login), or a token_provider failed
                log.warning("no token yet: %r", exc)
                token = ""
            code: int | None = None
            reason = ""
            greeted = False
            if token:
                try:
                    async with websockets.connect(
                        websocket_url(self._base_url, token), max_size=MAX_FRAME, open_timeout=10, close_timeout=5
                    ) as ws:
                        self._ws = ws
                        opened = self.generation
                        try:
                            await self._serve(ws)
                        except (websockets.ConnectionClosed, TimeoutError):
                            pass
                        finally:
                            self._disconnected()
                            greeted = self.generation != opened
                        code, reason = ws.close_code, ws.close_reason or ""
                except websockets.InvalidStatus as exc:
                    status = exc.response.status_code
                    if status in FINAL_STATUSES:
                        self._fail(ConnectionRefused(f"handshake refused with HTTP {status}"))
                        return
                except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed) as exc:
                    log.debug("roomcast connection failed: %r", exc)
                except Exception:
                    # A bug here must not leave the client silently deaf: drop the socket, come back.
                    log.exception("roomcast connection failed")
            if greeted:
                attempt, renewed = 0, False
            if code == 1008:
                if reason in TOKEN_REASONS and not renewed and self._tokens.can_renew:
                    renewed = True
                    try:
                        await self._tokens.renew()
                        continue
                    except ClientError as exc:
                        log.warning("token renewal failed: %s", exc)
                failure = AuthenticationFailed if reason in TOKEN_REASONS else ConnectionRefused
                self._fail(failure(reason or "closed with 1008"))
                return
            delay = self._backoff.delay(attempt)
            attempt += 1
            log.info("roomcast connection lost (close %s %s): reconnecting in %.2fs", code, reason, delay)
            await asyncio.sleep(delay)

    async def _serve(self, ws: ClientConnection) -> None:
        """One socket, from its `ready` to its end."""
        first = frames.decode(await asyncio.wait_for(ws.recv(), 30))
        if not isinstance(first, frames.Ready):
            await ws.close(1002, "expected ready")
            return
        self.generation += 1
        self.user = first.user
        self.rooms = {room.id: room for room in first.rooms}
        self._ready.set()
        for subscription in list(self.subscriptions.values()):
            await self.transmit("subscribe", subscription.subscribe_data())
        async for raw in ws:
            await self._dispatch(frames.decode(raw))

    def _disconnected(self) -> None:
        self._ws = None
        self._ready.clear()
        for subscription in self.subscriptions.values():
            subscription.on_disconnect()

    # --- frames --------------------------------------------------------------------------------

    async def transmit(self, kind: str, data: dict[str, Any]) -> bool:
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(frames.encode(kind, data))
        except websockets.ConnectionClosed:
            return False
        return True

    async def _dispatch(self, frame: frames.Frame) -> None:
        if isinstance(frame, RoomActivity | ReadMarker | RoomAdded | RoomRemoved):
            self._on_user_event(frame)
            return
        room_id = getattr(frame, "room_id", None)
        subscription = self.subscriptions.get(room_id) if isinstance(room_id, str) else None
        if isinstance(frame, frames.Subscribed):
            if subscription is not None:
                await subscription.on_subscribed(frame)
        elif isinstance(frame, frames.SubscribeError):
            if subscription is not None and subscription.on_subscribe_error(frame.error):
                self._spawn(self._subscribe_again(subscription, self.generation))
            elif subscription is not None and subscription.ended:
                self.forget(subscription)
        elif subscription is not None:
            subscription.on_frame(frame)
        elif isinstance(frame, frames.ErrorFrame):
            log.warning("roomcast: %s (%s)", frame.error, frame.detail)
        elif isinstance(frame, UnknownEvent) and room_id is None:
            self._push_user_event(frame)

    def _on_user_event(self, event: UserEvent) -> None:
        if isinstance(event, RoomAdded):
            self.rooms[event.room.id] = event.room
        elif isinstance(event, RoomRemoved):
            self.rooms.pop(event.room_id, None)
            subscription = self.subscriptions.pop(event.room_id, None)
            if subscription is not None:
                subscription.end(NotAParticipant(event.room_id, event.reason))
        elif isinstance(event, RoomActivity):
            room = self.rooms.get(event.room_id)
            if room is not None:
                self.rooms[room.id] = replace(
                    room,
                    last_seq=event.last_seq,
                    unread_count=event.unread_count,
                    mention_count=event.mention_count,
                    last_message=event.last_message,
                )
        elif isinstance(event, ReadMarker):
            room = self.rooms.get(event.room_id)
            if room is not None:
                self.rooms[room.id] = replace(
                    room, read_seq=event.read_seq, unread_count=event.unread_count, mention_count=event.mention_count
                )
        self._push_user_event(event)

    def _push_user_event(self, event: UserEvent) -> None:
        self._user_events.append(event)
        self._user_wakeup.set()

    async def user_events(self) -> AsyncIterator[UserEvent]:
        while True:
            while self._user_events:
                yield self._user_events.popleft()
            if self.failure is not None:
                raise self.failure
            if self._closed:
                return
            self._user_wakeup.clear()
            await self._user_wakeup.wait()

    # --- subscriptions -------------------------------------------------------------------------

    async def subscribe(self, room_id: str, since_seq: int | None) -> Subscription:
        if self.failure is not None:
            raise self.failure
        if self._closed:
            raise ClientClosed("client closed")
        try:
            room_id = str(uuid.UUID(room_id))
        except ValueError:
            raise NotAParticipant(room_id, "not a room id") from None
        if room_id in self.subscriptions:
            raise ValueError(f"room {room_id} is subscribed already")
        subscription = Subscription(
            self, room_id, since_seq, buffer_limit=self._buffer_limit, gap_timeout=self._gap_timeout
        )
        self.subscriptions[room_id] = subscription
        if self._ready.is_set():
            await self.transmit("subscribe", subscription.subscribe_data())
        try:
            await subscription.greeted()
        except BaseException:
            self.forget(subscription)
            raise
        return subscription

    def forget(self, subscription: Subscription) -> None:
        if self.subscriptions.get(subscription.room_id) is subscription:
            del self.subscriptions[subscription.room_id]

    async def _subscribe_again(self, subscription: Subscription, generation: int) -> None:
        await asyncio.sleep(SUBSCRIBE_RETRY)
        if generation == self.generation and self.subscriptions.get(subscription.room_id) is subscription:
            await self.transmit("subscribe", subscription.subscribe_data())

    # --- tokens --------------------------------------------------------------------------------

    async def _renew_tokens(self) -> None:
        """Renew the token before it expires and hand it to the open socket (`auth`)."""
        while self.failure is None:
            delay = self._tokens.renew_in
            if delay is None or delay > 0:
                await asyncio.sleep(60.0 if delay is None else min(delay, 60.0))
                continue
            try:
                token = await self._tokens.renew()
            except Exception as exc:  # a token_provider may raise anything
                log.warning("token renewal failed, trying again in %gs: %r", RENEW_RETRY, exc)
                await asyncio.sleep(RENEW_RETRY)
                continue
            await self.transmit("auth", {"token": token})

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
