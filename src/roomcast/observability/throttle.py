"""Log lines for repeated refusals: the first of each kind at once, then one count per interval.

An attacker who can make the server refuse something (a bad token, a rate limit) must not be
able to make it write a log line each time: that fills disks and hides everything else.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class _Window:
    started: float
    suppressed: int = 0


@dataclass
class ThrottledLog:
    """`log(key, message, **extra)`: at most one line per key and `interval` seconds.

    The line that ends a quiet period carries `suppressed`: how many were left out before it.
    Keys are the kind of refusal ("rate limited", "invalid token"), not who caused it, so the
    table stays small whatever the traffic.
    """

    logger: logging.Logger
    interval: float = 10.0
    level: int = logging.INFO
    max_keys: int = 256
    _windows: dict[str, _Window] = field(default_factory=dict)

    def log(self, key: str, message: str, **extra: Any) -> None:
        now = time.monotonic()
        window = self._windows.get(key)
        if window is not None and now - window.started < self.interval:
            window.suppressed += 1
            return
        suppressed = window.suppressed if window is not None else 0
        if window is None and len(self._windows) >= self.max_keys:
            self._windows.clear()
        self._windows[key] = _Window(now)
        if suppressed:
            extra["suppressed"] = suppressed
        self.logger.log(self.level, message, extra=extra)
