"""Message ids: RFC 9562 version 7, ordered by creation time."""

from __future__ import annotations

import time
import uuid

from roomcast.storage.ids import uuid7


def test_version_and_variant_are_rfc_9562_v7() -> None:
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_the_first_48_bits_are_the_unix_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_ids_of_later_milliseconds_sort_after_and_ids_are_unique() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second and first.hex < second.hex
    assert len({uuid7() for _ in range(10_000)}) == 10_000


def test_ids_increase_strictly_within_a_millisecond() -> None:
    ids = [uuid7() for _ in range(20_000)]  # far more than one millisecond's counter holds
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in ids)
    assert ids[-1].int >> 80 <= time.time_ns() // 1_000_000 + 10, "borrowing stays near the clock"
