"""Server frames, encoded once and shared as bytes by every socket that receives them."""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Any

import orjson

Fragment = orjson.Fragment


def websocket_text_frame(payload: bytes) -> bytes:
    """RFC 6455 wire form of a final, unmasked (server-to-client) text frame."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def websocket_close_frame(code: int, reason: str = "") -> bytes:
    """RFC 6455 wire form of a server close frame (reason cut to fit the 125-byte control limit)."""
    payload = struct.pack("!H", code) + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


def encode_frame(kind: str, data: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": kind, "data": data})


def new_message_frame(message_json: bytes) -> bytes:
    return b'{"type":"new_message","data":{"message":' + message_json + b"}}"


def message_sent_frame(message_json: bytes, client_id: str | None) -> bytes:
    return encode_frame("message_sent", {"message": Fragment(message_json), "client_id": client_id})


def message_error_frame(error: str, client_id: str | None, retryable: bool, action: str = "send") -> bytes:
    return encode_frame(
        "message_error", {"error": error, "client_id": client_id, "retryable": retryable, "action": action}
    )


def message_updated_frame(data: dict[str, Any]) -> bytes:
    return encode_frame("message_updated", data)


def with_client_id(frame: bytes, client_id: str) -> bytes:
    """`frame` (`{"type": ..., "data": {...}}`, as encoded here) with `client_id` added to its data."""
    return frame[:-2] + b',"client_id":' + orjson.dumps(client_id) + b"}}"


_DATA = b'"data":{'
_ROOM_ID = b'"room_id":'


def with_room_id(frame: bytes, room_id: str) -> bytes:
    """`frame` (`{"type": ..., "data": {...}}`, as encoded here) with `room_id` first in its data:
    the form a user connection (SPEC §4b) receives of a room's frame."""
    start = frame.index(_DATA) + len(_DATA)
    if frame.startswith(_ROOM_ID, start):
        return frame  # it names its room already (connected, member_changed)
    separator = b"" if frame[start : start + 1] == b"}" else b","
    return frame[:start] + _ROOM_ID + orjson.dumps(room_id) + separator + frame[start:]


def rate_limited_frame(client_id: str | None, info: dict[str, int]) -> bytes:
    return encode_frame(
        "rate_limit_exceeded",
        {"error": "Rate limit exceeded", "client_id": client_id, "rate_limit_info": info},
    )


def user_frame(kind: str, user_id: str, username: str) -> bytes:
    return encode_frame(kind, {"user_id": user_id, "username": username})


def error_frame(error: str, detail: str | None = None) -> bytes:
    data: dict[str, Any] = {"error": error}
    if detail is not None:
        data["detail"] = detail
    return encode_frame("error", data)


def pong_frame() -> bytes:
    return encode_frame("pong", {"timestamp": time.time()})


MESSAGE, UPDATE = "message", "update"
LOGGED = (MESSAGE, UPDATE)


@dataclass(frozen=True, slots=True)
class Envelope:
    """What one instance publishes to the others for a room.

    `kind` is "message" or "update" (a room event of the log, seq set: `new_message`,
    `message_updated`), "event" (typing, presence: to the room's subscriptions), "notice"
    (`room_updated`, `member_changed`, `user_updated`: to every socket that follows the room,
    subscribed or watching), "kick" (end `user_id`'s subscriptions; every one's without a user) or,
    on the cluster's control channel, "logout" (the frame is a JSON list of session ids whose
    sockets close). `origin` is
    the publishing connection: it gets no copy of a new message (it gets `message_sent`), and
    its copy of a change carries `client_id`.
    Wire form: a small JSON header, a newline, then the frame bytes untouched.
    """

    kind: str
    frame: bytes
    origin: str = ""
    seq: int = 0
    user_id: str = ""
    client_id: str | None = None

    def encode(self) -> bytes:
        header = orjson.dumps([self.kind, self.origin, self.seq, self.user_id, self.client_id])
        return header + b"\n" + self.frame

    @classmethod
    def decode(cls, payload: bytes) -> Envelope:
        header, _, frame = payload.partition(b"\n")
        kind, origin, seq, user_id, client_id = orjson.loads(header)
        return cls(kind=kind, frame=frame, origin=origin, seq=seq, user_id=user_id, client_id=client_id)

    def frame_for(self, connection_id: str) -> bytes | None:
        """What the connection `connection_id` receives of this room event (None: nothing)."""
        if connection_id != self.origin or not self.origin:
            return self.frame
        if self.kind != UPDATE:
            return None
        return self.frame if self.client_id is None else with_client_id(self.frame, self.client_id)
