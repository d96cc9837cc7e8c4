"""Client frames as typed values, decoded from raw WebSocket text without any I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from roomcast.storage.records import DELETED, EDITED, REACTION_ADDED, REACTION_REMOVED

MAX_CLIENT_ID_LENGTH = 64
# The largest integer every JSON client (JavaScript) holds exactly: the bound of every seq the
# protocol and the REST API take.
MAX_SEQ = 2**53 - 1


@dataclass(frozen=True, slots=True)
class SendMessage:
    content: Any
    client_id: str | None
    reply_to: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ChangeMessage:
    """edit_message, delete_message, add_reaction, remove_reaction: `change` is the log's name."""

    change: str
    message_id: uuid.UUID
    client_id: str | None
    content: Any = None
    emoji: Any = None


@dataclass(frozen=True, slots=True)
class TypingStart:
    pass


@dataclass(frozen=True, slots=True)
class TypingStop:
    pass


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Auth:
    token: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    room_id: str
    since_seq: int | None


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    room_id: str


@dataclass(frozen=True, slots=True)
class MarkRead:
    room_id: str
    seq: int


ClientFrame = SendMessage | ChangeMessage | TypingStart | TypingStop | Ping | Auth | Subscribe | Unsubscribe | MarkRead
# The frames that act in one room: on a user connection (SPEC §4b) they name it with `room_id`.
RoomFrame = SendMessage | ChangeMessage | TypingStart | TypingStop


@dataclass(frozen=True, slots=True)
class Decoded:
    frame: ClientFrame
    room_id: str | None  # the frame's `room_id` (canonical form), if it has one


class FrameError(Exception):
    """The frame cannot be understood; `error` and `detail` go back to the client as is."""

    def __init__(self, error: str, detail: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


_SIMPLE: dict[str, ClientFrame] = {"typing_start": TypingStart(), "typing_stop": TypingStop(), "ping": Ping()}
_CHANGES = {
    "edit_message": EDITED,
    "delete_message": DELETED,
    "add_reaction": REACTION_ADDED,
    "remove_reaction": REACTION_REMOVED,
}


def decode_client_frame(raw: str | bytes) -> Decoded:
    frame, data = _decode(raw)
    room_id = data.get("room_id")
    return Decoded(frame, None if room_id is None else _room_id(room_id))


def _decode(raw: str | bytes) -> tuple[ClientFrame, dict[str, Any]]:
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FrameError("invalid JSON") from None
    if not isinstance(frame, dict):
        raise FrameError("frame must be a JSON object")
    kind = frame.get("type")
    if not isinstance(kind, str):
        raise FrameError("missing type", "every frame needs a string 'type'")
    data = frame.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrameError("bad data", "'data' must be an object")
    return _frame(kind, data), data


def _frame(kind: str, data: dict[str, Any]) -> ClientFrame:
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return simple
    if kind == "send_message":
        reply_to = data.get("reply_to")
        return SendMessage(
            content=data.get("content"),
            client_id=_client_id(data),
            reply_to=None if reply_to is None else _message_id(reply_to, "reply_to"),
        )
    change = _CHANGES.get(kind)
    if change is not None:
        return ChangeMessage(
            change=change,
            message_id=_message_id(data.get("message_id"), "message_id"),
            client_id=_client_id(data),
            content=data.get("content"),
            emoji=data.get("emoji"),
        )
    if kind == "auth":
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise FrameError("bad data", "auth needs a string 'token'")
        return Auth(token=token)
    if kind == "subscribe":
        since_seq = data.get("since_seq")
        return Subscribe(_required_room_id(data), None if since_seq is None else _seq(since_seq, "since_seq"))
    if kind == "unsubscribe":
        return Unsubscribe(_required_room_id(data))
    if kind == "mark_read":
        return MarkRead(_required_room_id(data), _seq(data.get("seq"), "seq"))
    raise FrameError("unknown type", f"unknown frame type {kind[:40]!r}")


def _client_id(data: dict[str, Any]) -> str | None:
    client_id = data.get("client_id")
    if client_id is not None and (not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID_LENGTH):
        raise FrameError("bad data", f"client_id must be a string of 1-{MAX_CLIENT_ID_LENGTH} characters")
    return client_id


def _message_id(value: object, name: str) -> uuid.UUID:
    if isinstance(value, str) and len(value) <= 36:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise FrameError("bad data", f"{name} must be a message id")


def _required_room_id(data: dict[str, Any]) -> str:
    if data.get("room_id") is None:
        raise FrameError("bad data", "this frame needs a 'room_id'")
    return _room_id(data["room_id"])


def _room_id(value: object) -> str:
    if isinstance(value, str) and len(value) <= 36:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise FrameError("bad data", "room_id must be a room id")


def _seq(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEQ:
        return value
    raise FrameError("bad data", f"{name} must be a whole number from 0 to {MAX_SEQ}")
