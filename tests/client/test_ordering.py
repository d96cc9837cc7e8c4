"""The sequencer and the frame decoder: pure functions of what comes in, tested with values."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from roomcast.client import MessageUpdated, NewMessage, UnknownEvent, UserTyping
from roomcast.client.frames import MessageSent, OwnUpdate, Subscribed, decode
from roomcast.client.ordering import Sequencer
from roomcast.client.records import Actor, Message

ROOM = "6f1c2b9e-3a8d-4a57-9b2a-5f0e2d6c1a11"


def message(seq: int, content: str = "hi") -> Message:
    return Message(
        id=f"m{seq}",
        room_id=ROOM,
        seq=seq,
        sender_id="u1",
        sender_username="alice",
        content=content,
        client_id=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        edited_at=None,
        deleted=False,
        reply_to=None,
        reactions=(),
    )


def new(seq: int) -> NewMessage:
    return NewMessage(ROOM, message(seq))


def edit(seq: int, of: int) -> MessageUpdated:
    return MessageUpdated(ROOM, seq, "edited", Actor("u1", "alice"), message(of, "edited"))


def drain(sequencer: Sequencer) -> list[int]:
    out = []
    while (event := sequencer.pop()) is not None:
        assert isinstance(event, NewMessage | MessageUpdated)
        out.append(event.seq)
    return out


def test_in_order_out_of_order_and_repeats() -> None:
    sequencer = Sequencer(limit=100)
    sequencer.start(3)
    for event in (new(2), new(4), new(6), new(5), new(4), edit(7, 4)):
        sequencer.live(event)
    assert drain(sequencer) == [4, 5, 6, 7]
    assert sequencer.seq == 7 and not sequencer.gap()


def test_a_gap_that_does_not_fill_is_read_from_the_log() -> None:
    sequencer = Sequencer(limit=100)
    sequencer.start(1)
    sequencer.live(new(3))
    sequencer.live(new(4))
    assert sequencer.gap() and drain(sequencer) == []
    sequencer.give_up_gap()
    assert sequencer.lagging and not sequencer.pending
    sequencer.live(new(5))  # live events meanwhile: left to the log
    sequencer.from_log([new(2), new(3)], has_more=True, last_seq=9)
    assert sequencer.lagging
    sequencer.from_log([new(4)], has_more=False, last_seq=4)
    assert sequencer.lagging, "5 was seen live: the log must be read past it"
    sequencer.from_log([new(5)], has_more=False, last_seq=5)
    assert not sequencer.lagging
    sequencer.live(new(6))
    assert drain(sequencer) == [2, 3, 4, 5, 6]


def test_a_full_buffer_leaves_the_rest_to_the_log() -> None:
    sequencer = Sequencer(limit=2)
    for seq in range(1, 6):
        sequencer.live(new(seq))
    sequencer.other(UserTyping(ROOM, "u2", "bob"))  # dropped: full
    assert drain(sequencer) == [1, 2] and sequencer.lagging
    sequencer.from_log([new(3), new(4), new(5)], has_more=False, last_seq=5)
    assert drain(sequencer) == [3, 4, 5] and not sequencer.lagging


def test_a_recovery_hands_out_its_events_in_seq_order() -> None:
    sequencer = Sequencer(limit=100)
    sequencer.start(2)
    sequencer.live(new(5))  # from the socket that dropped: comes back with the recovery
    sequencer.reset_live()
    sequencer.recovered([new(4), edit(3, 1), new(2)], upto=7)
    sequencer.live(new(8))
    assert drain(sequencer) == [3, 4, 8]
    sequencer.recovered([new(9)], upto=None)  # recovered: false
    assert sequencer.lagging and drain(sequencer) == [9]


def test_decode_every_kind_and_never_crash() -> None:
    data = {"room_id": ROOM, "message": _message_json(1), "client_id": "c1"}
    sent = decode(orjson.dumps({"type": "message_sent", "data": data}))
    assert isinstance(sent, MessageSent) and sent.message.seq == 1 and sent.client_id == "c1"
    assert sent.message.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    noop = {"room_id": ROOM, "seq": None, "change": "reaction_added", "actor": {"user_id": "u", "username": "a"}}
    own = decode(orjson.dumps({"type": "message_updated", "data": noop | {"message": _message_json(1)}}))
    assert isinstance(own, OwnUpdate)
    greeting = {
        "room_id": ROOM,
        "user": {"id": "u", "username": "a"},
        "online_users": [{"user_id": "u", "username": "a"}],
        "recent_messages": [_message_json(2)],
        "changes": [noop | {"seq": 3, "message": _message_json(1)}],
        "recovered": True,
        "last_seq": 3,
    }
    subscribed = decode(orjson.dumps({"type": "subscribed", "data": greeting}))
    assert isinstance(subscribed, Subscribed) and subscribed.recovered is True
    assert [c.seq for c in subscribed.changes] == [3] and subscribed.changes[0].room_id == ROOM
    assert decode('{"type": "from_the_future", "data": {"x": 1}}') == UnknownEvent("from_the_future", {"x": 1})
    broken = decode('{"type": "new_message", "data": {"message": {"id": "x"}}}')
    assert isinstance(broken, UnknownEvent) and broken.type == "new_message"
    assert isinstance(decode("not json"), UnknownEvent)
    assert isinstance(decode("[1, 2]"), UnknownEvent)


def _message_json(seq: int) -> dict[str, object]:
    return {
        "id": f"m{seq}",
        "room_id": ROOM,
        "seq": seq,
        "sender_id": "u1",
        "sender_username": "alice",
        "content": "hi",
        "client_id": None,
        "created_at": "2026-01-01T00:00:00Z",
        "edited_at": None,
        "deleted": False,
        "reply_to": {"id": "m0", "seq": 0, "sender_username": "bob", "content": "hey"},
        "reactions": [{"emoji": "👍", "count": 1, "user_ids": ["u1"]}],
    }
