"""NotificationStore contract, on SQLite and PostgreSQL: one counting notification per
(user, room, type), starting over once read."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.notifications import NotificationCount, NotificationRecord, Recipient, SqlNotificationStore
from roomcast.storage.rooms import SqlRoomStore
from tests.contract.seed import add_user


def count(user_id: uuid.UUID, room_id: uuid.UUID, n: int, kind: str = "message") -> NotificationCount:
    return NotificationCount(user_id, room_id, kind, uuid.uuid4(), n)


async def only(store: SqlNotificationStore, user_id: uuid.UUID) -> NotificationRecord:
    (notification,) = await store.list_for(user_id)
    return notification


async def test_counts_add_up_while_unread_and_start_over_once_read(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    room = await SqlRoomStore(engine).create(alice, "general", "", False, ["bob"])
    first = count(bob, room.id, 2)
    await store.add([first])
    created = await only(store, bob)
    assert (created.user_id, created.room_id, created.type, created.message_id) == (
        bob,
        room.id,
        "message",
        first.message_id,
    )
    assert created.count == 2 and created.is_read is False
    assert created.created_at.utcoffset() == timedelta(0) and created.updated_at == created.created_at

    await asyncio.sleep(0.01)
    second = count(bob, room.id, 3)
    await store.add([second])
    grown = await only(store, bob)
    assert (grown.id, grown.created_at, grown.message_id, grown.count) == (
        created.id,
        created.created_at,
        second.message_id,
        5,
    )
    assert grown.updated_at > created.updated_at

    assert await store.mark_read(bob, created.id) is True
    assert (await only(store, bob)).is_read is True
    third = count(bob, room.id, 1)
    await store.add([third])
    fresh = await only(store, bob)
    assert (fresh.id, fresh.count, fresh.is_read, fresh.message_id) == (created.id, 1, False, third.message_id)


async def test_each_user_room_and_type_counts_apart(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob, carol = [await add_user(engine, name) for name in ("alice", "bob", "carol")]
    rooms = SqlRoomStore(engine)
    one = await rooms.create(alice, "one", "", False, ["bob", "carol"])
    two = await rooms.create(alice, "two", "", False, ["bob"])
    await store.add(
        [count(bob, one.id, 1), count(bob, one.id, 4, "mention"), count(bob, two.id, 2), count(carol, one.id, 3)]
    )
    await store.add([count(bob, one.id, 1, "mention")])
    mine = {(n.room_id, n.type): n.count for n in await store.list_for(bob)}
    assert mine == {(one.id, "message"): 1, (one.id, "mention"): 5, (two.id, "message"): 2}
    assert [(n.room_id, n.count) for n in await store.list_for(carol)] == [(one.id, 3)]
    assert await store.list_for(alice) == []
    await store.add([])


async def test_unread_come_first_then_the_most_recently_updated(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    rooms = SqlRoomStore(engine)
    created = [await rooms.create(alice, f"room{i}", "", False, ["bob"]) for i in range(4)]
    for room in created:
        await store.add([count(bob, room.id, 1)])
        await asyncio.sleep(0.01)
    listed = await store.list_for(bob)
    assert [n.room_id for n in listed] == [room.id for room in reversed(created)]
    assert await store.mark_read(bob, listed[0].id) is True
    assert [n.room_id for n in await store.list_for(bob)] == [
        created[2].id,
        created[1].id,
        created[0].id,
        created[3].id,
    ]
    assert [n.room_id for n in await store.list_for(bob, limit=2)] == [created[2].id, created[1].id]


async def test_marking_read_is_for_the_owner_only(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    room = await SqlRoomStore(engine).create(alice, "general", "", False, ["bob"])
    await store.add([count(bob, room.id, 1)])
    note = await only(store, bob)
    assert await store.mark_read(alice, note.id) is False
    assert await store.mark_read(bob, uuid.uuid4()) is False
    assert (await only(store, bob)).is_read is False
    assert await store.mark_read(bob, note.id) is True
    assert await store.mark_read(bob, note.id) is True  # already read is still found


async def test_mark_all_read_counts_what_it_changed(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    rooms = SqlRoomStore(engine)
    one = await rooms.create(alice, "one", "", False, ["bob"])
    two = await rooms.create(alice, "two", "", False, ["bob"])
    await store.add(
        [count(bob, one.id, 1), count(bob, one.id, 1, "mention"), count(bob, two.id, 1), count(alice, one.id, 1)]
    )
    assert await store.mark_all_read(bob, one.id) == 2
    assert await store.mark_all_read(bob, one.id) == 0
    assert await store.mark_all_read(bob) == 1
    assert await store.mark_all_read(bob) == 0
    assert all(n.is_read for n in await store.list_for(bob))
    assert (await only(store, alice)).is_read is False


async def test_room_sizes_and_recipients(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob, carol = [await add_user(engine, name) for name in ("alice", "Bob", "carol")]
    rooms = SqlRoomStore(engine)
    one = await rooms.create(alice, "one", "", False, ["bob", "carol"])
    two = await rooms.create(alice, "two", "", False, [])
    await rooms.mark_read(one.id, carol, 0)
    await rooms.insert_participant(two.id, bob, "member", 7)
    missing = uuid.uuid4()
    assert await store.room_sizes([one.id, two.id, missing]) == {one.id: 3, two.id: 2}
    assert await store.room_sizes([]) == {}
    recipients = await store.recipients([two.id, missing])
    assert sorted(recipients, key=lambda r: r.username) == [
        Recipient(two.id, bob, "Bob", 7),
        Recipient(two.id, alice, "alice", 0),
    ]
    assert {(r.room_id, r.user_id) for r in await store.recipients([one.id, two.id])} == {
        (one.id, alice),
        (one.id, bob),
        (one.id, carol),
        (two.id, alice),
        (two.id, bob),
    }
    assert await store.recipients([]) == []


async def test_pointing_at_names_the_newest_message_of_existing_notifications(engine: AsyncEngine) -> None:
    store = SqlNotificationStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    room = await SqlRoomStore(engine).create(alice, "general", "", False, ["bob"])
    first, second = count(bob, room.id, 1, "mention"), count(bob, room.id, 1, "mention")
    await store.add([first, count(alice, room.id, 1)])
    await store.add([second])
    keys = [(bob, room.id, "mention"), (bob, room.id, "message"), (alice, room.id, "message")]
    assert await store.pointing_at(keys) == {keys[0]: second.message_id, keys[2]: (await only(store, alice)).message_id}
    assert await store.pointing_at([]) == {}
