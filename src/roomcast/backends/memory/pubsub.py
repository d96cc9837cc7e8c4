from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence


class MemoryPubSub:
    """Delivers each payload to this process's handler, synchronously and in publish order."""

    def __init__(self) -> None:
        self._handler: Callable[[str, bytes], Awaitable[None]] | None = None
        self._rooms: set[str] = set()

    async def start(
        self,
        handler: Callable[[str, bytes], Awaitable[None]],
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._handler = handler  # nothing to reconnect: `on_reconnect` never runs

    async def subscribe(self, room_id: str) -> None:
        self._rooms.add(room_id)

    async def unsubscribe(self, room_id: str) -> None:
        self._rooms.discard(room_id)

    async def publish(self, room_id: str, payload: bytes) -> None:
        if self._handler is not None and room_id in self._rooms:
            await self._handler(room_id, payload)

    async def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        for room_id, payload in items:
            await self.publish(room_id, payload)

    async def close(self) -> None:
        self._handler = None
        self._rooms.clear()
