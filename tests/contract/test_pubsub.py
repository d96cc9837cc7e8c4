"""PubSub contract: local delivery exactly once and in order, only for subscribed rooms."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from roomcast.backends.base import Backends

Received = list[tuple[str, bytes]]


def recorder() -> tuple[Received, Callable[[str, bytes], Awaitable[None]]]:
    received: Received = []

    async def handler(room_id: str, payload: bytes) -> None:
        received.append((room_id, payload))

    return received, handler


async def test_publish_reaches_the_local_handler_once_in_order(
    make_backends: Callable[..., Awaitable[Backends]],
) -> None:
    backends = await make_backends()
    received, handler = recorder()
    await backends.pubsub.start(handler)
    await backends.pubsub.subscribe("r1")
    await backends.pubsub.publish("r1", b"one")
    await backends.pubsub.publish_many([("r1", b"two"), ("r2", b"elsewhere"), ("r1", b"three")])
    await asyncio.sleep(0.2)  # an echo from the shared transport would show up by now
    assert received == [("r1", b"one"), ("r1", b"two"), ("r1", b"three")]


async def test_unsubscribed_rooms_are_not_delivered(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    backends = await make_backends()
    received, handler = recorder()
    await backends.pubsub.start(handler)
    await backends.pubsub.subscribe("r1")
    await backends.pubsub.unsubscribe("r1")
    await backends.pubsub.publish("r1", b"gone")
    await asyncio.sleep(0.1)
    assert received == []


async def test_payload_bytes_are_kept_exactly(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    backends = await make_backends()
    received, handler = recorder()
    await backends.pubsub.start(handler)
    await backends.pubsub.subscribe("r")
    payload = b'["message","c",1,""]\n{"type":"new_message","data":{"x":"\\u00e9\xc3\xa9\x00"}}'
    await backends.pubsub.publish("r", payload)
    assert received == [("r", payload)]
