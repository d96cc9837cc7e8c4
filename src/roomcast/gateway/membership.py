"""The membership lease: this instance re-reads, from the database, who may stay connected.

A removal closes its sockets at once through the kick publication, but a publication can be
lost (Redis down while the owner removes someone, an instance that was not subscribed yet).
So in scaled mode, every LEASE seconds and right after a pub/sub outage ends (embedded mode
delivers kicks in-process and cannot lose one), the instance asks the database
which of its subscriptions' (room, user) pairs are still participations, and ends the rest as
a kick would (a room socket closes with 1008, a user connection is told `room_removed`).
Sends never rely on this: the group commit itself refuses a non-participant's draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from roomcast.gateway.subscription import Subscription
from roomcast.services.rooms import RoomService

log = logging.getLogger("roomcast.gateway")

LEASE = 10.0
Lose = Callable[[Subscription, str], None]


class MembershipLease:
    def __init__(
        self,
        rooms: RoomService,
        subscriptions: Callable[[], list[Subscription]],
        lose: Lose,
        interval: float = LEASE,
    ) -> None:
        self._rooms = rooms
        self._subscriptions = subscriptions
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
        """End every local subscription whose user no longer participates in its room; how many."""
        async with self._lock:
            subscriptions = [s for s in self._subscriptions() if not s.ended and not s.connection.is_closing]
            if not subscriptions:
                return 0
            pairs = sorted({(uuid.UUID(s.room_id), uuid.UUID(s.user_id)) for s in subscriptions})
            current = await self._rooms.participants_among(pairs)
            ended = 0
            for subscription in subscriptions:
                if (uuid.UUID(subscription.room_id), uuid.UUID(subscription.user_id)) not in current:
                    self._lose(subscription, "removed")
                    ended += 1
            return ended
