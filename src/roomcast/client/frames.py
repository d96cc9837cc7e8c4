"""Server frames (SPEC §4, §4b) decoded into typed values: a pure function of the text, no I/O.

Events go to whoever iterates them (roomcast.client.events); the other frames answer this
client's own requests (`ready`, `subscribed`, `message_sent`, refusals) and are consumed by
the connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from roomcast.client.events import (
    Event,
    MemberChanged,
    MessageUpdated,
    NewMessage,
    ReadMarker,
    RoomActivity,
    RoomAdded,
    RoomRemoved,
    RoomUpdated,
    UnknownEvent,
    UserJoined,
    UserLeft,
    UserStoppedTyping,
    UserTyping,
    UserUpdated,
)
from roomcast.client.records import Actor, Message, Room, User


@dataclass(frozen=True, slots=True)
class Ready:
    user: User
    rooms: tuple[Room, ...]


@dataclass(frozen=True, slots=True)
class Subscribed:
    room_id: str
    user: Actor
    online_users: tuple[Actor, ...]
    recent_messages: tuple[Message, ...]
    last_seq: int
    changes: tuple[MessageUpdated, ...]
    recovered: bool | None  # None: subscribed from now (no since_seq)


@dataclass(frozen=True, slots=True)
class SubscribeError:
    room_id: str
    error: str


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    room_id: str


@dataclass(frozen=True, slots=True)
class MessageSent:
    room_id: str
    message: Message
    client_id: str | None


@dataclass(frozen=True, slots=True)
class MessageError:
    room_id: str | None
    error: str
    client_id: str | None
    retryable: bool
    action: str


@dataclass(frozen=True, slots=True)
class RateLimitExceeded:
    room_id: str | None
    client_id: str | None
    messages_sent: int
    max_messages: int
    time_until_reset: int


@dataclass(frozen=True, slots=True)
class OwnUpdate:
    """`message_updated` with `seq: null`: the actor's change altered nothing (not an event of the log)."""

    room_id: str
    message: Message
    client_id: str | None


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    error: str
    detail: str | None
    room_id: str | None


@dataclass(frozen=True, slots=True)
class Pong:
    timestamp: float


Answer = Ready | Subscribed | SubscribeError | Unsubscribed | MessageSent | MessageError | RateLimitExceeded
Frame = Answer | OwnUpdate | ErrorFrame | Pong | Event


def decode(raw: str | bytes) -> Frame:
    """One server frame; an unknown or unreadable one as `UnknownEvent`."""
    try:
        frame = orjson.loads(raw)
        kind = frame["type"]
        data = frame.get("data") or {}
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return UnknownEvent("", {"raw": raw if isinstance(raw, str) else raw.decode(errors="replace")})
    if not isinstance(kind, str) or not isinstance(data, dict):
        return UnknownEvent(str(kind), {"data": data})
    reader = _READERS.get(kind)
    if reader is None:
        return UnknownEvent(kind, data)
    try:
        return reader(data)
    except (KeyError, TypeError, ValueError, AssertionError):
        return UnknownEvent(kind, data)


def message_updated(data: dict[str, Any], room_id: str | None = None) -> MessageUpdated:
    message = Message.from_json(data["message"])
    return MessageUpdated(
        room_id=room_id or data.get("room_id") or message.room_id,
        seq=data["seq"],
        change=data["change"],
        actor=Actor.from_json(data["actor"]),
        message=message,
        emoji=data.get("emoji"),
        client_id=data.get("client_id"),
    )


def new_message(data: dict[str, Any]) -> NewMessage:
    message = Message.from_json(data["message"])
    return NewMessage(room_id=data.get("room_id") or message.room_id, message=message)


def log_event(kind: str, data: dict[str, Any]) -> NewMessage | MessageUpdated | None:
    """An event of `GET /api/rooms/{id}/events` (the live frame it stands for)."""
    if kind == "new_message":
        return new_message(data)
    if kind == "message_updated" and data.get("seq") is not None:
        return message_updated(data)
    return None


