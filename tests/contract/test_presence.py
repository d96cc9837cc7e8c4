"""Presence contract: per user across connections; first join and last leave are reported."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from roomcast.backends.base import Backends, PresenceMember

ALICE = PresenceMember("u-alice", "alice")
BOB = PresenceMember("u-bob", "bob")


async def noop(room_id: str, member: PresenceMember) -> None:
    return None


async def test_first_join_and_last_leave(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    presence = (await make_backends()).presence
    await presence.start(noop)
    assert await presence.join("r", ALICE, "c1") is True
    assert await presence.join("r", ALICE, "c2") is False
    assert await presence.join("r", BOB, "c3") is True
    assert sorted(await presence.online("r"), key=lambda m: m.user_id) == [ALICE, BOB]
    assert await presence.leave("r", ALICE.user_id, "c1") is False
    assert await presence.online("other") == []
    assert await presence.leave("r", ALICE.user_id, "c2") is True
    assert await presence.online("r") == [BOB]
    assert await presence.leave("r", ALICE.user_id, "c2") is False  # twice is not another departure
    assert await presence.leave("r", BOB.user_id, "c3") is True
    assert await presence.online("r") == []


async def test_rooms_are_independent(make_backends: Callable[..., Awaitable[Backends]]) -> None:
    presence = (await make_backends()).presence
    await presence.start(noop)
    assert await presence.join("r1", ALICE, "c1") is True
    assert await presence.join("r2", ALICE, "c2") is True
    assert await presence.leave("r1", ALICE.user_id, "c1") is True
    assert await presence.online("r2") == [ALICE]
