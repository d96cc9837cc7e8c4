"""Room fan-out over Redis pub/sub: one subscription connection per instance.

Channel `room:{room_id}`; the instance is subscribed exactly to the rooms it has sockets in.
Payload on the wire: the publishing instance's id (32 hex characters), then the payload.

`publish` hands the payload to this instance's own handler first, then publishes it; each
instance drops its own echo. So local sockets get everything exactly once whether or not
Redis is reachable, and the cluster gets it while Redis is. Publications that could not
reach Redis are kept (the newest BACKLOG) and published, in order, when it returns, so the
other instances learn about messages committed during the outage (their hubs drop what
they already have by seq and fill the rest from the database).

When Redis returns, the instance opens a new subscription connection, subscribes to its
rooms, waits for Redis to confirm, then calls `on_reconnect` (the hub reads what each room
committed meanwhile), then publishes the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio.client import Pipeline
from redis.asyncio.client import PubSub as RedisPubSubConnection

from roomcast.backends.redis.link import UNREACHABLE, RedisLink, make_client

log = logging.getLogger("roomcast.backends.redis")

CHANNEL = "room:"
BACKLOG = 10_000
CONFIRM_TIMEOUT = 2.0

Handler = Callable[[str, bytes], Awaitable[None]]


class RedisPubSub:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._tag = link.instance_id.encode()
        self._subscriber = make_client(link.url)
        self._handler: Handler | None = None
        self._on_reconnect: Callable[[], Awaitable[None]] | None = None
        self._rooms: set[str] = set()
        self._connection: RedisPubSubConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._backlog: deque[tuple[str, bytes]] = deque(maxlen=BACKLOG)
        link.on_up(self._reopen)
        link.on_down(self._drop_connection)

    async def start(self, handler: Handler, on_reconnect: Callable[[], Awaitable[None]] | None = None) -> None:
        self._handler = handler
        self._on_reconnect = on_reconnect
        if self._link.up:
            try:
                await self._open()
            except UNREACHABLE as exc:
                self._link.lost(exc)

    async def subscribe(self, room_id: str) -> None:
        self._rooms.add(room_id)
        await self._send_subscription([room_id], subscribe=True)

    async def unsubscribe(self, room_id: str) -> None:
        self._rooms.discard(room_id)
        await self._send_subscription([room_id], subscribe=False)

    async def publish(self, room_id: str, payload: bytes) -> None:
        await self.publish_many([(room_id, payload)])

    async def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        await self.deliver_locally(items)
        await self._publish_remote(items)

    async def deliver_locally(self, items: Sequence[tuple[str, bytes]]) -> None:
        """This instance's share of a publication: its own handler, before anyone else's."""
        if self._handler is not None:
            for room_id, payload in items:
                if room_id in self._rooms:
                    await self._deliver(room_id, payload)

    def stage(self, pipe: Pipeline, items: Sequence[tuple[str, bytes]]) -> None:
        """Queue the publications on a pipeline, after `deliver_locally`."""
        for room_id, payload in items:
            pipe.publish(CHANNEL + room_id, self._tag + payload)

    def missed(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Publications that could not reach Redis: published, in order, when it returns."""
        self._backlog.extend(items)

    async def _publish_remote(self, items: Sequence[tuple[str, bytes]]) -> None:
        if not items:
            return
        if not self._link.up:
            self.missed(items)
            return
        try:
            async with self._link.client.pipeline(transaction=False) as pipe:
                self.stage(pipe, items)
                await pipe.execute()
        except UNREACHABLE as exc:
            self.missed(items)
            self._link.lost(exc)

    async def _deliver(self, room_id: str, payload: bytes) -> None:
        assert self._handler is not None
        try:
            await self._handler(room_id, payload)
        except Exception:
            log.exception("pub/sub handler failed", extra={"room_id": room_id})

    async def _send_subscription(self, rooms: list[str], subscribe: bool) -> None:
        connection = self._connection
        if connection is None or not self._link.up or not rooms:
            return
        channels = [(CHANNEL + room).encode() for room in rooms]
        try:
            if not subscribe:
                await connection.unsubscribe(*channels)
                return
            loop = asyncio.get_running_loop()
            waiting = [self._confirmations.setdefault(c, loop.create_future()) for c in channels]
            await connection.subscribe(*channels)
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return
        # Once Redis confirms, every later publication reaches us: a caller that reads the
        # room's state after this returns misses nothing.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(asyncio.shield(w) for w in waiting)), CONFIRM_TIMEOUT)

    async def _read(self, connection: RedisPubSubConnection) -> None:
        try:
            while True:
                message = await connection.get_message(timeout=None)
                if message is None:
                    continue
                kind = message["type"]
                channel: bytes = message["channel"]
                if kind == "message":
                    data: bytes = message["data"]
                    if data[: len(self._tag)] == self._tag:
                        continue  # our own publication, already delivered locally
                    room_id = channel[len(CHANNEL) :].decode()
                    if room_id in self._rooms:
                        await self._deliver(room_id, data[len(self._tag) :])
                elif kind == "subscribe":
                    waiter = self._confirmations.pop(channel, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._connection is connection:
                self._link.lost(exc)

    async def _open(self) -> None:
        connection = self._subscriber.pubsub()
        await connection.connect()
        self._connection = connection
        self._reader = asyncio.create_task(self._read(connection), name="roomcast-redis-subscriber")
        await self._send_subscription(sorted(self._rooms), subscribe=True)

    async def _drop_connection(self) -> None:
        connection, reader = self._connection, self._reader
        self._connection = self._reader = None
        for waiter in self._confirmations.values():
            if not waiter.done():
                waiter.set_result(None)
        self._confirmations.clear()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.aclose()

    async def _reopen(self) -> None:
        await self._drop_connection()
        await self._open()
        if not self._link.up:
            raise ConnectionError("redis went away while resubscribing")
        if self._on_reconnect is not None:
            await self._on_reconnect()
        while self._backlog:
            batch = [self._backlog.popleft() for _ in range(min(500, len(self._backlog)))]
            await self._publish_remote(batch)
            if not self._link.up:
                raise ConnectionError("redis went away while publishing the backlog")

    async def close(self) -> None:
        await self._drop_connection()
        self._handler = None
        self._rooms.clear()
        await self._subscriber.aclose()
