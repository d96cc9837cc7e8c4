"""The per-user connection limit in Redis, shared by every instance, expiring with its instance.

Keys (all Redis time in milliseconds):
- `connections:{user_id}`: sorted set `{instance_id}:{connection_id}` → acquired at, the user's
  live connections on every instance;
- `connection_instance:{instance_id}`: set `{user_id}|{connection_id}` the instance owns;
- `connection_instances`: sorted set instance_id → last heartbeat.

`lua/connections_acquire.lua` drops the entries of instances silent for DEAD_AFTER seconds,
counts the rest and adds the new one only under the limit, in one step. Each instance
heartbeats every HEARTBEAT seconds, so a crashed instance's connections stop counting
DEAD_AFTER (15 s) after its last heartbeat; every instance also sweeps dead instances'
bookkeeping (`lua/connections_sweep.lua`). An instance whose heartbeat finds it was taken for
dead (it stalled, or Redis lost its entry) registers its connections again.

The instance keeps its own connections locally as well. While Redis is unreachable,
`acquire` enforces the limit over this instance's connections only (a user may then hold up
to the limit on each instance) and `release` is local. When Redis returns, the instance
makes Redis hold exactly its current connections, user by user (`lua/connections_sync.lua`):
those opened during the outage are added even over the limit, those closed are removed.
A per-user lock keeps that from racing this instance's own acquires and releases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from roomcast.backends.memory.connections import MemoryConnectionRegistry
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

log = logging.getLogger("roomcast.backends.redis")

USERS = "connections:"
OWNED = "connection_instance:"
INSTANCES = "connection_instances"
HEARTBEAT = 5.0
DEAD_AFTER = 15.0


class RedisConnectionRegistry:
    def __init__(self, link: RedisLink, heartbeat: float = HEARTBEAT, dead_after: float = DEAD_AFTER) -> None:
        self._link = link
        self._id = link.instance_id
        self._heartbeat = heartbeat
        self._dead_ms = int(dead_after * 1000)
        self._acquire = load_script(link.client, "connections_acquire")
        self._sync = load_script(link.client, "connections_sync")
        self._beat = load_script(link.client, "connections_heartbeat")
        self._sweep = load_script(link.client, "connections_sweep")
        self._local = MemoryConnectionRegistry()
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._task: asyncio.Task[None] | None = None
        link.on_up(self._resync)

    def _keys(self, user_id: str) -> list[str]:
        return [USERS + user_id, OWNED + self._id, INSTANCES]

    async def start(self) -> None:
        if self._task is not None:
            return
        if self._link.up:
            try:
                if await self._beat(keys=[INSTANCES], args=[self._id, self._dead_ms]):
                    await self._resync()
            except UNREACHABLE as exc:
                self._link.lost(exc)
        self._task = asyncio.create_task(self._keep_alive(), name="roomcast-connections")

    async def acquire(self, user_id: str, connection_id: str, limit: int) -> bool:
        async with self._turn(user_id):
            if self._link.up:
                try:
                    allowed, _ = await self._acquire(
                        keys=self._keys(user_id), args=[self._id, connection_id, user_id, limit, self._dead_ms]
                    )
                except UNREACHABLE as exc:
                    self._link.lost(exc)
                else:
                    if allowed:
                        self._local.add(user_id, connection_id)
                    return bool(allowed)
            return await self._local.acquire(user_id, connection_id, limit)

    async def release(self, user_id: str, connection_id: str) -> None:
        async with self._turn(user_id):
            await self._local.release(user_id, connection_id)
            if not self._link.up:
                return  # the resync when Redis returns removes it there
            try:
                async with self._link.client.pipeline(transaction=True) as pipe:
                    pipe.zrem(USERS + user_id, f"{self._id}:{connection_id}")
                    pipe.srem(OWNED + self._id, f"{user_id}|{connection_id}")
                    await pipe.execute()
            except UNREACHABLE as exc:
                self._link.lost(exc)

    async def count(self, user_id: str) -> int:
        if self._link.up:
            try:
                _, live = await self._acquire(keys=self._keys(user_id), args=[self._id, "", user_id, 0, self._dead_ms])
            except UNREACHABLE as exc:
                self._link.lost(exc)
            else:
                return int(live)
        return await self._local.count(user_id)

    @contextlib.asynccontextmanager
    async def _turn(self, user_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(user_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[user_id]

    async def _resync(self) -> None:
        """Make Redis hold exactly this instance's connections (Redis is back, or we were taken for dead).

        Unreachable errors propagate: the link then starts the recovery over.
        """
        await self._beat(keys=[INSTANCES], args=[self._id, self._dead_ms])
        known: dict[str, set[str]] = {}
        for entry in await self._link.client.smembers(OWNED + self._id):
            text = entry.decode() if isinstance(entry, bytes) else entry
            user_id, _, connection_id = text.partition("|")
            known.setdefault(user_id, set()).add(connection_id)
        for user_id in sorted(known.keys() | self._local.users()):
            async with self._turn(user_id):
                held = self._local.held_by(user_id)
                forget = sorted(known.get(user_id, set()).difference(held))
                await self._sync(keys=self._keys(user_id), args=[self._id, user_id, len(held), *held, *forget])

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            if not self._link.up:
                continue
            try:
                if await self._beat(keys=[INSTANCES], args=[self._id, self._dead_ms]):
                    log.warning("connection registry was taken for dead, registering its connections again")
                    await self._resync()
                await self._sweep(keys=[INSTANCES], args=[self._dead_ms, self._id, "0"])
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as exc:
                self._link.lost(exc)
            except Exception:
                log.exception("connection registry heartbeat failed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._link.up:
            with contextlib.suppress(*UNREACHABLE):
                await self._sweep(keys=[INSTANCES], args=[0, self._id, "1"])
        await self._local.close()
