"""SPEC §4 Connection 2 and §4a: a client that comes back with since_seq and applies
recent_messages (replace by id) and changes (apply data.message) ends with exactly the state of a
client that stayed and applied every frame live, across any absence and any restart; past 1,000
missed messages and changes, `recovered: false` and GET …/events complete it. And the
recent-message cache never serves an outdated version of a message."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import LiveServer, User, WsClient
from tests.events_helpers import UNLIMITED, Rest, View, act, expect_ok, follow, open_view, ws_act, ws_send


async def settle(client: WsClient, view: View, rest: Rest, user: User) -> None:
    """Follow the live stream until the view has seen the room's newest event."""
    await follow(client, view, await rest.last_seq(user))


def check_recovery_frame(data: dict[str, Any], since: int) -> None:
    assert data["recovered"] is True, "fewer than 1,000 missed"
    assert isinstance(data["changes"], list)
    created = [m["seq"] for m in data["recent_messages"]]
    assert created == sorted(set(created)) and all(s > since for s in created), created
    changed = [c["message"]["id"] for c in data["changes"]]
    assert len(changed) == len(set(changed)), "each changed message once, in its newest state"
    for change in data["changes"]:
        assert change["seq"] > since, "only what changed after since_seq"
        assert change["message"]["seq"] <= since, "a message created after since_seq is in recent_messages"
        assert change["change"] in ("edited", "deleted", "reaction_added", "reaction_removed")
        assert change.get("client_id") is None
    assert not set(changed) & {m["id"] for m in data["recent_messages"]}


