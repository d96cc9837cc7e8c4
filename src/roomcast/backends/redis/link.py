"""The instance's connection to Redis: one command client, whether Redis answers, reconnecting.

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
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("roomcast.backends.redis")

# What counts as "Redis is unreachable" (as opposed to a bug such as a script error).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError, asyncio.TimeoutError)

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


def load_script(client: Redis, name: str) -> AsyncScript:
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
        self.client = make_client(url)
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

    async def connect(self) -> None:
        """The first contact: Redis must answer, or the instance does not start."""
        try:
            await asyncio.wait_for(self.client.ping(), SOCKET_TIMEOUT * 2)
        except UNREACHABLE as exc:
            await self.client.aclose()
            raise RedisUnavailable(f"cannot reach Redis at {redacted(self.url)}: {exc or type(exc).__name__}") from None
        self.up = True
        self.up_since = time.monotonic()
        self._monitor = asyncio.create_task(self._watch(), name="roomcast-redis-monitor")

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
                await asyncio.wait_for(self.client.ping(), SOCKET_TIMEOUT)
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
            await asyncio.wait_for(self.client.ping(), 1.0)
        except UNREACHABLE as exc:
            self.lost(exc)
            return {"status": "degraded", "backend": "redis", "error": self.last_error}
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        return {"status": "ok", "backend": "redis", "latency_ms": latency_ms}

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        await self.client.aclose()
