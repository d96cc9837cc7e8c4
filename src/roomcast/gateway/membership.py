"""The membership lease: this instance re-reads, from the database, who may stay connected.

A removal closes its sockets at once through the kick publication, but a publication can be
lost (Redis down while the owner removes someone, an instance that was not subscribed yet).
So in scaled mode, every LEASE seconds and right after a pub/sub outage ends (embedded mode
delivers kicks in-process and cannot lose one), the instance asks the database which of the
(room, user) pairs its sockets follow are still participations — a room socket's room, a user
connection's subscriptions and watched rooms (whose `room_activity` would otherwise keep
telling a removed user what is said there) — and ends the rest as a kick would (a room socket
closes with 1008, a user connection is told `room_removed`).
Sends never rely on this: the group commit itself refuses a non-participant's draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from roomcast.gateway.connection import Connection
from roomcast.services.rooms import RoomService

log = logging.getLogger("roomcast.gateway")

LEASE = 10.0
Lose = Callable[[Connection, str, str], None]  # connection, room id, reason


class MembershipLease:
    def __init__(
        self,
        rooms: RoomService,
        connections: Callable[[], list[Connection]],
        lose: Lose,
        interval: float = LEASE,
    ) -> None:
        self._rooms = rooms
        self._connections = connections
        self._lose = lose
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="roomcast-membership-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except Exception as exc:
                # The database is unreachable: sends are refused by the commit anyway; retry later.
                log.warning("membership lease not renewed", extra={"error": repr(exc)})

    async def sweep(self) -> int:
        """Stop following every room whose user no longer participates in it here; how many."""
        async with self._lock:
            followed = [
                (connection, room_id)
                for connection in self._connections()
                if not connection.is_closing
                for room_id in connection.rooms_followed()
            ]
            if not followed:
                return 0
            pairs = sorted({(uuid.UUID(room_id), uuid.UUID(c.user_id)) for c, room_id in followed})
            current = await self._rooms.participants_among(pairs)
            ended = 0
            for connection, room_id in followed:
                if (uuid.UUID(room_id), uuid.UUID(connection.user_id)) not in current:
                    self._lose(connection, room_id, "removed")
                    ended += 1
            return ended
