"""Reconnect delays: exponential, capped, with full jitter (AWS architecture blog, 2015)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attempt n (from 0) waits a random time in [0, min(maximum, initial * multiplier**n)].

    Full jitter spreads the clients of a restarted server over the whole window, instead of
    all of them coming back in the same instant."""

    initial: float = 0.5
    maximum: float = 15.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.maximum, self.initial * self.multiplier ** min(attempt, 64))
        return random.uniform(0, ceiling)
