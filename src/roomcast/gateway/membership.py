"""The membership lease: this instance re-reads, from the database, who may stay connected.

A removal closes its sockets at once through the kick publication, but a publication can be
lost (Redis down while the owner removes someone, an instance that was not subscribed yet).
So in scaled mode, every LEASE seconds and right after a pub/sub outage ends (embedded mode
delivers kicks in-process and cannot lose one), the instance asks the database
which of its sockets' (room, user) pairs are still participations, and closes the rest with
1008. Sends never rely on this: the group commit itself refuses a non-participant's draft.
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


class MembershipLease:
    def __init__(
        self, rooms: RoomService, connections: Callable[[], list[Connection]], interval: float = LEASE
    ) -> None:
        self._rooms = rooms
        self._connections = connections
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
        """Close every local socket whose user no longer participates in its room; how many closed."""
        async with self._lock:
            connections = [c for c in self._connections() if not c.is_closing]
            if not connections:
                return 0
            pairs = sorted({(uuid.UUID(c.room_id), uuid.UUID(c.user_id)) for c in connections})
            current = await self._rooms.participants_among(pairs)
            closed = 0
            for connection in connections:
                if (uuid.UUID(connection.room_id), uuid.UUID(connection.user_id)) not in current:
                    connection.close(1008, "removed from room")
                    closed += 1
            return closed
