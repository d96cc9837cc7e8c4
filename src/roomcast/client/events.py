"""Typed events: what `async for event in subscription` and `client.events()` yield.

Room events (SPEC §4, §4a, §4b) carry `room_id`; `NewMessage` and `MessageUpdated` are the
room's log and carry its `seq`. User events (§4b) are about the user's rooms as a whole.
A frame this client does not know becomes an `UnknownEvent`, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roomcast.client.records import Actor, Message, Room, User


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message was created (`seq` is the message's); its state may include later changes when
    it comes from a recovery (changes are folded into the newest state of each message)."""

    room_id: str
    message: Message

    @property
    def seq(self) -> int:
        return self.message.seq


@dataclass(frozen=True, slots=True)
class MessageUpdated:
    """A message was edited, deleted or reacted to (`change`); `message` is its new state."""

    room_id: str
    seq: int
    change: str  # "edited", "deleted", "reaction_added", "reaction_removed"
    actor: Actor
    message: Message
    emoji: str | None = None
    client_id: str | None = None  # only on the actor's own connection


@dataclass(frozen=True, slots=True)
class UserJoined:
    room_id: str
    user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class UserLeft:
    room_id: str
    user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class UserTyping:
    room_id: str
    user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class UserStoppedTyping:
    room_id: str
    user_id: str
    username: str


@dataclass(frozen=True, slots=True)
class MemberChanged:
    room_id: str
    user_id: str
    username: str
    change: str  # "added", "removed", "role"
    role: str | None


@dataclass(frozen=True, slots=True)
class UserUpdated:
    """A member of the room changed their display name."""

    room_id: str
    user: User


@dataclass(frozen=True, slots=True)
class RoomUpdated:
    room_id: str
    room: Room


@dataclass(frozen=True, slots=True)
class RoomActivity:
    """A new message in one of the user's rooms (at most one a second per room)."""

    room_id: str
    last_seq: int
    unread_count: int
    mention_count: int
    last_message: Message | None


@dataclass(frozen=True, slots=True)
class ReadMarker:
    """One of the user's devices read the room up to `read_seq`."""

    room_id: str
    read_seq: int
    unread_count: int
    mention_count: int


@dataclass(frozen=True, slots=True)
class RoomAdded:
    room: Room


@dataclass(frozen=True, slots=True)
class RoomRemoved:
    room_id: str
    reason: str  # "left", "removed", "deleted"


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A frame this version of the client does not know (or could not read), as it came."""

    type: str
    data: dict[str, Any]

    @property
    def room_id(self) -> str | None:
        room_id = self.data.get("room_id")
        return room_id if isinstance(room_id, str) else None


LogEvent = NewMessage | MessageUpdated
RoomEvent = (
    NewMessage
    | MessageUpdated
    | UserJoined
    | UserLeft
    | UserTyping
    | UserStoppedTyping
    | MemberChanged
    | UserUpdated
    | RoomUpdated
    | UnknownEvent
)
UserEvent = RoomActivity | ReadMarker | RoomAdded | RoomRemoved | UnknownEvent
Event = RoomEvent | UserEvent
