from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from itertools import count

from roomcast.backends.base import RateDecision


class MemoryRateLimiter:
    """Sliding-window log: the acquisition times of each key within the last window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._logs: dict[str, deque[tuple[float, str]]] = {}
        self._tokens = count(1)

    async def acquire(self, key: str, limit: int, window: float) -> RateDecision:
        now = self._clock()
        log = self._logs.setdefault(key, deque())
        while log and log[0][0] <= now - window:
            log.popleft()
        if len(log) >= limit:
            wait = log[len(log) - limit][0] + window - now
            return RateDecision(False, len(log), limit, max(1, math.ceil(wait)))
        token = str(next(self._tokens))
        log.append((now, token))
        wait = log[0][0] + window - now if len(log) >= limit else 0.0
        return RateDecision(True, len(log), limit, max(0, math.ceil(wait)), token)

    async def release(self, key: str, token: str) -> None:
        log = self._logs.get(key)
        if not log:
            return
        for entry in log:
            if entry[1] == token:
                log.remove(entry)
                break

    async def close(self) -> None:
        self._logs.clear()
