"""Time-ordered ids for rows written at a high rate (RFC 9562 UUID version 7).

A random (version 4) primary key sends every insert to a random page of the key's index, so a
group commit of n messages dirties about n index pages, each written to the WAL and synced.
Version 7 ids start with the millisecond, so a batch's ids share the index's last page.
"""

from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0x2 << 62


def uuid7() -> uuid.UUID:
    milliseconds = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    # 48 bits of time, 4 of version, 12 random, 2 of variant, 62 random.
    value = (milliseconds & ((1 << 48) - 1)) << 80
    value |= _VERSION_7 | ((random >> 62) & 0xFFF) << 64 | _VARIANT_RFC | (random & ((1 << 62) - 1))
    return uuid.UUID(int=value)
