"""RecentCache contract: newest `size` entries per room, tagged by seq, expiring after the TTL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from roomcast.backends.base import Backends


def entry(seq: int) -> tuple[int, bytes]:
    return seq, b'{"seq":%d,"content":"m%d"}' % (seq, seq)


async def test_push_keeps_the_newest_size(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    assert await cache.get("r") == []
    await cache.push("r", [entry(1), entry(2)], 3, 60)
    await cache.push("r", [entry(3)], 3, 60)
    await cache.push("r", [entry(4), entry(5)], 3, 60)
    assert sorted(await cache.get("r")) == [entry(3), entry(4), entry(5)]
    assert await cache.get("other") == []


async def test_replace_then_push(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.replace("r", [entry(7), entry(8)], 60)
    assert sorted(await cache.get("r")) == [entry(7), entry(8)]
    await cache.push("r", [entry(9)], 5, 60)
    assert sorted(await cache.get("r")) == [entry(7), entry(8), entry(9)]


async def test_entries_expire_after_the_ttl(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    cache = (await make_backends()).cache
    await cache.push("r", [entry(1)], 5, 1)
    assert await cache.get("r") == [entry(1)]
    await asyncio.sleep(1.2)
    assert await cache.get("r") == []
