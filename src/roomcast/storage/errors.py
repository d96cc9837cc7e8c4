"""Why a draft was not stored: what the group commit answers a sender instead of a message."""

from __future__ import annotations


class StorageError(Exception):
    """The draft was not stored (database unreachable, failing, or the room is gone)."""


class RoomGone(StorageError):
    pass


class NotParticipant(RoomGone):
    """The sender is not (any longer) a participant: for them the room is gone."""


class Refused(Exception):
    """The change cannot be made as asked; nothing was stored, and retrying will not help."""


class UnknownMessage(Refused):
    """No such message in the room, or it was deleted."""


class NotAllowed(Refused):
    """The actor may not make this change to this message."""


class MessageDeleted(Refused):
    """The message was deleted: it can no longer be edited, reacted to or replied to."""


class TooManyReactions(Refused):
    """The message already carries the most different reactions it may."""
