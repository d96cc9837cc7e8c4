"""The drain barrier of one process: it has no peers to wait for."""

from __future__ import annotations


class MemoryDrainBarrier:
    async def begin(self) -> None:
        return None

    async def end(self) -> None:
        return None

    async def wait_for_peers(self, timeout: float) -> None:
        return None

    async def close(self) -> None:
        return None
