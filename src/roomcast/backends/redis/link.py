"""The instance's connection to Redis: one command client, whether Redis answers, reconnecting.

`REDIS_URL` names a standalone Redis (or a primary) or any node of a Redis Cluster: `connect`
asks the server which (`INFO cluster`) and builds a cluster client for a cluster, which routes
each command by its key's slot (`keys.py` hash-tags every key). A cluster counts as reachable
only while every primary answers; one failed shard is an outage for the whole instance, which
serves from local state until the cluster is whole again, exactly as for a standalone restart.

Every Redis backend asks `link.up` before a call and reports a lost connection with
`link.lost(exc)`; while Redis is down they serve from local state without waiting on it.
A monitor task pings Redis every second: it notices an outage even without traffic, and
when Redis answers again it runs the `on_up` callbacks in registration order (presence
re-registers, pub/sub resubscribes and catches up) before it says `up` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from importlib import resources

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline as StandalonePipeline
from redis.asyncio.cluster import ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterError, RedisClusterException, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("roomcast.backends.redis")

# What counts as "Redis is unreachable" (as opposed to a bug such as a script error); in a
# cluster also a shard that is down or a slot no node serves (ClusterDownError, TryAgain, ...).
UNREACHABLE = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    asyncio.TimeoutError,
    ClusterError,
    RedisClusterException,
    TryAgainError,
)

Client = Redis | RedisCluster
Pipeline = StandalonePipeline | ClusterPipeline

PING_INTERVAL = 1.0
SOCKET_TIMEOUT = 2.0


class RedisUnavailable(Exception):
    """Redis did not answer at start; the message is meant for the operator."""


def make_client(url: str) -> Redis:
    # No retries inside redis-py: a failed call falls back to local state at once, and the
    # link's monitor does the reconnecting.
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def make_cluster_client(url: str) -> RedisCluster:
    return RedisCluster.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


async def is_cluster(url: str) -> bool:
    """Whether the Redis at `url` is a node of a Redis Cluster (raises when it does not answer)."""
    probe = make_client(url)
    try:
        info = await probe.info("cluster")
    finally:
        await probe.aclose()
    return bool(info.get("cluster_enabled"))


async def open_client(url: str) -> Client:
    """A command client for `url`: a cluster client when it names a cluster node."""
    if await is_cluster(url):
        client = make_cluster_client(url)
        await client.initialize()
        return client
    return make_client(url)


def load_script(client: Client, name: str) -> AsyncScript:
    """A Lua script shipped as package data under backends/redis/lua/ (EVALSHA, reloaded if flushed)."""
    text = resources.files("roomcast.backends.redis").joinpath("lua", f"{name}.lua").read_text()
    return client.register_script(text)


def redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


class RedisLink:
    def __init__(self, url: str) -> None:
        self.url = url
        self.instance_id = uuid.uuid4().hex
        self.client: Client = make_client(url)  # until `connect` knows whether it is a cluster
        self.up = False
        self.up_since = 0.0
        self.last_error = ""
        self._on_up: list[Callable[[], Awaitable[None]]] = []
        self._on_down: list[Callable[[], Awaitable[None]]] = []
        self._monitor: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Future[None]] = set()

    def on_up(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._on_up.append(callback)

    def on_down(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._on_down.append(callback)

    @property
    def cluster(self) -> RedisCluster | None:
        return self.client if isinstance(self.client, RedisCluster) else None

    async def connect(self) -> None:
        """The first contact: Redis must answer, or the instance does not start."""
        try:
            await self.client.aclose()
            self.client = await asyncio.wait_for(open_client(self.url), SOCKET_TIMEOUT * 2)
            await asyncio.wait_for(self.ping(), SOCKET_TIMEOUT * 2)
        except UNREACHABLE as exc:
            await self.client.aclose()
            raise RedisUnavailable(f"cannot reach Redis at {redacted(self.url)}: {exc or type(exc).__name__}") from None
        self.up = True
        self.up_since = time.monotonic()
        self._monitor = asyncio.create_task(self._watch(), name="roomcast-redis-monitor")

    async def ping(self) -> None:
        """Every node answers (a cluster: every primary), or this raises."""
        if isinstance(self.client, RedisCluster):
            await self.client.ping(target_nodes=RedisCluster.PRIMARIES)
        else:
            await self.client.ping()

    def lost(self, exc: BaseException) -> None:
        """A call failed for want of Redis: switch every backend to local state until it returns."""
        self.last_error = f"{type(exc).__name__}: {exc}"
        if not self.up:
            return
        self.up = False
        log.warning("redis connection lost, serving from local state", extra={"error": self.last_error})
        for callback in self._on_down:
            task = asyncio.ensure_future(callback())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._changed.set()

    async def _watch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), PING_INTERVAL)
            self._changed.clear()
            try:
                await asyncio.wait_for(self.ping(), SOCKET_TIMEOUT)
                if not self.up:
                    await self._recover()
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as exc:
                self.lost(exc)
            except Exception as exc:  # a callback bug must not stop the monitor
                log.exception("redis recovery failed")
                self.lost(exc)

    async def _recover(self) -> None:
        log.info("redis is back, re-registering and catching up")
        # Callbacks see `up` so that their Redis calls go through; one failing means Redis
        # went away again, and the next successful ping starts the recovery over.
        self.up = True
        self.up_since = time.monotonic()
        for callback in self._on_up:
            await callback()
            if not self.up:
                return
        self.last_error = ""
        log.info("redis recovered")

    async def health(self) -> dict[str, object]:
        if not self.up:
            return {"status": "degraded", "backend": "redis", "error": self.last_error or "unreachable"}
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self.ping(), 1.0)
        except UNREACHABLE as exc:
            self.lost(exc)
            return {"status": "degraded", "backend": "redis", "error": self.last_error}
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        health: dict[str, object] = {"status": "ok", "backend": "redis", "latency_ms": latency_ms}
        if isinstance(self.client, RedisCluster):
            health["cluster_nodes"] = len(self.client.get_primaries())
        return health

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        await self.client.aclose()
