"""RoomStore contract, on SQLite and PostgreSQL: participations are unique, reads are literal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.rooms import DuplicateParticipant, ReadState, SqlRoomStore, UnknownUsers
from tests.contract.seed import add_message, add_user, delete_message

EPOCH = datetime(2030, 1, 1, tzinfo=UTC)


async def test_create_stores_the_owner_and_the_named_members(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "Bob")
    room = await store.create(owner, "general", "talk", False, ["BOB", "bob", "Owner"])
    assert (room.name, room.description, room.is_private, room.created_by, room.last_seq) == (
        "general",
        "talk",
        False,
        owner,
        0,
    )
    assert room.created_at.utcoffset() == timedelta(0)
    assert {(m.user_id, m.role) for m in await store.members(room.id)} == {(owner, "owner"), (bob, "member")}
    found = await store.access(room.id, bob)
    assert found is not None and found.room == room and found.role == "member"


async def test_create_with_an_unknown_name_stores_nothing(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    await add_user(engine, "bob")
    with pytest.raises(UnknownUsers) as raised:
        await store.create(owner, "general", "", False, ["bob", "Zed", "amy"])
    assert raised.value.names == ("amy", "zed")
    assert await store.list_for(owner) == []


async def test_access_reports_the_room_to_anybody_and_the_role_of_participants(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, stranger = await add_user(engine, "owner"), await add_user(engine, "stranger")
    room = await store.create(owner, "secret", "", True, [])
    as_owner = await store.access(room.id, owner)
    as_stranger = await store.access(room.id, stranger)
    assert as_owner is not None and as_owner.role == "owner"
    assert as_stranger is not None and as_stranger.role is None and as_stranger.room.is_private
    assert await store.access(uuid.uuid4(), owner) is None


async def test_a_participation_is_unique(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "bob")
    room = await store.create(owner, "general", "", False, [])
    await store.insert_participant(room.id, bob, "admin", 0)
    with pytest.raises(DuplicateParticipant):
        await store.insert_participant(room.id, bob, "member", 5)
    with pytest.raises(DuplicateParticipant):
        await store.insert_participant(room.id, owner, "member", 0)
    assert await store.role_of(room.id, bob) == "admin"
    assert await store.role_of(room.id, owner) == "owner"


async def test_a_participation_needs_the_room_and_the_user(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    room = await store.create(owner, "general", "", False, [])
    with pytest.raises(IntegrityError):
        await store.insert_participant(uuid.uuid4(), owner, "member", 0)
    with pytest.raises(IntegrityError):
        await store.insert_participant(room.id, uuid.uuid4(), "member", 0)


async def test_participants_among_answers_for_any_number_of_pairs(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    people = [await add_user(engine, f"user{i:03}") for i in range(15)]
    created = [await store.create(people[0], f"room{i}", "", False, []) for i in range(3)]
    expected = set()
    for room in created:
        for user_id in people[1::2]:
            await store.insert_participant(room.id, user_id, "member", 0)
        expected |= {(room.id, user_id) for user_id in [people[0], *people[1::2]]}
    strangers = [(uuid.uuid4(), uuid.uuid4()) for _ in range(200)]
    pairs = sorted([(room.id, user_id) for room in created for user_id in people] + strangers)
    assert len(pairs) > 200
    assert await store.participants_among(pairs) == expected
    assert await store.participants_among([]) == set()


async def test_list_public_matches_names_literally(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    for name in ("100% real", "1000 real", "snake_case", "snakeXcase", "back\\slash", "backslash"):
        await store.create(owner, name, "", False, [])
    await store.create(owner, "hidden_room", "", True, [])

    async def names(text: str | None) -> set[str]:
        return {room.name for room in await store.list_public(text, 100)}

    assert await names("0%") == {"100% real"}
    assert await names("%") == {"100% real"}
    assert await names("e_c") == {"snake_case"}
    assert await names("_") == {"snake_case"}
    assert await names("k\\s") == {"back\\slash"}
    assert await names("\\") == {"back\\slash"}
    assert await names("SNAKE") == {"snake_case", "snakeXcase"}
    assert await names("room") == set()
    assert await names("") == await names(None)
    assert len(await names(None)) == 6


async def test_list_public_orders_by_name(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    for name in ("delta", "alpha", "charlie", "bravo"):
        await store.create(owner, name, "", False, [])
    assert [room.name for room in await store.list_public(None, 100)] == ["alpha", "bravo", "charlie", "delta"]
    assert [room.name for room in await store.list_public(None, 2)] == ["alpha", "bravo"]
    assert [room.name for room in await store.list_public("a", 100)] == ["alpha", "bravo", "charlie", "delta"]


async def test_list_for_puts_the_most_recently_active_first(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "bob")
    quiet = await store.create(owner, "quiet", "", False, ["bob"])
    busy = await store.create(owner, "busy", "", False, ["bob"])
    newest = await store.create(owner, "newest", "", False, [])
    await store.create(bob, "not mine", "", False, [])
    await add_message(engine, busy.id, bob, "first", EPOCH)
    last_id, last_seq = await add_message(engine, busy.id, bob, "second", EPOCH + timedelta(seconds=1))
    listed = await store.list_for(owner)
    assert [summary.room.id for summary in listed] == [busy.id, newest.id, quiet.id]
    top = listed[0]
    assert top.role == "owner" and top.room.last_seq == 2 and top.last_read_seq == 0 and top.unread_count == 2
    assert top.last_message is not None
    assert (top.last_message.id, top.last_message.seq, top.last_message.content) == (last_id, last_seq, "second")
    assert (top.last_message.sender_id, top.last_message.sender_username) == (bob, "bob")
    assert listed[1].last_message is None and listed[1].unread_count == 0
    await add_message(engine, quiet.id, owner, "wake up", EPOCH + timedelta(seconds=2))
    assert [summary.room.id for summary in await store.list_for(owner)] == [quiet.id, busy.id, newest.id]
    assert [summary.room.id for summary in await store.list_for(bob)][:2] == [quiet.id, busy.id]


async def test_list_for_breaks_ties_by_id(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    created = [await store.create(owner, f"room{i}", "", False, []) for i in range(5)]
    for room in created:
        await add_message(engine, room.id, owner, "same moment", EPOCH)
    assert [summary.room.id for summary in await store.list_for(owner)] == sorted(room.id for room in created)


async def test_members_are_ordered_by_joining_then_username(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "mallory")
    for name in ("carol", "alice", "bob"):
        await add_user(engine, name)
    late = await add_user(engine, "aaron")
    room = await store.create(owner, "general", "", False, ["carol", "alice", "bob"])
    await store.insert_participant(room.id, late, "member", 0)
    members = await store.members(room.id)
    assert [m.username for m in members] == ["alice", "bob", "carol", "mallory", "aaron"]
    assert members[0].display_name == "Alice" and members[0].joined_at.utcoffset() == timedelta(0)
    assert await store.members(uuid.uuid4()) == []
    assert await store.member_count(room.id) == len(members)
    assert await store.member_count(uuid.uuid4()) == 0


async def test_roles_change_and_participations_end(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "bob")
    room = await store.create(owner, "general", "", False, ["bob"])
    assert await store.set_role(room.id, bob, "admin") is True
    assert await store.role_of(room.id, bob) == "admin"
    assert await store.delete_participant(room.id, bob) is True
    assert await store.delete_participant(room.id, bob) is False
    assert await store.role_of(room.id, bob) is None
    assert await store.set_role(room.id, bob, "member") is False
    assert await store.participants_among([(room.id, bob), (room.id, owner)]) == {(room.id, owner)}
    await store.insert_participant(room.id, bob, "member", 0)  # may join again
    assert await store.role_of(room.id, bob) == "member"


async def test_mark_read_never_moves_backwards(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob, stranger = [await add_user(engine, name) for name in ("owner", "bob", "stranger")]
    room = await store.create(owner, "general", "", False, ["bob"])
    for n in range(5):
        await add_message(engine, room.id, owner, f"m{n}")
    assert await store.mark_read(room.id, bob, 3) == ReadState(3, 2, 0)
    assert await store.mark_read(room.id, bob, 1) == ReadState(3, 2, 0)
    assert await store.mark_read(room.id, bob, 3) == ReadState(3, 2, 0)
    assert await store.mark_read(room.id, bob, 5) == ReadState(5, 0, 0)
    assert await store.mark_read(room.id, stranger, 2) is None
    summary = (await store.list_for(bob))[0]
    assert summary.last_read_seq == 5 and summary.unread_count == 0


async def test_unread_messages_are_the_others_undeleted_ones_after_the_mark(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    alice, bob = await add_user(engine, "alice"), await add_user(engine, "bob")
    room = await store.create(alice, "general", "", False, ["bob"])
    await add_message(engine, room.id, bob, "bob's own")
    sent = [await add_message(engine, room.id, alice, f"a{n}") for n in range(4)]
    assert (await store.list_for(bob))[0].unread_count == 4
    assert (await store.list_for(alice))[0].unread_count == 1
    await delete_message(engine, sent[1][0])
    assert (await store.list_for(bob))[0].unread_count == 3
    assert await store.mark_read(room.id, bob, sent[2][1]) == ReadState(sent[2][1], 1, 0)
    await delete_message(engine, sent[0][0])  # already read: nothing changes
    assert (await store.list_for(bob))[0].unread_count == 1
    await delete_message(engine, sent[3][0])
    assert (await store.list_for(bob))[0].unread_count == 0
    summary = (await store.list_for(bob))[0]
    assert summary.last_message is not None and summary.last_message.id == sent[3][0]
    assert summary.last_message.deleted is True


async def test_a_joiner_reads_from_the_mark_given(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "bob")
    room = await store.create(owner, "general", "", False, [])
    for n in range(3):
        await add_message(engine, room.id, owner, f"m{n}")
    await store.insert_participant(room.id, bob, "member", 3)
    summary = (await store.list_for(bob))[0]
    assert summary.last_read_seq == 3 and summary.unread_count == 0


async def test_update_sets_only_the_given_fields(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner = await add_user(engine, "owner")
    room = await store.create(owner, "general", "talk", False, [])
    renamed = await store.update(room.id, {"name": "renamed", "description": None, "is_private": True})
    assert renamed is not None
    assert (renamed.name, renamed.description, renamed.is_private, renamed.id) == ("renamed", "talk", True, room.id)
    assert await store.update(room.id, {}) == renamed
    assert await store.update(uuid.uuid4(), {"name": "nowhere"}) is None


async def test_delete_takes_the_room_with_everything_of_it(engine: AsyncEngine) -> None:
    store = SqlRoomStore(engine)
    owner, bob = await add_user(engine, "owner"), await add_user(engine, "bob")
    room = await store.create(owner, "general", "", False, ["bob"])
    other = await store.create(owner, "other", "", False, ["bob"])
    await add_message(engine, room.id, bob, "gone with the room")
    await add_message(engine, other.id, bob, "stays")
    assert sorted(await store.delete(room.id)) == sorted([owner, bob])
    assert await store.access(room.id, owner) is None
    assert await store.members(room.id) == []
    assert [summary.room.id for summary in await store.list_for(bob)] == [other.id]
    async with engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM messages"))).scalar_one()
    assert left == 1
    assert await store.delete(room.id) == []
