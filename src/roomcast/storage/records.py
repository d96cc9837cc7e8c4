"""A stored message as the rest of the system sees it: plain values plus its JSON, encoded once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class MessageRecord:
    id: uuid.UUID
    room_id: uuid.UUID
    seq: int
    sender_id: uuid.UUID
    sender_username: str
    content: str
    client_id: str | None
    created_at: datetime
    _json: bytes | None = field(default=None, repr=False)

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
        }

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self.as_dict())
        return self._json


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


@dataclass(slots=True)
class CommitResult:
    message: MessageRecord
    duplicate: bool
    draft: MessageDraft
