"""What storage hands the rest of the system: plain values, and a message's JSON encoded once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from sqlalchemy.engine import RowMapping

REPLY_SNIPPET = 200

# A message's reactions, in the order each emoji was first added: (emoji, user ids in order).
Reactions = tuple[tuple[str, tuple[str, ...]], ...]


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """The message a reply quotes, as it stands: `content` is cut, and empty once it is deleted."""

    id: uuid.UUID
    seq: int
    sender_username: str
    content: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "seq": self.seq, "sender_username": self.sender_username, "content": self.content}


def reply_ref(message_id: uuid.UUID, seq: int, sender_username: str, content: str, deleted: bool) -> ReplyRef:
    return ReplyRef(message_id, seq, sender_username, "" if deleted else content[:REPLY_SNIPPET])


@dataclass(slots=True)
class MessageRecord:
    """One message in one state. `version` is the seq of the room event that produced this state
    (its own `seq` until it changes): of two states of a message, the higher version is newer."""

    id: uuid.UUID
    room_id: uuid.UUID
    seq: int
    sender_id: uuid.UUID
    sender_username: str
    content: str
    client_id: str | None
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False
    reply_to: ReplyRef | None = None
    reactions: Reactions = ()
    version: int = 0
    _json: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.version == 0:
            self.version = self.seq

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "room_id": str(self.room_id),
            "seq": self.seq,
            "sender_id": str(self.sender_id),
            "sender_username": self.sender_username,
            "content": self.content,
            "client_id": self.client_id,
            "created_at": iso_utc(self.created_at),
            "edited_at": iso_utc(self.edited_at) if self.edited_at is not None else None,
            "deleted": self.deleted,
            "reply_to": self.reply_to.as_dict() if self.reply_to is not None else None,
            "reactions": [
                {"emoji": emoji, "count": len(user_ids), "user_ids": list(user_ids)}
                for emoji, user_ids in self.reactions
            ],
        }

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self.as_dict())
        return self._json

    def evolve(self, **changes: Any) -> MessageRecord:
        """This message in another state (its JSON encoded afresh)."""
        return replace(self, _json=None, **changes)


def encode_reactions(reactions: Reactions) -> str:
    return orjson.dumps([[emoji, list(user_ids)] for emoji, user_ids in reactions]).decode()


def decode_reactions(stored: str | None) -> Reactions:
    if not stored:
        return ()
    return tuple((emoji, tuple(user_ids)) for emoji, user_ids in orjson.loads(stored))


def record_from_row(row: RowMapping | Mapping[str, Any]) -> MessageRecord:
    """A message from a row of `messages` joined with its sender's `username` and, when the
    query selects them, its parent's `p_seq`, `p_username`, `p_content`, `p_deleted`."""
    reply_to = None
    parent_id = row.get("reply_to_id")
    if parent_id is not None and row.get("p_seq") is not None:
        reply_to = reply_ref(parent_id, row["p_seq"], row["p_username"], row["p_content"], row["p_deleted"])
    return MessageRecord(
        id=row["id"],
        room_id=row["room_id"],
        seq=row["seq"],
        sender_id=row["sender_id"],
        sender_username=row["username"],
        content=row["content"],
        client_id=row["client_id"],
        created_at=row["created_at"],
        edited_at=row.get("edited_at"),
        deleted=bool(row.get("deleted", False)),
        reply_to=reply_to,
        reactions=decode_reactions(row.get("reactions")),
        version=row.get("updated_seq") or row["seq"],
    )


@dataclass(slots=True)
class MessageDraft:
    room_id: uuid.UUID
    sender_id: uuid.UUID
    sender_username: str
    content: str
    client_id: str | None
    origin: str  # the sending connection ("" for REST), which gets no copy of the broadcast
    # perf_counter() when the send arrived: the commit timeout and the latency metrics count from it.
    received_at: float
    reply_to: uuid.UUID | None = None


EDITED, DELETED, REACTION_ADDED, REACTION_REMOVED = "edited", "deleted", "reaction_added", "reaction_removed"
CHANGES = (EDITED, DELETED, REACTION_ADDED, REACTION_REMOVED)


@dataclass(slots=True)
class UpdateDraft:
    """A change to a stored message: `content` for an edit, `emoji` for a reaction."""

    room_id: uuid.UUID
    actor_id: uuid.UUID
    actor_username: str
    message_id: uuid.UUID
    change: str
    content: str | None
    emoji: str | None
    client_id: str | None
    origin: str
    received_at: float


@dataclass(frozen=True, slots=True)
class MessageUpdate:
    """One `message_updated` event: `seq` None when the change was already so (nothing logged)."""

    seq: int | None
    change: str
    actor_id: uuid.UUID
    actor_username: str
    emoji: str | None
    message: MessageRecord

    def data(self) -> dict[str, Any]:
        """The frame's data, with the message as its already encoded JSON."""
        return self._with(orjson.Fragment(self.message.json))

    def as_dict(self) -> dict[str, Any]:
        return self._with(self.message.as_dict())

    def _with(self, message: object) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seq": self.seq,
            "change": self.change,
            "actor": {"user_id": str(self.actor_id), "username": self.actor_username},
            "message": message,
        }
        if self.emoji is not None:
            data["emoji"] = self.emoji
        return data


@dataclass(slots=True)
class CommitResult:
    message: MessageRecord
    duplicate: bool
    draft: MessageDraft


@dataclass(slots=True)
class UpdateResult:
    update: MessageUpdate
    draft: UpdateDraft
    previous: MessageRecord | None = None  # the state the change replaced
    # Replies quoting the changed message, as they read after the change (an edit or delete).
    replies: list[MessageRecord] = field(default_factory=list)


Draft = MessageDraft | UpdateDraft
Outcome = CommitResult | UpdateResult | Exception