async def offline_mix(
    a: WsClient, view_a: View, rest: Rest, users: list[User], old: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """While bob is away: new messages, edits, deletes and reactions on old and new messages,
    through alice's socket and through REST (bob's own actions from another device included)."""
    alice, bob, carol = users
    new = [await act(a, view_a, "send_message", content="new 0")]
    new.append(await rest.post(carol, "new 1"))
    new.append(await rest.post(bob, "new 2 (bob on his phone)"))
    new.append(await act(a, view_a, "send_message", content="new 3, a reply", reply_to=old[3]["id"]))
    await act(a, view_a, "edit_message", message_id=old[0]["id"], content="old 0, edited offline")
    await act(a, view_a, "edit_message", message_id=old[0]["id"], content="old 0, edited twice")
    assert (await rest.delete(alice, old[1]["id"])).status_code == 204  # the owner deletes bob's
    await act(a, view_a, "add_reaction", message_id=old[2]["id"], emoji="👍")
    assert (await rest.react(carol, old[2]["id"], "👍")).status_code == 204
    assert (await rest.react(bob, old[2]["id"], "🎉")).status_code == 204
    await act(a, view_a, "remove_reaction", message_id=old[3]["id"], emoji="🔥")
    assert (await rest.edit(bob, old[4]["id"], "bob fixed his old one")).status_code == 200
    await act(a, view_a, "edit_message", message_id=new[0]["id"], content="new 0, edited")
    assert (await rest.delete(carol, new[1]["id"])).status_code == 204
    assert (await rest.react(carol, new[3]["id"], "✅")).status_code == 204
    assert (await rest.react(bob, new[2]["id"], "👀")).status_code == 204
    assert (await rest.unreact(bob, new[2]["id"], "👀")).status_code == 204
    new.append(await rest.post(carol, "new 4, the last"))
    return new


async def online_history(
    a: WsClient, view_a: View, b: WsClient, view_b: View, rest: Rest, users: list[User]
) -> list[dict[str, Any]]:
    """Six messages (old n is sent by users[n % 3]) and some changes while everyone is there."""
    old = []
    for n in range(6):
        old.append(await rest.post(users[n % 3], f"old {n}"))
    await act(b, view_b, "add_reaction", message_id=old[3]["id"], emoji="🔥")
    await act(a, view_a, "add_reaction", message_id=old[3]["id"], emoji="🔥")
    await act(a, view_a, "edit_message", message_id=old[0]["id"], content="old 0, edited online")
    return old


async def test_a_client_that_was_away_ends_with_the_state_of_one_that_stayed(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob, carol = [await live.user() for _ in range(3)]
    room = await live.room(alice, bob, carol)
    rest = Rest(live, room["id"])
    a, view_a, _ = await open_view(live, room["id"], alice)
    b, view_b, _ = await open_view(live, room["id"], bob)
    old = await online_history(a, view_a, b, view_b, rest, [alice, bob, carol])
    await settle(a, view_a, rest, alice)
    await settle(b, view_b, rest, bob)
    assert view_b.messages == view_a.messages
    since = view_b.last_seq
    await b.close()

    await offline_mix(a, view_a, rest, [alice, bob, carol], old)
    await settle(a, view_a, rest, alice)
    assert view_a.messages == await rest.state(alice), "the client that stayed has the room's state"

    back = await live.connect(room["id"], bob, since_seq=since)
    seen_before = len(view_b.seqs)
    data = await back.expect("connected")
    view_b.apply_connected(data)
    check_recovery_frame(data, since)
    assert data["last_seq"] == view_a.last_seq
    assert [m["content"] for m in data["recent_messages"]][-1] == "new 4, the last"
    assert {c["message"]["id"] for c in data["changes"]} == {old[i]["id"] for i in (0, 1, 2, 3, 4)}
    assert view_b.messages == view_a.messages, "message by message the same state"
    assert len(set(view_b.seqs)) == len(view_b.seqs), "nothing twice"
    assert all(s > since for s in view_b.seqs[seen_before:])

    # and the live stream goes on from there, with nothing lost or repeated
    await act(a, view_a, "edit_message", message_id=old[0]["id"], content="after the return")
    last = await rest.post(carol, "welcome back")
    await follow(back, view_b, last["seq"])
    await settle(a, view_a, rest, alice)
    assert view_b.messages == view_a.messages == await rest.state(bob)
    assert len(set(view_b.seqs)) == len(view_b.seqs)
    await back.silent(("new_message", "message_updated"))


async def test_recovery_since_a_seq_that_was_an_update(start_server) -> None:
    """The last thing bob saw was an update (not a message): since_seq is that update's seq."""
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    rest = Rest(live, room["id"])
    a, view_a, _ = await open_view(live, room["id"], alice)
    b, view_b, _ = await open_view(live, room["id"], bob)
    first = await act(a, view_a, "send_message", content="one")
    second = await act(a, view_a, "send_message", content="two")
    await act(a, view_a, "add_reaction", message_id=first["id"], emoji="👍")
    await follow(b, view_b, 3)
    await b.close()
    assert view_b.last_seq == 3
    await act(a, view_a, "add_reaction", message_id=first["id"], emoji="🎉")  # 4: first, again
    await act(a, view_a, "edit_message", message_id=second["id"], content="two!")  # 5
    await settle(a, view_a, rest, alice)
    back = await live.connect(room["id"], bob, since_seq=3)
    data = await back.expect("connected")
    check_recovery_frame(data, 3)
    assert data["recent_messages"] == []
    assert sorted((c["seq"], c["change"]) for c in data["changes"]) == [(4, "reaction_added"), (5, "edited")]
    view_b.apply_connected(data)
    assert view_b.messages == view_a.messages
    assert data["last_seq"] == 5


async def test_recovery_across_a_server_restart(start_server) -> None:
    live = await start_server(**UNLIMITED)
    alice, bob, carol = [await live.user() for _ in range(3)]
    room = await live.room(alice, bob, carol)
    rest = Rest(live, room["id"])
    a, view_a, _ = await open_view(live, room["id"], alice)
    b, view_b, _ = await open_view(live, room["id"], bob)
    old = await online_history(a, view_a, b, view_b, rest, [alice, bob, carol])
    await settle(b, view_b, rest, bob)
    since = view_b.last_seq
    await b.close()
    # changes before the restart, while bob is away
    await act(a, view_a, "edit_message", message_id=old[0]["id"], content="before the restart")
    assert (await rest.react(carol, old[2]["id"], "👍")).status_code == 204
    before_restart = await rest.post(carol, "said before the restart")
    await settle(a, view_a, rest, alice)
    await a.close()
    await live.stop()

    again = await LiveServer(live.settings, port=live.port).start()
    try:
        rest = Rest(again, room["id"])
        # alice comes back too, after the restart, and keeps her view up to date
        a = await again.connect(room["id"], alice, since_seq=view_a.last_seq)
        data = await a.expect("connected")
        assert data["recovered"] is True and data["recent_messages"] == [] and data["changes"] == []
        view_a.apply_connected(data)
        assert (await rest.delete(alice, old[1]["id"])).status_code == 204
        assert (await rest.edit(carol, before_restart["id"], "said before, edited after")).status_code == 200
        await act(a, view_a, "remove_reaction", message_id=old[3]["id"], emoji="🔥")
        await rest.post(carol, "after the restart")
        await settle(a, view_a, rest, alice)

        back = await again.connect(room["id"], bob, since_seq=since)
        data = await back.expect("connected")
        check_recovery_frame(data, since)
        view_b.apply_connected(data)
        assert view_b.messages == view_a.messages == await rest.state(bob)
        assert [m["content"] for m in data["recent_messages"]] == ["said before, edited after", "after the restart"]
        assert {c["message"]["id"] for c in data["changes"]} == {old[i]["id"] for i in (0, 1, 2, 3)}
        # the cache after a restart serves the new versions too
        fresh = await again.connect(room["id"], carol)
        recent = {m["id"]: m for m in (await fresh.expect("connected"))["recent_messages"]}
        assert recent == view_a.messages
    finally:
        await again.stop()


async def post_many(rest: Rest, user: User, count: int, prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, count, 50):
        batch = range(start, min(start + 50, count))
        out += await asyncio.gather(*(rest.post(user, f"{prefix}{n}") for n in batch))
    return sorted(out, key=lambda m: m["seq"])


async def test_over_1000_missed_messages_and_changes_is_recovered_false_and_events_complete_it(start_server) -> None:
    """1,000 missed messages and changes together are recovered; 1,001 are not (§4, §4a)."""
    live = await start_server(**UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    rest = Rest(live, room["id"])
    old = [await rest.post(alice, f"old {n}") for n in range(4)]
    b, view_b, _ = await open_view(live, room["id"], bob)
    since = view_b.last_seq
    assert since == 4
    await b.close()
    # three changes of three old messages first, so that the oldest missed events are changes
    assert (await rest.edit(alice, old[0]["id"], "old 0 edited")).status_code == 200
    assert (await rest.react(bob, old[1]["id"], "👍")).status_code == 204
    assert (await rest.delete(alice, old[2]["id"])).status_code == 204
    await post_many(rest, alice, 997, "n")
    # 3 changes + 997 messages = 1,000: still recovered
    probe = await live.connect(room["id"], bob, since_seq=since)
    data = await probe.expect("connected", timeout=20)
    assert data["recovered"] is True, "exactly 1,000 missed"
    assert len(data["recent_messages"]) == 997 and len(data["changes"]) == 3
    await probe.close()

    assert (await rest.edit(alice, old[3]["id"], "old 3 edited")).status_code == 200  # 1,001
    tail = await post_many(rest, alice, 3, "tail")
    assert (await rest.edit(alice, tail[0]["id"], "tail edited")).status_code == 200
    last_seq = await rest.last_seq(alice)
    assert last_seq == 4 + 3 + 997 + 1 + 3 + 1

    back = await live.connect(room["id"], bob, since_seq=since)
    data = await back.expect("connected", timeout=20)
    assert data["recovered"] is False
    assert data["last_seq"] == last_seq
    delivered = data["recent_messages"] + [c["message"] for c in data["changes"]]
    assert len(delivered) <= 1000
    assert len({m["id"] for m in delivered}) == len(delivered)
    view_b.apply_connected(data)
    # "the client reads the rest with GET …/events": from the newest seq it was handed
    handed = [m["seq"] for m in data["recent_messages"]] + [c["seq"] for c in data["changes"]]
    for event in await rest.all_events(bob, after_seq=max(handed)):
        view_b.apply_event(event)
    assert view_b.messages == await rest.state(bob)
    # and from since_seq itself, the feed alone completes it too
    view = View()
    for message in old:
        view.messages[message["id"]] = message
    for event in await rest.all_events(bob, after_seq=since):
        view.apply_event(event)
    assert view.messages == await rest.state(bob)
    # nothing was missed meanwhile on the live stream either
    await live.post(alice, room["id"], "live again")
    assert (await expect_ok(back, "new_message"))["message"]["seq"] == last_seq + 1


async def test_a_fresh_connected_never_serves_an_outdated_version(start_server) -> None:
    live = await start_server(CACHE_SIZE=5, **UNLIMITED)
    alice, bob = await live.user(), await live.user()
    room = await live.room(alice, bob)
    rest = Rest(live, room["id"])
    a, _, _ = await open_view(live, room["id"], alice)
    messages = [await ws_send(a, f"m{n}") for n in range(4)]
    parent = messages[0]
    reply = await ws_send(a, "a reply", reply_to=parent["id"])

    async def fresh() -> dict[str, dict[str, Any]]:
        client = await live.connect(room["id"], bob)
        data = await client.expect("connected")
        await client.close()
        return {m["id"]: m for m in data["recent_messages"]}

    assert (await fresh())[messages[1]["id"]]["content"] == "m1"  # the cache is warm
    edited = await ws_act(a, "edit_message", message_id=messages[1]["id"], content="m1 edited")
    assert (await fresh())[messages[1]["id"]] == edited["message"]
    reacted = await ws_act(a, "add_reaction", message_id=messages[2]["id"], emoji="👍")
    assert (await fresh())[messages[2]["id"]] == reacted["message"]
    unreacted = await ws_act(a, "remove_reaction", message_id=messages[2]["id"], emoji="👍")
    assert (await fresh())[messages[2]["id"]] == unreacted["message"]
    deleted = await ws_act(a, "delete_message", message_id=messages[3]["id"])
    assert (await fresh())[messages[3]["id"]] == deleted["message"]
    # REST changes, answered before the next connect
    assert (await rest.edit(alice, messages[1]["id"], "m1 via rest")).status_code == 200
    assert (await fresh())[messages[1]["id"]]["content"] == "m1 via rest"
    assert (await rest.react(bob, messages[1]["id"], "🎉")).status_code == 204
    assert [r["emoji"] for r in (await fresh())[messages[1]["id"]]["reactions"]] == ["🎉"]
    # the parent of a cached reply is deleted: the cached reply's snippet goes too
    await ws_act(a, "delete_message", message_id=parent["id"])
    assert (await fresh())[reply["id"]]["reply_to"]["content"] == ""
    assert list((await fresh()).values()) == (await rest.messages(alice))[-5:]
    # many changes at once, then the cache and the database agree
    await asyncio.gather(*(rest.react(bob, messages[1]["id"], e) for e in ("1", "2", "3", "4", "5")))
    assert list((await fresh()).values()) == (await rest.messages(alice))[-5:]
