"""S4's layout: who is in which room (`roomcast.bench.scenarios.memberships`)."""

from __future__ import annotations

from collections import Counter

import pytest

from roomcast.bench.scenarios import QUICK, SCENARIOS, Scenario, check_user_connections, memberships


@pytest.mark.parametrize("scenario", [SCENARIOS["S4"], QUICK["S4"]], ids=["S4", "S4 quick"])
def test_every_user_is_in_its_rooms_and_every_room_is_equally_full(scenario: Scenario) -> None:
    layout = memberships(scenario.users, scenario.rooms, scenario.subscriptions)
    assert len(layout) == scenario.users
    for rooms in layout:
        assert len(set(rooms)) == scenario.subscriptions
        assert all(0 <= room < scenario.rooms for room in rooms)
    sizes = Counter(room for rooms in layout for room in rooms)
    assert set(sizes) == set(range(scenario.rooms))
    assert set(sizes.values()) == {scenario.users * scenario.subscriptions // scenario.rooms}
    # Not a few cliques: users share some of their rooms, in varying numbers.
    assert len(set(layout)) == scenario.rooms
    shared = {len(set(layout[0]) & set(other)) for other in layout[1 : scenario.rooms]}
    assert len(shared) > 2


def test_the_full_scenario_is_the_issues() -> None:
    s4 = SCENARIOS["S4"]
    assert (s4.users, s4.rooms, s4.subscriptions, s4.slo_ms) == (1000, 100, 20, 100)
    assert memberships(1000, 100, 20) == memberships(1000, 100, 20)  # the same layout every run


def test_an_impossible_layout_is_named() -> None:
    assert check_user_connections(SCENARIOS["S4"]) is None
    assert check_user_connections(Scenario("S4", 10, 5, subscriptions=2)) is not None  # rooms without members
    assert check_user_connections(Scenario("S4", 10, 50, subscriptions=11)) is not None
    with pytest.raises(ValueError):
        memberships(10, 5, 6)


@pytest.mark.parametrize(
    ("frame", "outcome"),
    [
        (b'{"type":"ready","data":{"user":{"id":"u"},"rooms":[]}}', "ready"),
        (b'{"type":"subscribed","data":{"room_id":"r","online_users":[]}}', "subscribed"),
        (b'{"type":"subscribe_error","data":{"room_id":"r","error":"too many subscriptions"}}', "refused"),
        (b'{"type":"room_activity","data":{"room_id":"r","last_message":{"content":"bench 1 2 hello"}}}', "activity"),
        (b'{"type":"error","data":{"room_id":"r","error":"not subscribed"}}', "error"),
        (b'{"type":"message_error","data":{"room_id":"r","error":"x","client_id":"c1"}}', "error"),
        (b'{"type":"user_joined","data":{"room_id":"r","user_id":"u","username":"b"}}', None),
        (b'{"type":"unsubscribed","data":{"room_id":"r"}}', None),
    ],
)
def test_the_user_connection_dialect_tells_frames_apart_by_their_first_bytes(frame: bytes, outcome: str | None) -> None:
    from roomcast.bench.dialects import UserConnectionDialect

    assert UserConnectionDialect().on_other(None, frame) == outcome  # type: ignore[arg-type]


def test_a_user_connection_names_the_room_of_each_frame() -> None:
    import orjson

    from roomcast.bench.dialects import RoomcastDialect, UserConnectionDialect

    dialect = UserConnectionDialect()
    sent = orjson.loads(dialect.encode_send("bench 1 2 hello", "c1", "room-1"))
    assert sent == {
        "type": "send_message",
        "data": {"content": "bench 1 2 hello", "client_id": "c1", "room_id": "room-1"},
    }
    assert orjson.loads(dialect.encode_subscribe("room-1")) == {"type": "subscribe", "data": {"room_id": "room-1"}}
    plain = orjson.loads(RoomcastDialect().encode_send("bench 1 2 hello", "c1"))
    assert plain == {"type": "send_message", "data": {"content": "bench 1 2 hello", "client_id": "c1"}}
