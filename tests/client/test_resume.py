"""Never loses, never repeats: resuming with since_seq, a server restart on the same database,
a reader too slow for its buffer, and sends in flight across a reconnect."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from roomcast.client import Client, MessageUpdated, NewMessage
from roomcast.services.messages import Actor
from tests.client.conftest import client_for, collect
from tests.conftest import LiveServer, hold_commits
from tests.events_helpers import UNLIMITED, Rest


async def test_since_seq_resumes_with_what_changed_meanwhile(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    rest = Rest(live, room_id)
    first = await rest.post(bob, "first")
    second = await rest.post(bob, "second")
    # Alice read up to seq 2 and went away; meanwhile:
    assert (await rest.edit(bob, first["id"], "first, edited")).status_code == 200
    assert (await rest.delete(bob, second["id"])).status_code == 204
    third = await rest.post(bob, "third")
    assert (await rest.react(bob, third["id"], "🎉")).status_code == 204
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id, since_seq=2)
    events = await collect(sub, 3)
    assert [e.seq for e in events] == [3, 4, 5]  # the reaction (6) is folded into "third"'s state
    edit, delete, created = events
    assert isinstance(edit, MessageUpdated) and edit.change == "edited" and edit.message.content == "first, edited"
    assert isinstance(delete, MessageUpdated) and delete.change == "deleted" and delete.message.deleted
    assert isinstance(created, NewMessage) and created.message.content == "third"
    assert [r.emoji for r in created.message.reactions] == ["🎉"]
    assert sub.last_seq == 6
    await rest.post(bob, "live")
    (live_event,) = await collect(sub, 1)
    assert live_event.seq == 7


async def test_a_graceful_restart_loses_and_repeats_nothing(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    rest = Rest(live, room_id)
    watcher = client_for(live, alice)
    open_clients.append(watcher)
    await watcher.open()
    sub = await watcher.subscribe(room_id)
    old = [await rest.post(bob, f"before {i}") for i in range(3)]
    await live.stop()  # SIGTERM's path: drain, then close 1001
    again = LiveServer(live.settings, port=live.port)  # the same port and database
    await again.start(migrate=False)
    try:
        # Written while the watcher was away: recovered from the log on the new server.
        rest_again = Rest(again, room_id)
        assert (await rest_again.edit(bob, old[0]["id"], "edited while away")).status_code == 200
        await rest_again.post(bob, "after")
        events = await collect(sub, 5, timeout=30)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert isinstance(events[3], MessageUpdated) and events[3].message.content == "edited while away"
        assert isinstance(events[4], NewMessage) and events[4].message.content == "after"
        assert watcher.sockets_opened >= 2
    finally:
        await again.stop()


async def test_a_slow_reader_reads_the_log_instead_of_holding_everything(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    rest = Rest(live, room_id)
    reader = client_for(live, alice, buffer_limit=5)
    open_clients.append(reader)
    await reader.open()
    sub = await reader.subscribe(room_id)
    posted = [await rest.post(bob, f"m{i}") for i in range(30)]
    assert (await rest.edit(bob, posted[0]["id"], "m0 edited")).status_code == 200
    await rest.post(bob, "last")
    await asyncio.sleep(0.5)  # all of it has reached the socket while nobody read
    events = await collect(sub, 32, timeout=30)
    assert [e.seq for e in events] == list(range(1, 33))
    assert [e.message.content for e in events[:3]] == ["m0", "m1", "m2"]
    assert isinstance(events[30], MessageUpdated) and events[30].message.content == "m0 edited"


async def test_a_send_in_flight_across_a_reconnect_is_stored_once(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    live = await start_server(**UNLIMITED)
    alice = await live.user()
    room_id = (await live.room(alice))["id"]
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id)
    release = hold_commits(live, monkeypatch)
    sending = asyncio.ensure_future(sub.send("in flight"))
    await asyncio.sleep(0.5)  # the frame is with the server, its commit held
    # The socket drops (as a network loss would) while the commit is pending; the commit then lands.
    for connection in live.app.state.gateway.hub.connections():
        connection.close(1011, "test drop")
    await asyncio.sleep(0.2)
    release.set()
    message = await asyncio.wait_for(sending, 30)
    assert message.content == "in flight"
    stored = await Rest(live, room_id).messages(alice)
    assert [m["content"] for m in stored] == ["in flight"]
    events = await collect(sub, 1)
    assert isinstance(events[0], NewMessage) and events[0].message.id == message.id
    assert client.sockets_opened >= 2


@pytest.mark.parametrize("code", [1001, 1013])
async def test_a_closed_socket_comes_back_and_resumes(
    code: int, start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    rest = Rest(live, room_id)
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id)
    await rest.post(bob, "before")
    for connection in live.app.state.gateway.hub.connections():
        connection.close(code, "test close")
    await rest.post(bob, "while it was away")
    events = await collect(sub, 2, timeout=30)
    assert [e.seq for e in events] == [1, 2]
    await rest.post(bob, "after")
    assert [e.seq for e in await collect(sub, 1)] == [3]
    assert client.sockets_opened == 2


@pytest.mark.slow
async def test_more_than_a_recovery_holds_is_read_from_the_log(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    """Over 1,000 missed events: `recovered: false`, and GET …/events brings the rest."""
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    sender = Actor(uuid.UUID(bob.id), bob.username)
    total = 1_250
    for start in range(0, total, 125):  # concurrent sends: the group commit stores them in batches
        await asyncio.gather(
            *(
                live.services.messages.do_send(sender, uuid.UUID(room_id), f"n{i}", None)
                for i in range(start, start + 125)
            )
        )
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id, since_seq=0)
    events = await collect(sub, total, timeout=60)
    assert [e.seq for e in events] == list(range(1, total + 1))
    assert len({e.message.content for e in events}) == total
