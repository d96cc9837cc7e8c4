"""Room fan-out over Redis pub/sub: one subscription connection per Redis node.

Channel `room:{room_id}` (`keys.py`); the instance is subscribed exactly to the rooms it has
sockets in. Payload on the wire: the publishing instance's id (32 hex characters), then the
payload. On a standalone Redis that is SUBSCRIBE/PUBLISH on one connection; on a Redis
Cluster it is sharded pub/sub (SSUBSCRIBE/SPUBLISH): a room's publications stay on the shard
that owns its slot, the instance holds one subscription connection to each shard it has
rooms on, and a publication is pipelined after its room's cache push to the same node.

`publish` hands the payload to this instance's own handler first, then publishes it; each
instance drops its own echo. So local sockets get everything exactly once whether or not
Redis is reachable, and the cluster gets it while Redis is. Publications that could not
reach Redis are kept (the newest BACKLOG) and published, in order, when it returns, so the
other instances learn about messages committed during the outage (their hubs drop what
they already have by seq and fill the rest from the database).

When Redis returns, the instance opens new subscription connections, subscribes to its
rooms, waits for Redis to confirm, then calls `on_reconnect` (the hub reads what each room
committed meanwhile), then publishes the backlog. A shard that drops a subscription by
itself (its slot moved to another node) counts as an outage too: the same recovery
resubscribes on the new owner and catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio.client import PubSub as RedisPubSubConnection

from roomcast.backends.redis.keys import room_channel, room_of_channel
from roomcast.backends.redis.link import UNREACHABLE, Pipeline, RedisLink, make_client

log = logging.getLogger("roomcast.backends.redis")

BACKLOG = 10_000
CONFIRM_TIMEOUT = 2.0
STANDALONE = ""  # the node name of a standalone Redis

Handler = Callable[[str, bytes], Awaitable[None]]


def node_url(url: str, host: str, port: int | str) -> str:
    """`url` (its credentials, TLS and options) pointed at one cluster node."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{address}" if userinfo else address, path="/0"))


class _Node:
    """The subscription connection to one node (shard channels on a cluster) and its reader."""

    def __init__(self, name: str, url: str, sharded: bool) -> None:
        self.name = name
        self.sharded = sharded
        self.client = make_client(url)
        self.connection: RedisPubSubConnection = self.client.pubsub()
        self.reader: asyncio.Task[None] | None = None

    async def subscribe(self, channels: Sequence[bytes]) -> None:
        if self.sharded:
            await self.connection.ssubscribe(*channels)
        else:
            await self.connection.subscribe(*channels)

    async def unsubscribe(self, channels: Sequence[bytes]) -> None:
        if self.sharded:
            await self.connection.sunsubscribe(*channels)
        else:
            await self.connection.unsubscribe(*channels)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        with contextlib.suppress(Exception):
            await self.connection.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


class RedisPubSub:
    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._tag = link.instance_id.encode()
        self._handler: Handler | None = None
        self._on_reconnect: Callable[[], Awaitable[None]] | None = None
        self._rooms: set[str] = set()
        self._nodes: dict[str, _Node] = {}
        self._node_of_room: dict[str, str] = {}
        self._leaving: set[bytes] = set()
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._backlog: deque[tuple[str, bytes]] = deque(maxlen=BACKLOG)
        self._nodes_open = False  # between `start` (or a reconnection) and an outage
        link.on_up(self._reopen)
        link.on_down(self._drop_connections)

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
        sharded = self._link.cluster is not None
        for room_id, payload in items:
            if sharded:
                pipe.spublish(room_channel(room_id), self._tag + payload)
            else:
                pipe.publish(room_channel(room_id), self._tag + payload)

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

    def _node_name(self, room_id: str) -> str:
        cluster = self._link.cluster
        if cluster is None:
            return STANDALONE
        node = cluster.get_node_from_key(room_channel(room_id))
        assert node is not None  # raises SlotNotCoveredError (unreachable) rather than None
        return str(node.name)

    async def _node(self, name: str) -> _Node:
        node = self._nodes.get(name)
        if node is None:
            url = self._link.url
            cluster = self._link.cluster
            if cluster is not None:
                found = cluster.get_node(node_name=name)
                assert found is not None
                url = node_url(url, found.host, found.port)
            node = self._nodes[name] = _Node(name, url, sharded=cluster is not None)
            await node.connection.connect()
            node.reader = asyncio.create_task(self._read(node), name="roomcast-redis-subscriber")
        return node

    async def _send_subscription(self, rooms: list[str], subscribe: bool) -> None:
        if not self._nodes_open or not self._link.up or not rooms:
            return
        try:
            by_node: dict[str, list[bytes]] = {}
            for room in rooms:
                # A room leaves the node it was subscribed on; it joins the node owning its slot.
                name = self._node_name(room) if subscribe else self._node_of_room.pop(room, None)
                if name is None:
                    continue
                if subscribe:
                    self._node_of_room[room] = name
                by_node.setdefault(name, []).append(room_channel(room).encode())
            waiting: list[asyncio.Future[None]] = []
            loop = asyncio.get_running_loop()
            for name, channels in by_node.items():
                node = await self._node(name)
                if subscribe:
                    self._leaving.difference_update(channels)
                    waiting.extend(self._confirmations.setdefault(c, loop.create_future()) for c in channels)
                    await node.subscribe(channels)
                else:
                    self._leaving.update(channels)
                    await node.unsubscribe(channels)
        except UNREACHABLE as exc:
            self._link.lost(exc)
            return
        # Once Redis confirms, every later publication reaches us: a caller that reads the
        # room's state after this returns misses nothing.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(asyncio.shield(w) for w in waiting)), CONFIRM_TIMEOUT)

    async def _read(self, node: _Node) -> None:
        try:
            while True:
                message = await node.connection.get_message(timeout=None)
                if message is None:
                    continue
                kind = message["type"]
                channel: bytes = message["channel"]
                if kind in ("message", "smessage"):
                    data: bytes = message["data"]
                    if data[: len(self._tag)] == self._tag:
                        continue  # our own publication, already delivered locally
                    room_id = room_of_channel(channel)
                    if room_id in self._rooms:
                        await self._deliver(room_id, data[len(self._tag) :])
                elif kind in ("subscribe", "ssubscribe"):
                    waiter = self._confirmations.pop(channel, None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)
                elif kind == "sunsubscribe" and channel not in self._leaving:
                    if room_of_channel(channel) in self._rooms:
                        raise ConnectionError(f"the shard dropped {channel!r} (its slot moved)")
                else:
                    self._leaving.discard(channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if self._nodes.get(node.name) is node:
                self._link.lost(exc)

    async def _open(self) -> None:
        # A connection to every node at once (one, standalone): an instance's long-lived tasks
        # do not grow with the rooms it joins later.
        self._nodes_open = True
        cluster = self._link.cluster
        for name in [str(node.name) for node in cluster.get_primaries()] if cluster else [STANDALONE]:
            await self._node(name)
        await self._send_subscription(sorted(self._rooms), subscribe=True)

    async def _drop_connections(self) -> None:
        self._nodes_open = False
        nodes = list(self._nodes.values())
        self._nodes.clear()
        self._node_of_room.clear()
        self._leaving.clear()
        for waiter in self._confirmations.values():
            if not waiter.done():
                waiter.set_result(None)
        self._confirmations.clear()
        for node in nodes:
            await node.close()

    async def _reopen(self) -> None:
        await self._drop_connections()
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
        await self._drop_connections()
        self._handler = None
        self._rooms.clear()
