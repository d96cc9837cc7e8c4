"""The records the server sends (SPEC §3 objects): messages, rooms, users, as frozen dataclasses.

Each `from_json` takes the decoded JSON object as the server wrote it; fields a newer server
adds are ignored, so an old client keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    display_name: str = ""
    created_at: datetime | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> User:
        return cls(
            id=data["id"],
            username=data["username"],
            display_name=data.get("display_name") or data["username"],
            created_at=parse_time(data.get("created_at")),
        )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: `message_updated`'s `actor`, and the online users of a room."""

    user_id: str
    username: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Actor:
        return cls(user_id=data["user_id"], username=data["username"])


@dataclass(frozen=True, slots=True)
class Reaction:
    emoji: str
    count: int
    user_ids: tuple[str, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reaction:
        return cls(emoji=data["emoji"], count=data["count"], user_ids=tuple(data["user_ids"]))


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """The message replied to: its first 200 characters (`""` once it is deleted)."""

    id: str
    seq: int
    sender_username: str
    content: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReplyRef:
        return cls(id=data["id"], seq=data["seq"], sender_username=data["sender_username"], content=data["content"])


@dataclass(frozen=True, slots=True)
class Message:
    """A message in its state at the time of the event that carried it."""

    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_username: str
    content: str
    client_id: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    reply_to: ReplyRef | None
    reactions: tuple[Reaction, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        reply_to = data.get("reply_to")
        created_at = parse_time(data["created_at"])
        assert created_at is not None
        return cls(
            id=data["id"],
            room_id=data["room_id"],
            seq=data["seq"],
            sender_id=data["sender_id"],
            sender_username=data["sender_username"],
            content=data["content"],
            client_id=data.get("client_id"),
            created_at=created_at,
            edited_at=parse_time(data.get("edited_at")),
            deleted=bool(data.get("deleted", False)),
            reply_to=None if reply_to is None else ReplyRef.from_json(reply_to),
            reactions=tuple(Reaction.from_json(r) for r in data.get("reactions") or ()),
        )


@dataclass(frozen=True, slots=True)
class Room:
    """A room; the fields after `created_at` are those of `GET /api/rooms` and `ready` (unread state)."""

    id: str
    name: str
    description: str = ""
    is_private: bool = False
    kind: str = "room"
    created_by: str = ""
    created_at: datetime | None = None
    role: str | None = None
    last_seq: int = 0
    read_seq: int = 0
    unread_count: int = 0
    mention_count: int = 0
    last_message: Message | None = field(default=None)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Room:
        last_message = data.get("last_message")
        return cls(
            id=data["id"],
            name=data["name"],
            description=data.get("description", ""),
            is_private=bool(data.get("is_private", False)),
            kind=data.get("kind", "room"),
            created_by=data.get("created_by", ""),
            created_at=parse_time(data.get("created_at")),
            role=data.get("role"),
            last_seq=data.get("last_seq", 0),
            read_seq=data.get("read_seq", 0),
            unread_count=data.get("unread_count", 0),
            mention_count=data.get("mention_count", 0),
            last_message=None if last_message is None else Message.from_json(last_message),
        )
