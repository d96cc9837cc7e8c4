"""The per-user connection limit in Redis, shared by every instance, expiring with its instance.

Keys (`keys.py`; all Redis time in milliseconds):
- `connections:{user_id}`: sorted set `{instance_id}:{connection_id}` → acquired at, the user's
  live connections on every instance;
- `connection_instance:{instance_id}`: set `{user_id}|{connection_id}` the instance owns;
- `connection_instances`: sorted set instance_id → last heartbeat.

`lua/connections_acquire.lua` counts the user's entries and adds the new one only under the
limit, in one step on the user's slot. Which instances are alive it cannot read there (a
cluster keeps heartbeats on another slot), so the caller passes its view of them, refreshed
every HEARTBEAT seconds: entries of instances missing from the view are dropped. Before it
refuses, the caller refreshes the view and asks again, so a refusal always rests on the
current heartbeats: a crashed instance's connections stop counting DEAD_AFTER (15 s) after
its last heartbeat. Each instance heartbeats every HEARTBEAT seconds and sweeps dead
instances' bookkeeping (their set, user by user). An instance adds to its own set before
it acquires and removes from it after it releases, so a sweep always finds its entries. An
instance whose heartbeat finds it was taken for dead (it stalled, or Redis lost its entry)
registers its connections again.

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
from roomcast.backends.redis.keys import CONNECTION_INSTANCES as INSTANCES
from roomcast.backends.redis.keys import connections_owned, user_connections
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

log = logging.getLogger("roomcast.backends.redis")

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
        self._instances = load_script(link.client, "instances")
        self._forget = load_script(link.client, "instance_forget")
        self._owned = connections_owned(self._id)
        self._view: list[int | bytes | str] = [0]  # Redis time, then the instances alive then
        self._local = MemoryConnectionRegistry()
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._task: asyncio.Task[None] | None = None
        link.on_up(self._resync)

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
                    allowed, _ = await self._admit(user_id, connection_id, limit)
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
                await self._link.client.zrem(user_connections(user_id), f"{self._id}:{connection_id}")
                await self._link.client.srem(self._owned, f"{user_id}|{connection_id}")
            except UNREACHABLE as exc:
                self._link.lost(exc)

    async def count(self, user_id: str) -> int:
        if self._link.up:
            try:
                _, live = await self._admit(user_id, "", 0)
            except UNREACHABLE as exc:
                self._link.lost(exc)
            else:
                return live
        return await self._local.count(user_id)

    async def _admit(self, user_id: str, connection_id: str, limit: int) -> tuple[bool, int]:
        """Redis's answer (admitted, the user's live connections), on a fresh view before a refusal."""
        owned = f"{user_id}|{connection_id}"
        if connection_id:
            await self._link.client.sadd(self._owned, owned)
        key = [user_connections(user_id)]
        allowed, live, stale = await self._acquire(keys=key, args=[self._id, connection_id, limit, *self._view])
        if stale or not allowed:
            await self._refresh_view()
            allowed, live, _ = await self._acquire(keys=key, args=[self._id, connection_id, limit, *self._view])
        if connection_id and not allowed:
            await self._link.client.srem(self._owned, owned)
        return bool(allowed), int(live)

    async def _refresh_view(self) -> None:
        self._view = await self._instances(keys=[INSTANCES], args=[self._dead_ms, "live"])

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
        await self._refresh_view()
        known: dict[str, set[str]] = {}
        for entry in await self._link.client.smembers(self._owned):
            text = entry.decode() if isinstance(entry, bytes) else entry
            user_id, _, connection_id = text.partition("|")
            known.setdefault(user_id, set()).add(connection_id)
        for user_id in sorted(known.keys() | self._local.users()):
            async with self._turn(user_id):
                held = sorted(self._local.held_by(user_id))
                if held:
                    await self._link.client.sadd(self._owned, *(f"{user_id}|{c}" for c in held))
                await self._sync(keys=[user_connections(user_id)], args=[self._id, *held])
                forget = known.get(user_id, set()).difference(held)
                if forget:
                    await self._link.client.srem(self._owned, *(f"{user_id}|{c}" for c in forget))

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            if not self._link.up:
                continue
            try:
                if await self._beat(keys=[INSTANCES], args=[self._id, self._dead_ms]):
                    log.warning("connection registry was taken for dead, registering its connections again")
                    await self._resync()
                await self._refresh_view()
                await self.sweep()
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
                await self._evict(self._id)
        await self._local.close()

    async def sweep(self) -> int:
        """Forget instances silent for DEAD_AFTER (at most 16 a call) → connections removed."""
        _, *dead = await self._instances(keys=[INSTANCES], args=[self._dead_ms, "dead"])
        removed = 0
        for instance in dead:
            text = instance.decode() if isinstance(instance, bytes) else instance
            if text != self._id:
                removed += await self._evict(text, self._dead_ms)
        return removed

    async def _evict(self, instance: str, dead_ms: int = 0) -> int:
        """Remove every connection `instance` registered, then the instance itself unless it
        heartbeat meanwhile (`dead_ms` > 0); done twice at once, each entry goes once."""
        owned = connections_owned(instance)
        entries = [e.decode() if isinstance(e, bytes) else e for e in await self._link.client.smembers(owned)]
        removed = 0
        if entries:
            async with self._link.client.pipeline(transaction=False) as pipe:
                for entry in entries:
                    user_id, _, connection_id = entry.partition("|")
                    pipe.zrem(user_connections(user_id), f"{instance}:{connection_id}")
                removed = sum(int(answer) for answer in await pipe.execute())
            await self._link.client.srem(owned, *entries)
        await self._forget(keys=[INSTANCES], args=[instance, dead_ms])
        return removed
