"""Time-ordered ids for rows written at a high rate (RFC 9562 UUID version 7).

A random (version 4) primary key sends every insert to a random page of the key's index, so a
group commit of n messages dirties about n index pages, each written to the WAL and synced.
Version 7 ids start with the millisecond, so a batch's ids share the index's last page.

Within one process the ids also increase strictly (RFC 9562 §6.2, method 1: the 12 bits after
the version count within a millisecond), so ordering by id is ordering by creation, which
search's newest-first pages rely on.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62
_COUNTER_MAX = 0xFFF


class _Sequence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._milliseconds = 0
        self._counter = 0

    def next(self) -> tuple[int, int]:
        milliseconds = time.time_ns() // 1_000_000
        with self._lock:
            if milliseconds > self._milliseconds:
                # A random start in the lower half leaves room to count in this millisecond.
                self._milliseconds, self._counter = milliseconds, int.from_bytes(os.urandom(2), "big") & 0x7FF
            elif self._counter < _COUNTER_MAX:
                self._counter += 1
            else:  # 4,096 ids in one millisecond (or the clock went back): borrow the next one
                self._milliseconds, self._counter = self._milliseconds + 1, 0
            return self._milliseconds, self._counter


_sequence = _Sequence()


def uuid7() -> uuid.UUID:
    milliseconds, counter = _sequence.next()
    random = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    # 48 bits of time, 4 of version, 12 of counter, 2 of variant, 62 random.
    value = (milliseconds & ((1 << 48) - 1)) << 80
    return uuid.UUID(int=value | _VERSION_7 | counter << 64 | _VARIANT_RFC | random)
