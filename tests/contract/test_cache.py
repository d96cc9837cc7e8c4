"""RecentCache contract: the newest `size` messages per room in their newest version, the room
position (`as_of`) the cache is complete up to, and expiry after the TTL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from roomcast.backends.base import Backends


def entry(seq: int, version: int = 0, text: str = "") -> tuple[int, int, bytes]:
    return seq, version or seq, b'{"seq":%d,"content":"%s"}' % (seq, (text or f"m{seq}").encode())


def shown(*entries: tuple[int, int, bytes]) -> list[tuple[int, bytes]]:
    return [(seq, payload) for seq, _, payload in entries]


async def test_push_keeps_the_newest_size(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    assert await cache.get("r") == (0, [])
    await cache.push("r", [entry(1), entry(2)], 1, 2, 3, 60)
    await cache.push("r", [entry(3)], 3, 3, 3, 60)
    await cache.push("r", [entry(4), entry(5)], 4, 5, 3, 60)
    assert await cache.get("r") == (5, shown(entry(3), entry(4), entry(5)))
    assert await cache.get("other") == (0, [])


async def test_a_change_replaces_its_message_and_an_older_version_never_does(
    make_backends: Callable[..., Awaitable[Backends]],
) -> None:
    cache = (await make_backends()).cache
    await cache.push("r", [entry(1), entry(2)], 1, 2, 5, 60)
    edited = entry(1, 3, "edited")
    await cache.push("r", [edited], 3, 3, 5, 60)
    assert await cache.get("r") == (3, shown(edited, entry(2)))
    # A rebuild read before the edit, written after it, must not bring the old text back.
    await cache.replace("r", [entry(1), entry(2)], 2, 60)
    assert await cache.get("r") == (3, shown(edited, entry(2)))
    # Nor a push of an older version arriving late (another instance).
    await cache.push("r", [entry(1, 2, "stale")], 0, 0, 5, 60)
    assert (await cache.get("r"))[1][0] == (1, edited[2])


async def test_as_of_advances_only_without_a_hole(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.push("r", [entry(1)], 1, 1, 5, 60)
    # Events 2..3 were committed elsewhere and their push is lost: the cache stays at 1.
    await cache.push("r", [entry(4)], 4, 4, 5, 60)
    as_of, _ = await cache.get("r")
    assert as_of == 1
    # A rebuild current as of 4 repairs it; pushes that follow on advance it again.
    await cache.replace("r", [entry(1), entry(2), entry(3), entry(4)], 4, 60)
    await cache.push("r", [entry(5)], 5, 5, 5, 60)
    assert await cache.get("r") == (5, shown(*(entry(n) for n in range(1, 6))))


async def test_a_push_outside_the_log_keeps_the_position(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.push("r", [entry(1), entry(2)], 1, 2, 5, 60)
    await cache.push("r", [entry(2, 7, "quoted parent changed")], 0, 0, 5, 60)
    as_of, messages = await cache.get("r")
    assert as_of == 2
    assert messages[1] == (2, entry(2, 7, "quoted parent changed")[2])


async def test_replace_merges_with_what_is_there(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.replace("r", [entry(7), entry(8)], 8, 60)
    assert await cache.get("r") == (8, shown(entry(7), entry(8)))
    await cache.push("r", [entry(9)], 9, 9, 5, 60)
    assert await cache.get("r") == (9, shown(entry(7), entry(8), entry(9)))


async def test_entries_expire_after_the_ttl(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.push("r", [entry(1)], 1, 1, 5, 1)
    assert await cache.get("r") == (1, shown(entry(1)))
    await asyncio.sleep(1.2)
    assert await cache.get("r") == (0, [])
