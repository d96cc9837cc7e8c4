"""roomcast.client against a real server (uvicorn on 127.0.0.1, in the test's loop): every
method, the typed events, and the errors as exceptions."""

from __future__ import annotations

import asyncio

import pytest

from roomcast.client import (
    Client,
    MessageRejected,
    MessageUpdated,
    NewMessage,
    NotAParticipant,
    ReadMarker,
    RoomActivity,
    RoomAdded,
    RoomRemoved,
    UserJoined,
    UserLeft,
    UserStoppedTyping,
    UserTyping,
)
from tests.client.conftest import client_for, collect, next_event, next_user_event
from tests.conftest import LiveServer


async def test_send_edit_react_delete_and_iterate_in_seq_order(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    assert (await live.post(bob, room["id"], "before the bot")).status_code == 201
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    assert client.user.id == alice.id and client.user.username == alice.username
    (listed,) = await client.rooms()
    assert listed.id == room["id"] and listed.unread_count == 1 and listed.last_seq == 1
    assert listed.last_message is not None and listed.last_message.content == "before the bot"

    sub = await client.subscribe(room["id"])
    assert [m.content for m in sub.recent_messages] == ["before the bot"]
    assert sub.last_seq == 1
    message = await sub.send("hello")
    assert (message.seq, message.content, message.sender_id, message.deleted) == (2, "hello", alice.id, False)
    assert message.client_id is not None and message.room_id == room["id"]
    edited = await sub.edit(message.id, "hello, world")
    assert edited.content == "hello, world" and edited.edited_at is not None
    reacted = await sub.react(message.id, "👍")
    assert [(r.emoji, r.count, r.user_ids) for r in reacted.reactions] == [("👍", 1, (alice.id,))]
    again = await sub.react(message.id, "👍")  # already there: nothing logged, the message as it stands
    assert again.reactions == reacted.reactions
    unreacted = await sub.unreact(message.id, "👍")
    assert unreacted.reactions == ()
    assert (await live.post(bob, room["id"], "from bob")).status_code == 201
    deleted = await sub.delete(message.id)
    assert deleted.deleted and deleted.content == ""

    events = await collect(sub, 6)
    assert [e.seq for e in events] == [2, 3, 4, 5, 6, 7]
    assert isinstance(events[0], NewMessage) and events[0].message.content == "hello"
    changes = [(e.change, e.actor.user_id) for e in events if isinstance(e, MessageUpdated)]
    assert changes == [
        ("edited", alice.id),
        ("reaction_added", alice.id),
        ("reaction_removed", alice.id),
        ("deleted", alice.id),
    ]
    mine = events[1]
    assert isinstance(mine, MessageUpdated) and mine.client_id is not None and mine.emoji is None
    from_bob = events[4]
    assert isinstance(from_bob, NewMessage) and from_bob.message.sender_username == bob.username
    assert sub.last_seq == 7
    history = await sub.history(limit=10)
    assert [m.seq for m in history] == [1, 2, 6]


async def test_presence_typing_and_read_state(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    a, b = client_for(live, alice), client_for(live, bob)
    open_clients += [a, b]
    await a.open()
    sub_a = await a.subscribe(room["id"])
    assert [u.user_id for u in sub_a.online_users] == [alice.id]
    await b.open()
    joined = await next_event(sub_a, UserJoined)
    assert (joined.room_id, joined.user_id, joined.username) == (room["id"], bob.id, bob.username)
    assert {u.user_id for u in sub_a.online_users} == {alice.id, bob.id}
    sub_b = await b.subscribe(room["id"])
    await sub_b.typing()
    assert (await next_event(sub_a, UserTyping)).user_id == bob.id
    await sub_b.typing(False)
    assert (await next_event(sub_a, UserStoppedTyping)).user_id == bob.id

    sent = await sub_b.send("read me")
    activity = await next_user_event(a, RoomActivity)
    assert activity.room_id == room["id"] and activity.last_seq == sent.seq and activity.unread_count == 1
    assert (await a.rooms())[0].unread_count == 1
    await sub_a.mark_read(sent.seq)
    marker = await next_user_event(a, ReadMarker)
    assert (marker.room_id, marker.read_seq, marker.unread_count) == (room["id"], sent.seq, 0)
    assert (await a.rooms())[0].read_seq == sent.seq
    await b.close()
    assert (await next_event(sub_a, UserLeft)).user_id == bob.id


async def test_rooms_added_and_removed_as_user_events(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    client = client_for(live, bob)
    open_clients.append(client)
    await client.open()
    assert await client.rooms() == []
    room = await live.room(alice, bob, name="added later")
    added = await next_user_event(client, RoomAdded)
    assert isinstance(added, RoomAdded) and added.room.id == room["id"] and added.room.name == "added later"
    assert [r.id for r in await client.rooms()] == [room["id"]]
    sub = await client.subscribe(room["id"])
    assert live.http is not None
    removed = await live.http.delete(f"/api/rooms/{room['id']}/members/{bob.id}", headers=alice.headers)
    assert removed.status_code == 204
    gone = await next_user_event(client, RoomRemoved)
    assert isinstance(gone, RoomRemoved) and gone.reason == "removed"
    with pytest.raises(NotAParticipant) as ended:
        await next_event(sub, NewMessage)
    assert ended.value.reason == "removed" and ended.value.room_id == room["id"]
    assert await client.rooms() == []
    with pytest.raises(NotAParticipant):
        await sub.send("after the removal")


async def test_create_join_and_leave(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    a, b = client_for(live, alice), client_for(live, bob)
    open_clients += [a, b]
    await a.open()
    await b.open()
    room = await a.create_room("open room", description="for everyone")
    assert room.name == "open room" and room.description == "for everyone" and room.created_by == alice.id
    with pytest.raises(NotAParticipant):
        await b.subscribe(room.id)
    await b.join(room.id)
    sub = await b.subscribe(room.id)
    await sub.send("joined")
    await b.leave(room.id)
    with pytest.raises(NotAParticipant):
        async with asyncio.timeout(10):
            async for _ in sub:
                pass


async def test_refusals_raise_exceptions_with_meaning(live: LiveServer, open_clients: list[Client]) -> None:
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    private = await live.room(bob, name="bob's", is_private=True)
    a = client_for(live, alice)
    open_clients.append(a)
    await a.open()
    with pytest.raises(NotAParticipant) as refused:
        await a.subscribe(private["id"])
    assert refused.value.reason == "not a participant"
    with pytest.raises(NotAParticipant):
        await a.subscribe("not-a-room")
    sub = await a.subscribe(room["id"])
    with pytest.raises(ValueError):
        await a.subscribe(room["id"])
    with pytest.raises(MessageRejected) as empty:
        await sub.send(" \u200b ")
    assert empty.value.action == "send" and empty.value.reason
    bobs = (await live.post(bob, room["id"], "bob's words")).json()
    with pytest.raises(MessageRejected) as not_yours:
        await sub.edit(bobs["id"], "alice's words")
    assert not_yours.value.action == "edit"
    with pytest.raises(MessageRejected):
        await sub.send("x" * 70_000)  # over the 64 KiB frame limit: refused before it is sent
    assert (await sub.send("still connected")).content == "still connected"
    assert a.sockets_opened == 1
