"""The promise of the issue, on a real `roomcast serve` subprocess: a subscriber that keeps
iterating while the server is SIGKILLed and restarted on the same database, with another
client sending throughout, receives every message exactly once and in seq order; the sends in
flight during the restart are each stored once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest

from roomcast.client import ClientError, MessageUpdated, NewMessage
from tests.client.conftest import ServerProcess, client_for

pytestmark = pytest.mark.slow

SENDS = 40


async def test_sigkill_and_restart_lose_and_repeat_nothing(server_process: Callable[..., ServerProcess]) -> None:
    server = server_process(MESSAGE_RATE_LIMIT="100000", ACTION_RATE_LIMIT="100000/60")
    await server.register("alice")
    bob = await server.register("bob")
    async with client_for(server, username="alice", password="correct horse battery") as watcher:
        room = await watcher.create_room("restarts", members=("bob",))
        sub = await watcher.subscribe(room.id)
        received: list[NewMessage | MessageUpdated] = []
        done = asyncio.Event()

        async def watch() -> None:
            async for event in sub:
                if isinstance(event, NewMessage | MessageUpdated):
                    received.append(event)
                    if isinstance(event, NewMessage) and event.message.content == f"m{SENDS - 1}":
                        done.set()
                        return

        watching = asyncio.create_task(watch())
        async with client_for(server, username="bob", password="correct horse battery") as sender:
            bob_sub = await sender.subscribe(room.id)
            sent: list[str] = []
            a_third_sent = asyncio.Event()

            async def send_all() -> None:
                for i in range(SENDS):
                    # Each send returns once stored: across the kill it waits for the restart
                    # and goes again with the same client_id.
                    message = await bob_sub.send(f"m{i}")
                    sent.append(message.id)
                    if len(sent) == SENDS // 3:
                        a_third_sent.set()
                    if i % 10 == 5:
                        await bob_sub.edit(message.id, f"m{i} edited")
                    await asyncio.sleep(0.02)

            sending = asyncio.create_task(send_all())
            await asyncio.wait_for(a_third_sent.wait(), 60)
            server.kill()
            await asyncio.sleep(0.5)  # sends pile up against a dead server
            await asyncio.to_thread(server.start)
            try:
                async with asyncio.timeout(120):
                    await sending
                    await done.wait()
            finally:
                sending.cancel()
                watching.cancel()
                with contextlib.suppress(asyncio.CancelledError, ClientError):
                    await watching
        assert watcher.sockets_opened >= 2 and sender.sockets_opened >= 2, "the restart was not seen"
        history = await sub.history(limit=200)

    seqs = [event.seq for event in received]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "in seq order, each once"
    created = [e.message.id for e in received if isinstance(e, NewMessage)]
    assert sorted(created) == sorted(sent) and len(created) == SENDS, "every message exactly once"
    # Stored once each, whatever was in flight when the server died.
    assert [m.content.removesuffix(" edited") for m in history] == [f"m{i}" for i in range(SENDS)]
    assert sorted(m.id for m in history) == sorted(sent)
    assert {m.sender_id for m in history} == {bob["id"]}
