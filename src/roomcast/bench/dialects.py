"""How each server under test is spoken to once a socket is open: the `Dialect` interfaces
the fleet (`load`) relies on, and one implementation per kind of server.

`RoomcastDialect` speaks SPEC §4 on a room socket (`/ws/{room_id}`; the tutorial baseline
speaks the same shapes), `UserConnectionDialect` SPEC §4b on a user connection (`/ws`: frames
name their room with `room_id`, the socket subscribes after `ready`), `SocketIODialect`
Engine.IO v4. Frames are told apart by their first bytes, without a JSON parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

import orjson

if TYPE_CHECKING:
    from roomcast.bench.load import Client

# What a frame other than a timed delivery or an acknowledgement means to the fleet.
Outcome = Literal["ready", "subscribed", "refused", "activity", "error"] | None


class Dialect(Protocol):
    """How one kind of server is spoken to once a socket is open (one per kind of server, below)."""

    hello: bytes | None

    def encode_send(self, content: str, client_id: str, room_id: str | None = None) -> bytes:
        """A new message; `room_id` names its room on a user connection (None on a room socket)."""
        ...

    def on_other(self, client: Client, payload: bytes) -> Outcome:
        """A frame that is not a delivery or an acknowledgement: "ready" (greeted), "subscribed",
        "refused" (a subscription), "activity" (`room_activity`), "error" or None (ignored)."""
        ...


class SubscribeDialect(Dialect, Protocol):
    """A dialect of user connections (what `Fleet.open_users` needs)."""

    def encode_subscribe(self, room_id: str) -> bytes: ...


class ChangeDialect(Dialect, Protocol):
    """A dialect that can also edit and react (what `Fleet(mix=...)` needs)."""

    def encode_edit(self, message_id: str, content: str, client_id: str) -> bytes: ...

    def encode_reaction(self, message_id: str, emoji: str, add: bool, client_id: str) -> bytes: ...

    def acked_message_id(self, payload: bytes) -> str | None:
        """The id of the message a `message_sent` frame confirms."""
        ...


class RoomcastDialect:
    """SPEC §4 frames on a room socket; the tutorial baseline speaks the same shapes."""

    hello: bytes | None = None

    def encode_send(self, content: str, client_id: str, room_id: str | None = None) -> bytes:
        data = {"content": content, "client_id": client_id}
        if room_id is not None:
            data["room_id"] = room_id
        return orjson.dumps({"type": "send_message", "data": data})

    # --mix (roomcast only: the tutorial baseline has no edits or reactions)

    def encode_edit(self, message_id: str, content: str, client_id: str) -> bytes:
        data = {"message_id": message_id, "content": content, "client_id": client_id}
        return orjson.dumps({"type": "edit_message", "data": data})

    def encode_reaction(self, message_id: str, emoji: str, add: bool, client_id: str) -> bytes:
        data = {"message_id": message_id, "emoji": emoji, "client_id": client_id}
        return orjson.dumps({"type": "add_reaction" if add else "remove_reaction", "data": data})

    def acked_message_id(self, payload: bytes) -> str | None:
        try:
            message_id = orjson.loads(payload)["data"]["message"]["id"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None
        return message_id if isinstance(message_id, str) else None

    def on_other(self, client: Client, payload: bytes) -> Outcome:
        head = payload[:40]
        if b'"connected"' in head:
            return "ready"
        if b'"error"' in head or b"message_error" in head or b"rate_limit_exceeded" in head:
            return "error"
        return None


class UserConnectionDialect(RoomcastDialect):
    """SPEC §4b: `ready` greets the socket, which then subscribes; `room_activity` is counted.

    On this socket every room frame carries `room_id` first in its data, so the type still
    sits in the first bytes (`{"type":"subscribed","data":{"room_id":…`)."""

    def encode_subscribe(self, room_id: str) -> bytes:
        return orjson.dumps({"type": "subscribe", "data": {"room_id": room_id}})

    def on_other(self, client: Client, payload: bytes) -> Outcome:
        head = payload[:40]
        if head.startswith(b'{"type":"room_activity"'):
            return "activity"
        if head.startswith(b'{"type":"subscribed"'):
            return "subscribed"
        if head.startswith(b'{"type":"ready"'):
            return "ready"
        if head.startswith(b'{"type":"subscribe_error"'):
            return "refused"
        return super().on_other(client, payload)


class SocketIODialect:
    """Engine.IO v4 over a bare WebSocket: `40` connects the namespace, `2` is a ping."""

    hello: bytes | None = b"40"

    def encode_send(self, content: str, client_id: str, room_id: str | None = None) -> bytes:
        return b'42["send_message",' + orjson.dumps({"content": content, "client_id": client_id}) + b"]"

    def on_other(self, client: Client, payload: bytes) -> Outcome:
        if payload == b"2":
            client.send(b"3")
        elif payload.startswith(b"40"):
            return "ready"
        elif payload.startswith(b"44"):
            return "error"
        return None
