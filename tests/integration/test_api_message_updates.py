"""SPEC §3 over real HTTP: PATCH/DELETE a message, PUT/DELETE a reaction, the events feed,
unread_count after deletes and updates, and notifications of mentions added by an edit (§4a, §6)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.conftest import LiveServer, User
from tests.events_helpers import MESSAGE_KEYS, UNLIMITED, UPDATE_KEYS, Rest, View, reactions_of


async def room_of(live: LiveServer, owner: User, *members: User, **kw: Any) -> tuple[dict[str, Any], Rest]:
    room = await live.room(owner, *members, **kw)
    return room, Rest(live, room["id"])


# --- PATCH --------------------------------------------------------------------------------------


async def test_patch_edits_the_senders_message(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    message = await rest.post(alice, "draft", client_id="c1")
    assert set(message) == MESSAGE_KEYS
    assert (message["edited_at"], message["deleted"], message["reply_to"], message["reactions"]) == (
        None,
        False,
        None,
        [],
    )
    response = await rest.edit(alice, message["id"], "final")
    assert response.status_code == 200, response.text
    edited = response.json()
    assert set(edited) == MESSAGE_KEYS
    assert edited["content"] == "final" and edited["edited_at"] is not None
    assert {k: edited[k] for k in ("id", "seq", "sender_id", "created_at", "client_id")} == {
        k: message[k] for k in ("id", "seq", "sender_id", "created_at", "client_id")
    }
    assert await rest.messages(bob) == [edited]
    assert await rest.last_seq(bob) == 2, "the edit is the room's event 2"


async def test_patch_refusals(start_server) -> None:
    live = await start_server(MAX_MESSAGE_LENGTH=10)
    alice, bob, outsider = await live.user(), await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    other, other_rest = await room_of(live, alice, bob, name="other")
    _, private_rest = await room_of(live, alice, is_private=True, name="private")
    message = await rest.post(bob, "bob's")
    elsewhere = await other_rest.post(alice, "elsewhere")
    hidden = await private_rest.post(alice, "hidden")
    gone = await rest.post(alice, "gone")
    assert (await rest.delete(alice, gone["id"])).status_code == 204

    assert (await rest.edit(alice, message["id"], "not mine")).status_code == 403, "the owner is not the sender"
    assert (await rest.edit(alice, gone["id"], "back")).status_code == 409
    assert (await rest.edit(bob, str(uuid.uuid4()), "x")).status_code == 404
    assert (await rest.edit(alice, elsewhere["id"], "x")).status_code == 404, "a message of another room"
    assert (await rest.edit(outsider, message["id"], "x")).status_code == 403, "public room, not a participant"
    assert (await private_rest.edit(outsider, hidden["id"], "x")).status_code == 404, "a room one may not see"
    for content in ["", "   ", "\u200b", 42, None, ["x"], "x" * 11]:
        response = await rest.edit(bob, message["id"], content)
        assert response.status_code == 422, (content, response.text)
        assert isinstance(response.json()["detail"], str)
    assert live.http is not None
    no_auth = await live.http.patch(rest.path(message["id"]), json={"content": "x"})
    assert no_auth.status_code == 401
    malformed = await live.http.patch(f"{rest.path()}/not-a-uuid", json={"content": "x"}, headers=bob.headers)
    assert malformed.status_code in (404, 422)
    assert (await rest.message(bob, message["id"]))["content"] == "bob's"
    assert (await other_rest.message(alice, elsewhere["id"]))["edited_at"] is None
    assert await rest.last_seq(bob) == 3, "refusals log nothing (2 messages and one delete)"
    assert (await rest.edit(bob, message["id"], "x" * 10)).status_code == 200


# --- DELETE -------------------------------------------------------------------------------------


async def test_delete_leaves_a_tombstone_and_is_idempotent(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    keep = await rest.post(bob, "keep")
    doomed = await rest.post(bob, "the secret")
    assert (await rest.react(alice, doomed["id"], "👍")).status_code == 204
    response = await rest.delete(bob, doomed["id"])
    assert response.status_code == 204 and response.content == b""
    history = await rest.messages(alice)
    assert history[0] == keep
    tombstone = history[1]
    assert tombstone["id"] == doomed["id"] and tombstone["seq"] == 2
    assert (tombstone["deleted"], tombstone["content"], tombstone["reactions"]) == (True, "", [])
    assert (await rest.delete(bob, doomed["id"])).status_code == 204, "deleting twice → 204"
    assert (await rest.delete(alice, doomed["id"])).status_code in (204, 403)
    assert await rest.last_seq(alice) == 4, "the second delete logged nothing"
    assert live.http is not None
    search = await live.http.get("/api/search", params={"q": "secret"}, headers=alice.headers)
    assert search.status_code == 200, search.text
    assert search.json()["results"] == [], "the content is erased"


async def test_delete_permissions(live: LiveServer) -> None:
    owner, admin, member, other, outsider = [await live.user() for _ in range(5)]
    room, rest = await room_of(live, owner, admin, member, other)
    assert live.http is not None
    promoted = await live.http.patch(
        f"/api/rooms/{room['id']}/members/{admin.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.status_code in (200, 204), promoted.text
    messages = [await rest.post(other, f"m{n}") for n in range(4)]
    owners = await rest.post(owner, "owner's")
    assert (await rest.delete(member, messages[0]["id"])).status_code == 403
    assert (await rest.delete(member, owners["id"])).status_code == 403
    assert (await rest.delete(outsider, messages[0]["id"])).status_code == 403  # public room, not a participant
    assert (await rest.delete(owner, str(uuid.uuid4()))).status_code == 404
    assert (await rest.delete(owner, messages[0]["id"])).status_code == 204
    assert (await rest.delete(admin, messages[1]["id"])).status_code == 204
    assert (await rest.delete(other, messages[2]["id"])).status_code == 204
    assert (await rest.delete(admin, owners["id"])).status_code == 204  # "the sender, or the owner or an admin"
    assert [m["deleted"] for m in await rest.messages(owner)] == [True, True, True, False, True]


# --- reactions ----------------------------------------------------------------------------------


async def test_put_and_delete_reactions(live: LiveServer) -> None:
    alice, bob, carol = [await live.user() for _ in range(3)]
    room, rest = await room_of(live, alice, bob, carol)
    message = await rest.post(alice, "vote")
    for user, emoji in ((bob, "👍"), (carol, "🎉"), (alice, "👍"), (carol, "+1"), (bob, "👨\u200d👩\u200d👧")):
        response = await rest.react(user, message["id"], emoji)
        assert response.status_code == 204, (emoji, response.text)
    stored = await rest.message(alice, message["id"])
    assert reactions_of(stored) == [
        ("👍", 2, {bob.id, alice.id}),
        ("🎉", 1, {carol.id}),
        ("+1", 1, {carol.id}),
        ("👨\u200d👩\u200d👧", 1, {bob.id}),
    ]
    assert stored["edited_at"] is None and stored["content"] == "vote"
    before = await rest.last_seq(alice)
    # idempotent both ways: nothing logged
    assert (await rest.react(bob, message["id"], "👍")).status_code == 204
    assert (await rest.unreact(bob, message["id"], "🎉")).status_code == 204  # carol's, not bob's
    assert (await rest.unreact(alice, message["id"], "🚀")).status_code == 204
    assert await rest.last_seq(alice) == before
    assert await rest.message(alice, message["id"]) == stored
    assert (await rest.unreact(bob, message["id"], "👍")).status_code == 204
    assert (await rest.unreact(carol, message["id"], "🎉")).status_code == 204
    assert await rest.last_seq(alice) == before + 2
    assert reactions_of(await rest.message(alice, message["id"])) == [
        ("👍", 1, {alice.id}),
        ("+1", 1, {carol.id}),
        ("👨\u200d👩\u200d👧", 1, {bob.id}),
    ]


@pytest.mark.parametrize("emoji", [" ", "a b", "👍 ", "\t", "\u00a0", "\u3000", "\x07", "\x7f", "x" * 33], ids=repr)
async def test_invalid_emoji_is_422(live: LiveServer, emoji: str) -> None:
    alice = await live.user()
    room, rest = await room_of(live, alice)
    message = await rest.post(alice, "hi")
    assert (await rest.react(alice, message["id"], emoji)).status_code == 422
    assert (await rest.unreact(alice, message["id"], emoji)).status_code == 422
    assert (await rest.message(alice, message["id"]))["reactions"] == []
    assert (await rest.react(alice, message["id"], "x" * 32)).status_code == 204


async def test_reaction_refusals(live: LiveServer) -> None:
    """A deleted message: §3 gives PATCH a 409 and says nothing for reactions; 409 (as PATCH)
    or 404 are accepted."""
    alice, bob, outsider = [await live.user() for _ in range(3)]
    room, rest = await room_of(live, alice, bob)
    _, other_rest = await room_of(live, alice, name="other")
    _, private_rest = await room_of(live, alice, is_private=True, name="private")
    message = await rest.post(alice, "hi")
    elsewhere = await other_rest.post(alice, "elsewhere")
    hidden = await private_rest.post(alice, "hidden")
    gone = await rest.post(alice, "gone")
    assert (await rest.delete(alice, gone["id"])).status_code == 204
    assert (await rest.react(bob, str(uuid.uuid4()), "👍")).status_code == 404
    assert (await rest.react(bob, elsewhere["id"], "👍")).status_code == 404
    assert (await rest.react(outsider, message["id"], "👍")).status_code == 403
    assert (await private_rest.react(outsider, hidden["id"], "👍")).status_code == 404
    assert (await rest.react(bob, gone["id"], "👍")).status_code in (404, 409)
    assert (await rest.unreact(outsider, message["id"], "👍")).status_code == 403
    assert (await other_rest.message(alice, elsewhere["id"]))["reactions"] == []
    assert await rest.last_seq(alice) == 3


async def test_action_rate_limit_is_429(start_server) -> None:
    live = await start_server(ACTION_RATE_LIMIT="3/60")
    alice, bob = await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    message = await rest.post(alice, "hi")
    assert (await rest.edit(alice, message["id"], "hi!")).status_code == 200
    assert (await rest.react(alice, message["id"], "👍")).status_code == 204
    assert (await rest.react(alice, message["id"], "🎉")).status_code == 204
    for response in (
        await rest.react(alice, message["id"], "🚀"),
        await rest.edit(alice, message["id"], "hi!!"),
        await rest.delete(alice, message["id"]),
    ):
        assert response.status_code == 429, response.text
        assert isinstance(response.json()["detail"], str)
    stored = await rest.message(alice, message["id"])
    assert stored["content"] == "hi!" and not stored["deleted"] and len(stored["reactions"]) == 2
    assert (await rest.react(bob, message["id"], "🚀")).status_code == 204, "per user"
    assert (await live.post(alice, room["id"], "messages have their own limit")).status_code == 201


# --- GET …/events -------------------------------------------------------------------------------


async def build_log(live: LiveServer) -> tuple[list[User], Rest, dict[str, dict[str, Any]]]:
    """m1(1) m2(2) edit m1(3) react m1(4) m3(5) edit m3(6) delete m2(7) m4(8) react m4(9)
    unreact m4(10) edit m1(11)."""
    alice, bob = await live.user(), await live.user()
    _, rest = await room_of(live, alice, bob)
    m1 = await rest.post(alice, "m1")
    m2 = await rest.post(bob, "m2")
    assert (await rest.edit(alice, m1["id"], "m1 v2")).status_code == 200
    assert (await rest.react(bob, m1["id"], "👍")).status_code == 204
    m3 = await rest.post(bob, "m3")
    assert (await rest.edit(bob, m3["id"], "m3 v2")).status_code == 200
    assert (await rest.delete(bob, m2["id"])).status_code == 204
    m4 = await rest.post(alice, "m4")
    assert (await rest.react(alice, m4["id"], "🎉")).status_code == 204
    assert (await rest.unreact(alice, m4["id"], "🎉")).status_code == 204
    assert (await rest.edit(alice, m1["id"], "m1 v3")).status_code == 200
    return [alice, bob], rest, {"m1": m1, "m2": m2, "m3": m3, "m4": m4}


def check_event_shapes(events: list[dict[str, Any]], after_seq: int, last_seq: int) -> None:
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), f"strictly increasing: {seqs}"
    assert all(after_seq < s <= last_seq for s in seqs), seqs
    for event in events:
        assert set(event) == {"seq", "type", "data"}, event
        if event["type"] == "new_message":
            assert set(event["data"]) == {"message"}, event
            assert event["data"]["message"]["seq"] == event["seq"]
        else:
            assert event["type"] == "message_updated", event
            data = event["data"]
            assert set(data) <= UPDATE_KEYS and {"seq", "change", "actor", "message"} <= set(data), data
            assert data["seq"] == event["seq"] and data.get("client_id") is None
            assert set(data["actor"]) == {"user_id", "username"}
            assert data["message"]["seq"] <= after_seq, "a message created after N comes as new_message"


async def test_events_collapse_updates_to_the_newest_state(live: LiveServer) -> None:
    (alice, bob), rest, m = await build_log(live)
    current = await rest.state(alice)
    response = await rest.events(bob, after_seq=0)
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"events", "has_more", "last_seq"}
    assert page["last_seq"] == 11 and page["has_more"] is False
    check_event_shapes(page["events"], 0, 11)
    # from 0, every message is created after N: one new_message each, in its current state
    assert [(e["type"], e["seq"]) for e in page["events"]] == [
        ("new_message", 1),
        ("new_message", 2),
        ("new_message", 5),
        ("new_message", 8),
    ]
    assert [e["data"]["message"] for e in page["events"]] == list(current.values())

    # after 4: m1 and m2 are older; m1's newest change is the edit at 11, m2's the delete at 7
    page = (await rest.events(bob, after_seq=4)).json()
    check_event_shapes(page["events"], 4, 11)
    assert [(e["type"], e["seq"]) for e in page["events"]] == [
        ("new_message", 5),
        ("message_updated", 7),
        ("new_message", 8),
        ("message_updated", 11),
    ]
    m2_update, m1_update = page["events"][1]["data"], page["events"][3]["data"]
    assert m2_update["change"] == "deleted" and m2_update["message"] == current[m["m2"]["id"]]
    assert m2_update["actor"] == {"user_id": bob.id, "username": bob.username}
    assert m1_update["change"] == "edited" and m1_update["message"] == current[m["m1"]["id"]]
    assert m1_update["message"]["reactions"][0]["emoji"] == "👍", "the newest state has every change"
    assert page["events"][2]["data"]["message"]["reactions"] == [], "m4 as it stands, after 9 and 10"

    # after 9: m4 (8) had its reaction removed at 10
    page = (await rest.events(bob, after_seq=9)).json()
    check_event_shapes(page["events"], 9, 11)
    assert [(e["type"], e["seq"], e["data"]["change"]) for e in page["events"]] == [
        ("message_updated", 10, "reaction_removed"),
        ("message_updated", 11, "edited"),
    ]
    assert page["events"][0]["data"]["emoji"] == "🎉"
    page = (await rest.events(bob, after_seq=11)).json()
    assert page == {"events": [], "has_more": False, "last_seq": 11}
    page = (await rest.events(bob, after_seq=500)).json()
    assert page["events"] == [] and page["has_more"] is False and page["last_seq"] == 11


# (seq, message) of every event build_log makes: the message created or changed
LOG = [(1, "m1"), (2, "m2"), (3, "m1"), (4, "m1"), (5, "m3"), (6, "m3"), (7, "m2"), (8, "m4"), (9, "m4")]
LOG += [(10, "m4"), (11, "m1")]
CREATED = {"m1": 1, "m2": 2, "m3": 5, "m4": 8}


async def test_events_from_any_point_send_each_touched_message_once_in_its_newest_state(live: LiveServer) -> None:
    (alice, bob), rest, made = await build_log(live)
    current = await rest.state(alice)
    for after in range(12):
        events = (await rest.events(bob, after_seq=after)).json()["events"]
        check_event_shapes(events, after, 11)
        touched = {key for seq, key in LOG if seq > after}
        ids = [e["data"]["message"]["id"] for e in events]
        assert sorted(ids) == sorted(made[key]["id"] for key in touched), f"after_seq={after}: once each"
        for event in events:
            key = next(k for k, m in made.items() if m["id"] == event["data"]["message"]["id"])
            newest = max(seq for seq, k in LOG if k == key)
            if CREATED[key] > after:
                assert (event["type"], event["seq"]) == ("new_message", CREATED[key]), (after, key)
            else:
                assert (event["type"], event["seq"]) == ("message_updated", newest), (after, key)
            assert event["data"]["message"] == current[made[key]["id"]], (after, key)


async def test_events_paging_has_no_gap_or_repeat(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    _, rest = await room_of(live, alice, bob)
    posted = [await rest.post(alice if n % 2 else bob, f"m{n}") for n in range(12)]
    for n, message in enumerate(posted):
        if n % 3 == 0:
            assert (await rest.react(bob, message["id"], "👍")).status_code == 204
        if n % 4 == 1:
            assert (await rest.edit(alice, message["id"], f"m{n} edited")).status_code == 200
        if n == 7:
            assert (await rest.delete(alice, message["id"])).status_code == 204
    current = await rest.state(alice)
    last = await rest.last_seq(alice)
    for limit in (1, 2, 3, 5, 200):
        pages: list[dict[str, Any]] = []
        after = 0
        while True:
            response = await rest.events(bob, after_seq=after, limit=limit)
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["last_seq"] == last
            assert len(page["events"]) <= limit
            pages.append(page)
            if not page["has_more"]:
                break
            assert len(page["events"]) == limit, "a page short of the limit is the last one"
            after = page["events"][-1]["seq"]
        events = [e for p in pages for e in p["events"]]
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(set(seqs)), f"limit={limit}: no repeat, in order"
        view = View()
        for event in events:
            view.apply_event(event)
        assert view.messages == current, f"limit={limit}"
        assert {e["data"]["message"]["seq"] for e in events if e["type"] == "new_message"} == {
            m["seq"] for m in current.values()
        }, "every message comes once as new_message"
    assert len(pages) == 1 and pages[0]["has_more"] is False


async def test_events_parameters_and_access(live: LiveServer) -> None:
    alice, outsider = await live.user(), await live.user()
    room, rest = await room_of(live, alice)
    _, private_rest = await room_of(live, alice, is_private=True, name="private")
    await rest.post(alice, "hi")
    default = await rest.events(alice)  # after_seq has no stated default: 0, or required
    assert default.status_code in (200, 422)
    if default.status_code == 200:
        assert [e["seq"] for e in default.json()["events"]] == [1]
    for params in ({"after_seq": -1}, {"after_seq": "x"}, {"limit": 0}, {"limit": -3}, {"limit": "ten"}):
        assert (await rest.events(alice, **params)).status_code == 422, params
    assert (await rest.events(alice, after_seq=10**30)).status_code == 422
    assert (await rest.events(outsider, after_seq=0)).status_code == 403, "public room, not a participant"
    assert (await private_rest.events(outsider, after_seq=0)).status_code == 404
    assert (await Rest(live, str(uuid.uuid4())).events(alice, after_seq=0)).status_code == 404
    assert live.http is not None
    assert (await live.http.get(f"/api/rooms/{room['id']}/events")).status_code == 401
    # the same answers as the other room routes give
    history = await live.http.get(rest.path(), headers=outsider.headers)
    assert history.status_code == 403


# --- unread_count -------------------------------------------------------------------------------


async def my_room(live: LiveServer, user: User, room_id: str) -> dict[str, Any]:
    assert live.http is not None
    response = await live.http.get("/api/rooms", headers=user.headers)
    assert response.status_code == 200, response.text
    return next(r for r in response.json() if r["id"] == room_id)


async def test_unread_count_skips_deleted_and_own_messages_and_updates(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    rid = room["id"]
    await rest.post(bob, "bob's own")  # (a send also moves the sender's own read mark)
    posted = [await rest.post(alice, f"a{n}") for n in range(4)]
    assert (await my_room(live, bob, rid))["unread_count"] == 4, "only the others' messages"
    assert (await rest.delete(alice, posted[1]["id"])).status_code == 204
    assert (await my_room(live, bob, rid))["unread_count"] == 3, "a deleted message is not unread"
    assert live.http is not None
    read = await live.http.post(f"/api/rooms/{rid}/read", json={"seq": posted[2]["seq"]}, headers=bob.headers)
    assert read.status_code == 200 and read.json()["unread_count"] == 1
    # updates are events but not messages: nothing new to read
    assert (await rest.edit(alice, posted[3]["id"], "a3 edited")).status_code == 200
    assert (await rest.react(alice, posted[0]["id"], "👍")).status_code == 204
    summary = await my_room(live, bob, rid)
    assert summary["unread_count"] == 1
    assert summary["last_seq"] == 8, "last_seq is the room's newest event"
    assert summary["last_message"]["id"] == posted[3]["id"], "the newest message, not the newest event"
    assert summary["last_message"]["content"] == "a3 edited", "in its current version"
    # reading up to the newest event (an update) reads everything
    read = await live.http.post(f"/api/rooms/{rid}/read", json={"seq": summary["last_seq"]}, headers=bob.headers)
    assert read.json()["unread_count"] == 0
    await rest.post(alice, "new")
    assert (await my_room(live, bob, rid))["unread_count"] == 1
    # deleting a message already read changes nothing; deleting an unread one does
    assert (await rest.delete(alice, posted[0]["id"])).status_code == 204
    assert (await my_room(live, bob, rid))["unread_count"] == 1
    last = (await rest.messages(alice))[-1]
    assert (await rest.delete(alice, last["id"])).status_code == 204
    assert (await my_room(live, bob, rid))["unread_count"] == 0


# --- notifications ------------------------------------------------------------------------------


async def notes(live: LiveServer, user: User, kind: str, room_id: str) -> list[dict[str, Any]]:
    assert live.http is not None
    await asyncio.wait_for(live.services.notifier.flush(), 5)
    response = await live.http.get("/api/notifications", headers=user.headers)
    assert response.status_code == 200, response.text
    return [n for n in response.json() if n["type"] == kind and n["room_id"] == room_id]


async def eventually_notes(
    live: LiveServer, user: User, kind: str, room_id: str, count: int, within: float = 5
) -> list[dict[str, Any]]:
    async with asyncio.timeout(within):
        while True:
            got = await notes(live, user, kind, room_id)
            if got and got[0]["count"] >= count:
                return got
            await asyncio.sleep(0.05)


async def test_an_edit_that_adds_a_mention_notifies_once(live: LiveServer) -> None:
    alice, bob, carol = [await live.user() for _ in range(3)]
    room, rest = await room_of(live, alice, bob, carol)
    rid = room["id"]
    plain = await rest.post(alice, "hello all")
    await eventually_notes(live, bob, "message", rid, 1)
    assert await notes(live, bob, "mention", rid) == []

    assert (await rest.edit(alice, plain["id"], f"hello @{bob.username}")).status_code == 200
    mention = await eventually_notes(live, bob, "mention", rid, 1)
    assert len(mention) == 1 and mention[0]["count"] == 1 and mention[0]["message_id"] == plain["id"]
    assert await notes(live, carol, "mention", rid) == []

    # the same mention again, then gone and back: never a second notification
    for text in (f"hello @{bob.username}!", "hello", f"hello again @{bob.username}"):
        assert (await rest.edit(alice, plain["id"], text)).status_code == 200
    again = await notes(live, bob, "mention", rid)
    assert len(again) == 1 and again[0]["count"] == 1
    # edits are not new messages: no message notification counts them
    assert [n["count"] for n in await notes(live, bob, "message", rid)] == [1]
    assert [n["count"] for n in await notes(live, carol, "message", rid)] == [1]

    # a message that mentioned carol from the start: editing it (mention kept) adds nothing
    named = await rest.post(alice, f"@{carol.username} look")
    await eventually_notes(live, carol, "mention", rid, 1)
    assert (await rest.edit(alice, named["id"], f"@{carol.username} look at this")).status_code == 200
    assert [n["count"] for n in await notes(live, carol, "mention", rid)] == [1]
    # a second, different message's edit adding a mention of bob is a new mention of bob
    assert (await rest.edit(alice, named["id"], f"@{carol.username} and @{bob.username}")).status_code == 200
    got = await eventually_notes(live, bob, "mention", rid, 2)
    assert got[0]["count"] == 2
    assert [n["count"] for n in await notes(live, carol, "mention", rid)] == [1]


async def test_concurrent_rest_updates_take_consecutive_seqs_and_collapse(start_server) -> None:
    live = await start_server(**UNLIMITED)
    users = [await live.user() for _ in range(5)]
    room, rest = await room_of(live, users[0], *users[1:])
    message = await rest.post(users[0], "popular")
    observer = await live.connect(room["id"], users[1])
    await observer.expect("connected")
    reactions = [rest.react(user, message["id"], f"e{n}") for n in range(6) for user in users]
    edits = [rest.edit(users[0], message["id"], f"v{n}") for n in range(10)]
    responses = await asyncio.gather(*reactions, *edits)
    assert [r.status_code for r in responses] == [204] * 30 + [200] * 10
    assert await rest.last_seq(users[0]) == 41
    seen: list[int] = []
    async with asyncio.timeout(10):
        while len(seen) < 40:
            frame = await observer.recv()
            if frame["type"] == "message_updated":
                seen.append(frame["data"]["seq"])
    assert seen == list(range(2, 42)), "one event each, in seq order, without gaps"
    stored = await rest.message(users[0], message["id"])
    assert sum(r["count"] for r in stored["reactions"]) == 30
    assert sorted(r["emoji"] for r in stored["reactions"]) == [f"e{n}" for n in range(6)]
    events = (await rest.events(users[1], after_seq=1)).json()["events"]
    assert [(e["type"], e["seq"]) for e in events] == [("message_updated", 41)], "collapsed to the newest state"
    assert events[0]["data"]["message"] == stored


async def test_post_a_reply(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room, rest = await room_of(live, alice, bob)
    parent = await rest.post(alice, "the question")
    assert live.http is not None

    async def reply(to: object) -> Any:
        body = {"content": "the answer", "reply_to": to}
        return await live.http.post(f"/api/rooms/{room['id']}/messages", json=body, headers=bob.headers)  # type: ignore[union-attr]

    answered = await reply(parent["id"])
    assert answered.status_code == 201, answered.text
    assert answered.json()["reply_to"] == {
        "id": parent["id"],
        "seq": parent["seq"],
        "sender_username": alice.username,
        "content": "the question",
    }
    assert (await reply(str(uuid.uuid4()))).status_code == 404
    assert (await reply("not an id")).status_code == 422
    other, _ = await room_of(live, bob)
    elsewhere = await Rest(live, other["id"]).post(bob, "in another room")
    assert (await reply(elsewhere["id"])).status_code == 404
    assert (await rest.delete(alice, parent["id"])).status_code == 204
    assert (await reply(parent["id"])).status_code == 409
    assert await rest.last_seq(bob) == 3, "refused replies take no seq"
