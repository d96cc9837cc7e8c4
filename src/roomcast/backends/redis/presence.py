"""Presence in Redis, counted per user across connections and instances, expiring with its instance.

Keys (`keys.py`; all Redis time in milliseconds):
- `presence:{room_id}`: hash user_id → username, the users online in the room;
- `presence:{room_id}:connections`: hash `{instance_id}:{connection_id}` → user_id;
- `presence:{room_id}:counts`: hash user_id → live connections of that user in the room;
- `presence:instance:{instance_id}`: set of `{room_id}|{connection_id}` the instance owns;
- `presence:instances`: sorted set instance_id → last heartbeat.

A room's three keys share a slot and change in one script (`lua/presence_join.lua`,
`lua/presence_leave.lua`); the instance's own set is written before a join and after a
leave, so it always holds at least the instance's connections, whatever moment it dies at.
Each instance heartbeats every HEARTBEAT seconds. Every instance sweeps instances silent for
DEAD_AFTER seconds: it reads the dead instance's set and removes its connections room by room
with the leave script, which is atomic per room, so when several instances sweep the same
dead one each user whose last connection went is reported once, to the sweeper that removed
it, which calls `on_expired` (it announces `user_left`). A crashed instance's users therefore
leave within DEAD_AFTER + HEARTBEAT (20 s) of its last heartbeat. An instance sweeps only
after it has itself been connected for DEAD_AFTER, so that after a Redis outage nobody is
swept before it could heartbeat. No script touches two slots: the same steps run on a
standalone Redis and on a Redis Cluster.

The instance also keeps its own connections locally: during an outage `join`, `leave` and
`online` answer from them, and when Redis returns the instance clears its old entries and
registers its current connections again (Redis may have restarted empty).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from roomcast.backends.base import PresenceMember
from roomcast.backends.memory.presence import MemoryPresence
from roomcast.backends.redis.keys import PRESENCE_INSTANCES as INSTANCES
from roomcast.backends.redis.keys import presence_owned, presence_room
from roomcast.backends.redis.link import UNREACHABLE, RedisLink, load_script

log = logging.getLogger("roomcast.backends.redis")

HEARTBEAT = 5.0
DEAD_AFTER = 15.0


def _text(value: bytes | str) -> str:
    """A hash field or value: bytes from this client (no decode_responses), which redis-py's types do not know."""
    return value.decode() if isinstance(value, bytes) else value