def _updated(data: dict[str, Any]) -> MessageUpdated | OwnUpdate:
    if data.get("seq") is None:
        message = Message.from_json(data["message"])
        return OwnUpdate(data.get("room_id") or message.room_id, message, data.get("client_id"))
    return message_updated(data)


def _subscribed(data: dict[str, Any]) -> Subscribed:
    room_id = data["room_id"]
    return Subscribed(
        room_id=room_id,
        user=Actor(data["user"]["id"], data["user"]["username"]),
        online_users=tuple(Actor.from_json(u) for u in data.get("online_users") or ()),
        recent_messages=tuple(Message.from_json(m) for m in data.get("recent_messages") or ()),
        last_seq=data["last_seq"],
        changes=tuple(message_updated(c, room_id) for c in data.get("changes") or ()),
        recovered=data.get("recovered"),
    )


def _rate_limited(data: dict[str, Any]) -> RateLimitExceeded:
    info = data.get("rate_limit_info") or {}
    return RateLimitExceeded(
        room_id=data.get("room_id"),
        client_id=data.get("client_id"),
        messages_sent=info.get("messages_sent", 0),
        max_messages=info.get("max_messages", 0),
        time_until_reset=info.get("time_until_reset", 1),
    )


Reader = Callable[[dict[str, Any]], "Frame"]


def _person(cls: type[UserJoined | UserLeft | UserTyping | UserStoppedTyping]) -> Reader:
    return lambda data: cls(room_id=data["room_id"], user_id=data["user_id"], username=data["username"])


_READERS: dict[str, Reader] = {
    "ready": lambda d: Ready(User.from_json(d["user"]), tuple(Room.from_json(r) for r in d.get("rooms") or ())),
    "subscribed": _subscribed,
    "subscribe_error": lambda d: SubscribeError(d["room_id"], d["error"]),
    "unsubscribed": lambda d: Unsubscribed(d["room_id"]),
    "message_sent": lambda d: MessageSent(
        d.get("room_id") or d["message"]["room_id"], Message.from_json(d["message"]), d.get("client_id")
    ),
    "message_error": lambda d: MessageError(
        d.get("room_id"), d["error"], d.get("client_id"), bool(d.get("retryable")), d.get("action", "send")
    ),
    "rate_limit_exceeded": _rate_limited,
    "new_message": new_message,
    "message_updated": _updated,
    "user_joined": _person(UserJoined),
    "user_left": _person(UserLeft),
    "user_typing": _person(UserTyping),
    "user_stopped_typing": _person(UserStoppedTyping),
    "member_changed": lambda d: MemberChanged(d["room_id"], d["user_id"], d["username"], d["change"], d.get("role")),
    "user_updated": lambda d: UserUpdated(d["room_id"], User.from_json(d["user"])),
    "room_updated": lambda d: RoomUpdated(d.get("room_id") or d["room"]["id"], Room.from_json(d["room"])),
    "room_activity": lambda d: RoomActivity(
        d["room_id"],
        d["last_seq"],
        d.get("unread_count", 0),
        d.get("mention_count", 0),
        None if d.get("last_message") is None else Message.from_json(d["last_message"]),
    ),
    "read_marker": lambda d: ReadMarker(
        d["room_id"], d["read_seq"], d.get("unread_count", 0), d.get("mention_count", 0)
    ),
    "room_added": lambda d: RoomAdded(Room.from_json(d["room"])),
    "room_removed": lambda d: RoomRemoved(d["room_id"], d.get("reason", "removed")),
    "error": lambda d: ErrorFrame(str(d["error"]), d.get("detail"), d.get("room_id")),
    "pong": lambda d: Pong(float(d.get("timestamp", 0))),
}


def encode(kind: str, data: dict[str, Any]) -> str:
    return orjson.dumps({"type": kind, "data": data}).decode()
