"""Why a draft was not stored: what the group commit answers a sender instead of a message."""

from __future__ import annotations


class StorageError(Exception):
    """The draft was not stored (database unreachable, failing, or the room is gone)."""


class RoomGone(StorageError):
    pass


class NotParticipant(RoomGone):
    """The sender is not (any longer) a participant: for them the room is gone."""