class RedisPresence:
    def __init__(self, link: RedisLink, heartbeat: float = HEARTBEAT, dead_after: float = DEAD_AFTER) -> None:
        self._link = link
        self._id = link.instance_id
        self._heartbeat = heartbeat
        self._dead_after = dead_after
        self._join = load_script(link.client, "presence_join")
        self._leave = load_script(link.client, "presence_leave")
        self._instances = load_script(link.client, "instances")
        self._forget = load_script(link.client, "instance_forget")
        self._beat = load_script(link.client, "presence_heartbeat")
        self._local = MemoryPresence()
        # What this instance registered, to register again after Redis restarts: one entry per
        # room and connection (a user connection is online in every room of its user).
        self._connections: dict[tuple[str, str], PresenceMember] = {}
        self._on_expired: Callable[[str, PresenceMember], Awaitable[None]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: dict[str, set[asyncio.Future[None]]] = {}
        link.on_up(self._reregister)

    async def start(self, on_expired: Callable[[str, PresenceMember], Awaitable[None]]) -> None:
        self._on_expired = on_expired
        with contextlib.suppress(*UNREACHABLE):
            await self._beat(keys=[INSTANCES], args=[self._id])
        self._task = asyncio.create_task(self._keep_alive(), name="roomcast-presence")

    async def join(self, room_id: str, member: PresenceMember, connection_id: str) -> bool:
        self._connections[room_id, connection_id] = member
        async with self._writing(room_id):
            return await self._join_now(room_id, member, connection_id)

    async def leave(self, room_id: str, user_id: str, connection_id: str) -> bool:
        self._connections.pop((room_id, connection_id), None)
        async with self._writing(room_id):
            return await self._leave_now(room_id, user_id, connection_id)

    @contextlib.asynccontextmanager
    async def _writing(self, room_id: str) -> AsyncIterator[None]:
        # `online` waits for this instance's joins and leaves in the room that already began,
        # so that it reads its own writes as the memory backend does.
        done = asyncio.get_running_loop().create_future()
        pending = self._pending.setdefault(room_id, set())
        pending.add(done)
        try:
            yield
        finally:
            done.set_result(None)
            pending.discard(done)
            if not pending:
                self._pending.pop(room_id, None)

    async def _join_now(self, room_id: str, member: PresenceMember, connection_id: str) -> bool:
        first_here = await self._local.join(room_id, member, connection_id)
        if self._link.up:
            try:
                return await self._register(room_id, member, connection_id)
            except UNREACHABLE as exc:
                self._link.lost(exc)
        return first_here

    async def _register(self, room_id: str, member: PresenceMember, connection_id: str) -> bool:
        await self._link.client.sadd(presence_owned(self._id), f"{room_id}|{connection_id}")
        args = [self._id, connection_id, member.user_id, member.username]
        return bool(await self._join(keys=presence_room(room_id), args=args))

    async def _leave_now(self, room_id: str, user_id: str, connection_id: str) -> bool:
        last_here = await self._local.leave(room_id, user_id, connection_id)
        if self._link.up:
            try:
                gone = await self._leave(keys=presence_room(room_id), args=[self._id, connection_id])
                await self._link.client.srem(presence_owned(self._id), f"{room_id}|{connection_id}")
                return bool(gone)
            except UNREACHABLE as exc:
                self._link.lost(exc)
        return last_here

    async def online(self, room_id: str) -> list[PresenceMember]:
        pending = self._pending.get(room_id)
        if pending:
            await asyncio.wait(list(pending))
        if self._link.up:
            try:
                users = await self._link.client.hgetall(presence_room(room_id)[0])
            except UNREACHABLE as exc:
                self._link.lost(exc)
            else:
                return [PresenceMember(_text(k), _text(v)) for k, v in users.items()]
        return await self._local.online(room_id)

    async def _reregister(self) -> None:
        await self._evict(self._id)
        for (room_id, connection_id), member in list(self._connections.items()):
            await self._register(room_id, member, connection_id)
        await self._beat(keys=[INSTANCES], args=[self._id])

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            if not self._link.up:
                continue
            try:
                await self._beat(keys=[INSTANCES], args=[self._id])
                if time.monotonic() - self._link.up_since >= self._dead_after:
                    await self.sweep()
            except asyncio.CancelledError:
                raise
            except UNREACHABLE as exc:
                self._link.lost(exc)
            except Exception:
                log.exception("presence heartbeat failed")

    async def sweep(self) -> int:
        """Remove instances silent for DEAD_AFTER; announce (via on_expired) who left. → users gone."""
        dead_ms = int(self._dead_after * 1000)
        gone: list[tuple[str, PresenceMember]] = []
        _, *dead = await self._instances(keys=[INSTANCES], args=[dead_ms, "dead"])
        for instance in dead:
            if _text(instance) != self._id:
                gone.extend(await self._evict(_text(instance), dead_ms))
        for room_id, member in gone:
            log.info("presence expired", extra={"room_id": room_id, "user_id": member.user_id})
            if self._on_expired is not None:
                try:
                    await self._on_expired(room_id, member)
                except Exception:
                    log.exception("announcing an expired presence failed", extra={"room_id": room_id})
        return len(gone)

    async def _evict(self, instance: str, dead_ms: int = 0) -> list[tuple[str, PresenceMember]]:
        """Remove every connection `instance` registered, room by room → (room, user) whose last one went.

        Then forget the instance, unless it heartbeat meanwhile (`dead_ms` > 0: it was only
        taken for dead). Another sweeper doing the same at once removes each connection once.
        """
        owned = presence_owned(instance)
        entries = [_text(entry) for entry in await self._link.client.smembers(owned)]
        by_room: dict[str, list[str]] = {}
        for entry in entries:
            room_id, _, connection_id = entry.partition("|")
            by_room.setdefault(room_id, []).append(connection_id)
        gone: list[tuple[str, PresenceMember]] = []
        for room_id, connections in by_room.items():
            left = await self._leave(keys=presence_room(room_id), args=[instance, *connections])
            for index in range(0, len(left), 2):
                gone.append((room_id, PresenceMember(_text(left[index]), _text(left[index + 1]))))
        if entries:
            await self._link.client.srem(owned, *entries)
        await self._forget(keys=[INSTANCES], args=[instance, dead_ms])
        return gone

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._link.up:
            with contextlib.suppress(*UNREACHABLE):
                await self._evict(self._id)
        self._connections.clear()
        await self._local.close()
