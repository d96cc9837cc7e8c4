"""SPEC §4 and §4a over real sockets: edit_message, delete_message, add_reaction, remove_reaction,
send_message with reply_to, their message_updated on every connection, their refusals, and one
gap-free seq per room over messages and updates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import orjson

from tests.conftest import LiveServer, WsClient
from tests.events_helpers import (
    MESSAGE_KEYS,
    UNLIMITED,
    UPDATE_KEYS,
    Rest,
    answer,
    expect_ok,
    reactions_of,
    ws_act,
    ws_send,
)


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def refused(client: WsClient, action: str, client_id: str | None) -> dict[str, Any]:
    """The next answer must be a non-retryable message_error for `action`."""
    kind, data = await answer(client, "message_updated", "message_sent", "message_error")
    assert kind == "message_error", (kind, data)
    assert data["action"] == action, data
    assert data["retryable"] is False, data
    assert data["client_id"] == client_id, data
    assert isinstance(data["error"], str) and data["error"], data
    return data


async def drain(*clients: WsClient, kind: str = "new_message") -> None:
    for client in clients:
        await expect_ok(client, kind)


def without_client_id(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "client_id"}


# --- edit_message -------------------------------------------------------------------------------


async def test_edit_reaches_every_connection_with_seq_actor_and_the_whole_message(live: LiveServer) -> None:
    users, room, (a, b, c) = await live.joined(3)
    alice = users[0]
    a2 = await live.connect(room["id"], alice)  # a second tab of the editor
    await a2.expect("connected")
    original = await ws_send(a, "hello", client_id="m1")
    await drain(b, c, a2)

    await a.send("edit_message", message_id=original["id"], content="hello, edited", client_id="e1")
    mine = await expect_ok(a, "message_updated")
    others = [await expect_ok(client, "message_updated") for client in (b, c, a2)]

    assert set(mine) <= UPDATE_KEYS and {"seq", "change", "actor", "message"} <= set(mine)
    assert mine["seq"] == 2, "an edit is the room's next event"
    assert mine["change"] == "edited"
    assert mine["actor"] == {"user_id": alice.id, "username": alice.username}
    assert mine.get("emoji") is None
    assert mine["client_id"] == "e1", "client_id on the actor's own connection"
    message = mine["message"]
    assert set(message) == MESSAGE_KEYS
    assert message["id"] == original["id"] and message["seq"] == original["seq"] == 1
    assert message["content"] == "hello, edited"
    assert message["client_id"] == "m1", "the message keeps the client_id of its send"
    assert message["edited_at"] is not None and when(message["edited_at"]) >= when(message["created_at"])
    assert message["created_at"] == original["created_at"]
    assert message["deleted"] is False and message["reactions"] == [] and message["reply_to"] is None
    assert original["edited_at"] is None
    for data in others:
        assert data.get("client_id") is None, "client_id only on the actor's own connection (not its other tab)"
        assert without_client_id(data) == without_client_id(mine)
    for client in (a, b, c, a2):
        await client.silent(("message_updated",))
    assert await Rest(live, room["id"]).message(alice, original["id"]) == message


async def test_edit_via_rest_is_broadcast_to_every_connection(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    rest = Rest(live, room["id"])
    message = await rest.post(users[0], "typo")
    await drain(a, b)
    response = await rest.edit(users[0], message["id"], "fixed")
    assert response.status_code == 200, response.text
    for client in (a, b):
        data = await expect_ok(client, "message_updated")
        assert data["seq"] == 2 and data["change"] == "edited" and data.get("client_id") is None
        assert data["message"] == response.json()


async def test_only_the_sender_may_edit(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)  # users[0] owns the room
    mine = await ws_send(b, "bob's words")
    await drain(a)
    await a.send("edit_message", message_id=mine["id"], content="the owner rewrites it", client_id="x")
    await refused(a, "edit", "x")
    await b.silent(("message_updated",))
    assert (await Rest(live, room["id"]).message(users[1], mine["id"]))["content"] == "bob's words"
    assert (await ws_send(a, "next"))["seq"] == 2, "a refusal logs nothing"


async def test_edit_refusals_unknown_other_room_deleted(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    alice, bob = users
    other = await live.room(alice, bob, name="elsewhere")
    elsewhere = await Rest(live, other["id"]).post(alice, "in another room")
    message = await ws_send(a, "here")
    gone = await ws_send(a, "to be deleted")
    await drain(b, b)
    await ws_act(a, "delete_message", message_id=gone["id"])
    await expect_ok(b, "message_updated")

    for message_id, cid in ((str(uuid.uuid4()), "unknown"), (elsewhere["id"], "other-room"), (gone["id"], "deleted")):
        await a.send("edit_message", message_id=message_id, content="new text", client_id=cid)
        await refused(a, "edit", cid)
    await b.silent(("message_updated",))
    assert (await Rest(live, other["id"]).message(alice, elsewhere["id"]))["content"] == "in another room"
    assert (await Rest(live, room["id"]).message(alice, message["id"]))["edited_at"] is None
    assert (await ws_send(a, "next"))["seq"] == 4


async def test_invalid_edit_content_is_refused(start_server) -> None:
    live = await start_server(MAX_MESSAGE_LENGTH=20, **UNLIMITED)
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "fine")
    await drain(b)
    for n, content in enumerate(["", "   \n\t", "\u200b\u200e", 42, None, ["x"], "x" * 21]):
        await a.send("edit_message", message_id=message["id"], content=content, client_id=f"bad{n}")
        await refused(a, "edit", f"bad{n}")
    await b.silent(("message_updated",))
    stored = await Rest(live, room["id"]).message(users[0], message["id"])
    assert stored["content"] == "fine" and stored["edited_at"] is None
    assert (await ws_act(a, "edit_message", message_id=message["id"], content="x" * 20))["seq"] == 2


# --- delete_message -----------------------------------------------------------------------------


async def test_delete_broadcasts_the_tombstone_and_keeps_the_seq(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    alice = users[0]
    first = await ws_send(a, "stays")
    doomed = await ws_send(a, "secret words")
    await drain(b, b)
    await ws_act(b, "add_reaction", message_id=doomed["id"], emoji="👍")
    await expect_ok(a, "message_updated")

    await a.send("delete_message", message_id=doomed["id"], client_id="d1")
    mine = await expect_ok(a, "message_updated")
    theirs = await expect_ok(b, "message_updated")
    assert mine["seq"] == 4 and mine["change"] == "deleted" and mine["client_id"] == "d1"
    assert mine["actor"] == {"user_id": alice.id, "username": alice.username}
    assert theirs.get("client_id") is None and without_client_id(theirs) == without_client_id(mine)
    tombstone = mine["message"]
    assert set(tombstone) == MESSAGE_KEYS
    assert tombstone["id"] == doomed["id"] and tombstone["seq"] == doomed["seq"] == 2
    assert tombstone["deleted"] is True and tombstone["content"] == "" and tombstone["reactions"] == []
    history = await Rest(live, room["id"]).messages(alice)
    assert [(m["seq"], m["deleted"], m["content"]) for m in history] == [(1, False, "stays"), (2, True, "")]
    assert history[0] == first


async def test_owner_and_admin_may_delete_others_messages_a_member_may_not(live: LiveServer) -> None:
    users, room, (owner_ws, admin_ws, member_ws, other_ws) = await live.joined(4)
    owner, admin, member, other = users
    assert live.http is not None
    promoted = await live.http.patch(
        f"/api/rooms/{room['id']}/members/{admin.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.status_code in (200, 204), promoted.text
    everyone = (owner_ws, admin_ws, member_ws, other_ws)
    targets = []
    for n in range(3):
        targets.append(await ws_send(other_ws, f"other's message {n}"))
        await drain(owner_ws, admin_ws, member_ws)
    owners = await ws_send(owner_ws, "the owner's message")
    await drain(admin_ws, member_ws, other_ws)

    await member_ws.send("delete_message", message_id=targets[0]["id"], client_id="nope")
    await refused(member_ws, "delete", "nope")
    await member_ws.send("delete_message", message_id=owners["id"], client_id="nope2")
    await refused(member_ws, "delete", "nope2")
    await owner_ws.silent(("message_updated",))

    for actor_ws, actor, target in ((owner_ws, owner, targets[0]), (admin_ws, admin, targets[1])):
        await actor_ws.send("delete_message", message_id=target["id"])
        for client in everyone:
            data = await expect_ok(client, "message_updated")
            assert data["change"] == "deleted" and data["message"]["id"] == target["id"]
            assert data["actor"] == {"user_id": actor.id, "username": actor.username}
    # SPEC §4: "the sender, owner or an admin deletes" — an admin may delete the owner's message too
    await ws_act(admin_ws, "delete_message", message_id=owners["id"])
    await drain(owner_ws, member_ws, other_ws, kind="message_updated")
    # and the sender their own
    assert (await ws_act(other_ws, "delete_message", message_id=targets[2]["id"]))["message"]["deleted"] is True
    history = await Rest(live, room["id"]).messages(owner)
    assert [m["deleted"] for m in history] == [True, True, True, True]


async def test_delete_refusals_unknown_and_other_room(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    other = await live.room(users[0], users[1], name="elsewhere")
    elsewhere = await Rest(live, other["id"]).post(users[0], "not here")
    for message_id, cid in ((str(uuid.uuid4()), "u"), (elsewhere["id"], "o")):
        await a.send("delete_message", message_id=message_id, client_id=cid)
        await refused(a, "delete", cid)
    await b.silent(("message_updated",))
    assert (await Rest(live, other["id"]).message(users[0], elsewhere["id"]))["deleted"] is False


async def test_deleting_twice_logs_and_broadcasts_nothing(live: LiveServer) -> None:
    """SPEC: REST "Deleting twice → 204"; for the frame §4 says nothing more precise than
    "unknown or deleted message" → message_error. Either answer is accepted here: a non-retryable
    message_error (action delete), or the no-op form of reactions (seq null, to the actor alone).
    What must hold either way: nothing logged, nothing broadcast."""
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "once")
    await drain(b)
    await ws_act(a, "delete_message", message_id=message["id"])
    await expect_ok(b, "message_updated")
    await a.send("delete_message", message_id=message["id"], client_id="again")
    kind, data = await answer(a, "message_updated", "message_error")
    if kind == "message_error":
        assert data["action"] == "delete" and data["retryable"] is False and data["client_id"] == "again"
    else:
        assert kind == "message_updated" and data["seq"] is None, data
        assert data["message"]["deleted"] is True
    await b.silent(("message_updated",))
    assert (await ws_send(b, "next"))["seq"] == 3


# --- reactions ----------------------------------------------------------------------------------


async def test_reactions_broadcast_and_keep_first_added_order(live: LiveServer) -> None:
    users, room, clients = await live.joined(3)
    (alice, bob, carol), (a, b, c) = users, clients
    message = await ws_send(a, "react to me")
    await drain(b, c)
    steps = [
        (a, alice, "add_reaction", "👍"),
        (b, bob, "add_reaction", "🎉"),
        (c, carol, "add_reaction", "👍"),
        (b, bob, "add_reaction", "+1"),
        (a, alice, "remove_reaction", "👍"),
        (a, alice, "add_reaction", "👍🏽"),
    ]
    seq = 1
    for client, user, kind, emoji in steps:
        seq += 1
        await client.send(kind, message_id=message["id"], emoji=emoji, client_id=f"r{seq}")
        mine = await expect_ok(client, "message_updated")
        assert mine["seq"] == seq and mine["client_id"] == f"r{seq}"
        assert mine["change"] == ("reaction_added" if kind == "add_reaction" else "reaction_removed")
        assert mine["emoji"] == emoji
        assert mine["actor"] == {"user_id": user.id, "username": user.username}
        for other in clients:
            if other is not client:
                data = await expect_ok(other, "message_updated")
                assert data.get("client_id") is None and without_client_id(data) == without_client_id(mine)
    final = mine["message"]
    assert reactions_of(final) == [
        ("👍", 1, {carol.id}),
        ("🎉", 1, {bob.id}),
        ("+1", 1, {bob.id}),
        ("👍🏽", 1, {alice.id}),
    ]
    for reaction in final["reactions"]:
        assert set(reaction) == {"emoji", "count", "user_ids"}
    # 👍 was first added before 🎉: adding it again keeps its place
    again = await ws_act(a, "add_reaction", message_id=message["id"], emoji="👍")
    assert reactions_of(again["message"])[0] == ("👍", 2, {carol.id, alice.id})
    assert final["content"] == "react to me" and final["edited_at"] is None, "a reaction is not an edit"
    assert await Rest(live, room["id"]).message(alice, message["id"]) == again["message"]


async def test_reactions_are_idempotent_and_a_no_op_logs_nothing(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    alice, bob = users
    message = await ws_send(a, "hi")
    await drain(b)
    added = await ws_act(b, "add_reaction", message_id=message["id"], emoji="👍")
    await expect_ok(a, "message_updated")
    assert added["seq"] == 2

    noops = [
        (b, "add_reaction", "👍"),  # already there
        (b, "remove_reaction", "🎉"),  # never added
        (a, "remove_reaction", "👍"),  # bob's, not alice's: alice has none to remove
    ]
    for n, (client, kind, emoji) in enumerate(noops):
        await client.send(kind, message_id=message["id"], emoji=emoji, client_id=f"noop{n}")
        data = await expect_ok(client, "message_updated")
        assert data["seq"] is None, data
        assert data["client_id"] == f"noop{n}"
        assert data["message"] == added["message"], "the message as it stands"
        for other in (a, b):
            if other is not client:
                await other.silent(("message_updated",))
    assert reactions_of(added["message"]) == [("👍", 1, {bob.id})]
    # nothing was logged: the next event is only +1
    assert (await ws_send(a, "next"))["seq"] == 3
    assert await Rest(live, room["id"]).last_seq(alice) == 3
    removed = await ws_act(b, "remove_reaction", message_id=message["id"], emoji="👍")
    assert removed["seq"] == 4 and removed["message"]["reactions"] == []
    await b.send("remove_reaction", message_id=message["id"], emoji="👍")
    assert (await expect_ok(b, "message_updated"))["seq"] is None


INVALID_EMOJI = ["", " ", "a b", "👍 ", "\t", "\n", "\u00a0", "\u3000", "\x00", "\x07", "\x7f", "\u0085", "x" * 33]


async def test_invalid_emoji_is_refused(live: LiveServer) -> None:
    """1 to 32 characters, no white space or control characters (§3)."""
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "hi")
    await drain(b)
    for emoji in INVALID_EMOJI:
        for kind in ("add_reaction", "remove_reaction"):
            await a.send(kind, message_id=message["id"], emoji=emoji, client_id="bad")
            try:
                await refused(a, "react", "bad")
            except AssertionError as failure:
                raise AssertionError(f"{kind} {emoji!r}: {failure}") from None
    await b.silent(("message_updated",))
    assert (await Rest(live, room["id"]).message(users[0], message["id"]))["reactions"] == []
    assert (await ws_send(a, "next"))["seq"] == 2


async def test_emoji_of_32_characters_is_accepted(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "hi")
    data = await ws_act(a, "add_reaction", message_id=message["id"], emoji="x" * 32)
    assert data["seq"] == 2 and data["emoji"] == "x" * 32
    family = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, seven code points, a joiner inside
    assert (await ws_act(a, "add_reaction", message_id=message["id"], emoji=family))["emoji"] == family


async def test_reaction_refusals_unknown_other_room_deleted(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    other = await live.room(users[0], users[1], name="elsewhere")
    elsewhere = await Rest(live, other["id"]).post(users[0], "not here")
    gone = await ws_send(a, "gone soon")
    await ws_act(a, "delete_message", message_id=gone["id"])
    await drain(b)
    await expect_ok(b, "message_updated")
    for message_id in (str(uuid.uuid4()), elsewhere["id"], gone["id"]):
        for kind in ("add_reaction", "remove_reaction"):
            await b.send(kind, message_id=message_id, emoji="👍", client_id=kind)
            await refused(b, "react", kind)
    await a.silent(("message_updated",))
    assert (await Rest(live, other["id"]).message(users[0], elsewhere["id"]))["reactions"] == []


# --- replies ------------------------------------------------------------------------------------


async def test_reply_to_carries_a_snippet_and_blanks_it_once_the_parent_is_deleted(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    alice, bob = users
    long_text = "".join(chr(ord("a") + n % 26) for n in range(300))
    parent = await ws_send(a, long_text)
    await drain(b)
    reply = await ws_send(b, "answering", reply_to=parent["id"], client_id="re")
    expected = {"id": parent["id"], "seq": 1, "sender_username": alice.username, "content": long_text[:200]}
    assert reply["reply_to"] == expected
    assert (await expect_ok(a, "new_message"))["message"] == reply
    short = await ws_send(a, "short one", reply_to=reply["id"])
    assert short["reply_to"] == {"id": reply["id"], "seq": 2, "sender_username": bob.username, "content": "answering"}
    plain = await ws_send(a, "no reply", reply_to=None)
    assert plain["reply_to"] is None

    await ws_act(a, "delete_message", message_id=parent["id"])
    stored = await Rest(live, room["id"]).message(alice, reply["id"])
    assert stored["reply_to"] == expected | {"content": ""}, "the snippet is gone with the parent"
    assert stored["content"] == "answering" and stored["deleted"] is False


async def test_reply_to_a_message_of_another_room_or_unknown_is_refused(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    other = await live.room(users[0], users[1], name="elsewhere")
    elsewhere = await Rest(live, other["id"]).post(users[0], "not here")
    for cid, target in (("other-room", elsewhere["id"]), ("unknown", str(uuid.uuid4()))):
        await a.send("send_message", content="a reply", reply_to=target, client_id=cid)
        await refused(a, "send", cid)
    await b.silent(("new_message",))
    assert await Rest(live, room["id"]).messages(users[0]) == []
    assert (await ws_send(a, "first"))["seq"] == 1


# --- shapes, limits -----------------------------------------------------------------------------


async def test_bad_data_shapes_are_error_and_the_connection_lives(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "hi")
    await drain(b)
    mid = message["id"]
    cases: list[tuple[str, Any]] = []
    for kind in ("edit_message", "delete_message", "add_reaction", "remove_reaction"):
        extra = {"content": "x"} if kind == "edit_message" else {"emoji": "👍"} if "reaction" in kind else {}
        cases += [
            (kind, []),
            (kind, "text"),
            (kind, extra),  # no message_id
            (kind, {"message_id": 42, **extra}),
            (kind, {"message_id": ["x"], **extra}),
            (kind, {"message_id": mid, "client_id": 5, **extra}),
            (kind, {"message_id": mid, "client_id": "", **extra}),
            (kind, {"message_id": mid, "client_id": "x" * 65, **extra}),
        ]
    cases.append(("send_message", {"content": "x", "reply_to": mid, "client_id": 7}))
    for kind, data in cases:
        await a.ws.send(orjson.dumps({"type": kind, "data": data}).decode())
        got, detail = await answer(a, "message_updated", "message_sent")
        assert got == "error", (kind, data, got, detail)
    await a.send("ping")
    await a.expect("pong")
    await b.silent(("message_updated", "new_message"))
    assert (await Rest(live, room["id"]).message(users[0], mid)) == message


async def test_shapes_the_spec_leaves_open_are_refused_either_way(live: LiveServer) -> None:
    """A message_id that is no UUID, an emoji or reply_to that is no string: "bad data shape"
    (`error`) or "unknown message" / invalid input (`message_error`, retryable false) both read
    as the SPEC; what must hold is the refusal and that nothing is logged."""
    users, room, (a, b) = await live.joined(2)
    message = await ws_send(a, "hi")
    await drain(b)
    cases = [
        ("edit_message", {"message_id": "not-a-uuid", "content": "x"}),
        ("delete_message", {"message_id": "not-a-uuid"}),
        ("add_reaction", {"message_id": "not-a-uuid", "emoji": "👍"}),
        ("add_reaction", {"message_id": message["id"], "emoji": 5}),
        ("add_reaction", {"message_id": message["id"], "emoji": None}),
        ("add_reaction", {"message_id": message["id"]}),
        ("remove_reaction", {"message_id": message["id"], "emoji": ["👍"]}),
        ("send_message", {"content": "x", "reply_to": 42}),
        ("send_message", {"content": "x", "reply_to": "not-a-uuid"}),
    ]
    for kind, data in cases:
        await a.send(kind, **data)
        got, detail = await answer(a, "message_updated", "message_sent")
        assert got in ("error", "message_error"), (kind, data, got, detail)
        if got == "message_error":
            assert detail["retryable"] is False
            assert detail["action"] == {"edit_message": "edit", "delete_message": "delete", "send_message": "send"}.get(
                kind, "react"
            )
    await b.silent(("message_updated", "new_message"))
    assert (await ws_send(a, "next"))["seq"] == 2


async def test_action_rate_limit(start_server) -> None:
    """SPEC §2 ACTION_RATE_LIMIT: edits, deletes and reactions per user per window; messages keep
    MESSAGE_RATE_LIMIT. §4 has one frame for a rate limit, `rate_limit_exceeded` (message_error's
    reasons do not include it), so that is what a refused action gets here; its fields are named
    for messages (messages_sent, max_messages): they count actions for an action."""
    live = await start_server(ACTION_RATE_LIMIT="3/60", MESSAGE_RATE_LIMIT=5)
    users, room, (a, b) = await live.joined(2)
    alice, bob = users
    rest = Rest(live, room["id"])
    message = await ws_send(a, "m1")
    await drain(b)
    await ws_act(a, "edit_message", message_id=message["id"], content="m1 (1)")
    await ws_act(a, "add_reaction", message_id=message["id"], emoji="👍")
    assert (await rest.unreact(alice, message["id"], "👍")).status_code == 204  # REST counts too
    await expect_ok(a, "message_updated")  # a REST actor has no connection: alice's socket hears it
    for _ in range(3):
        await expect_ok(b, "message_updated")

    await a.send("delete_message", message_id=message["id"], client_id="late")
    kind, data = await answer(a, "message_updated")
    assert kind == "rate_limit_exceeded", (kind, data)
    assert data["error"] == "Rate limit exceeded" and data["client_id"] == "late"
    info = data["rate_limit_info"]
    assert info["max_messages"] == 3 and info["messages_sent"] == 3
    assert 1 <= info["time_until_reset"] <= 60
    response = await rest.edit(alice, message["id"], "via rest")
    assert response.status_code == 429, response.text
    await b.silent(("message_updated",))
    stored = await rest.message(alice, message["id"])
    assert stored["deleted"] is False and stored["content"] == "m1 (1)"
    # messages have their own budget, and other users are not limited by alice's actions
    for n in range(4):
        await ws_send(a, f"still talking {n}")
    assert (await ws_act(b, "add_reaction", message_id=message["id"], emoji="🎉"))["seq"] == 9


# --- one seq for everything ---------------------------------------------------------------------


async def test_seq_is_gap_free_over_a_mix_of_messages_and_updates(live: LiveServer) -> None:
    users, room, (a, b, c) = await live.joined(3)
    one = await ws_send(a, "one")
    assert one["seq"] == 1
    assert (await ws_act(b, "add_reaction", message_id=one["id"], emoji="👍"))["seq"] == 2
    assert (await ws_act(a, "edit_message", message_id=one["id"], content="one!"))["seq"] == 3
    two = await Rest(live, room["id"]).post(users[1], "two")
    assert two["seq"] == 4
    assert (await ws_act(b, "delete_message", message_id=two["id"]))["seq"] == 5
    assert (await ws_send(a, "three"))["seq"] == 6
    seen: list[int] = []
    async with asyncio.timeout(5):
        while len(seen) < 6:
            frame = await c.recv()
            if frame["type"] == "new_message":
                seen.append(frame["data"]["message"]["seq"])
            elif frame["type"] == "message_updated":
                seen.append(frame["data"]["seq"])
    assert seen == [1, 2, 3, 4, 5, 6], "an observer received every event, in seq order"


async def test_concurrent_edits_reactions_and_messages_from_many_clients_are_gap_free(start_server) -> None:
    live = await start_server(**UNLIMITED)
    users, room, clients = await live.joined(5)
    observer_user = await live.user()
    assert live.http is not None
    added = await live.http.post(
        f"/api/rooms/{room['id']}/members", json={"username": observer_user.username}, headers=users[0].headers
    )
    assert added.status_code == 201, added.text
    observer = await live.connect(room["id"], observer_user)
    await observer.expect("connected")
    rest = Rest(live, room["id"])
    base = [await rest.post(user, f"base {n}") for n, user in enumerate(users)]
    rounds, emojis = 6, ["👍", "🎉", "🔥", "😂"]

    async def work(index: int) -> None:
        client = clients[index]
        for r in range(rounds):
            await client.send("send_message", content=f"{index}:{r}", client_id=f"s{index}-{r}")
            await client.send("edit_message", message_id=base[index]["id"], content=f"base {index} v{r}")
            target = base[(index + 1 + r) % len(base)]
            await client.send("add_reaction", message_id=target["id"], emoji=emojis[r % 4] + str(index))

    await asyncio.gather(*(work(i) for i in range(len(clients))))
    total = len(base) + len(clients) * rounds * 3

    seen: list[int] = []
    async with asyncio.timeout(30):
        while len(seen) < total:
            frame = await observer.recv(10)
            assert frame["type"] not in ("error", "message_error"), frame
            if frame["type"] == "new_message":
                seen.append(frame["data"]["message"]["seq"])
            elif frame["type"] == "message_updated":
                seen.append(frame["data"]["seq"])
    assert seen == list(range(1, total + 1)), "every event exactly once, in seq order, no gap"

    for index, client in enumerate(clients):
        broadcast: list[int] = []
        own: list[int] = []
        async with asyncio.timeout(30):
            while len(broadcast) + len(own) < total:
                frame = await client.recv(10)
                assert frame["type"] not in ("error", "message_error", "rate_limit_exceeded"), frame
                if frame["type"] == "new_message":
                    broadcast.append(frame["data"]["message"]["seq"])
                elif frame["type"] == "message_sent":
                    own.append(frame["data"]["message"]["seq"])
                elif frame["type"] == "message_updated":
                    broadcast.append(frame["data"]["seq"])
        assert broadcast == sorted(broadcast), f"client {index} saw events out of order"
        assert sorted(broadcast + own) == list(range(1, total + 1)), f"client {index}"
    final = {m["id"]: m for m in await rest.messages(users[0])}
    for index, message in enumerate(base):
        assert final[message["id"]]["content"] == f"base {index} v{rounds - 1}", "each sender's edits kept their order"
