"""What can go wrong, as exceptions that say what to do about it."""

from __future__ import annotations


class ClientError(Exception):
    """Every error of roomcast.client."""


class ConnectionFailed(ClientError):
    """The server could not be reached (in time, or at all)."""


class ConnectionRefused(ClientError):
    """The server refused the connection for good (close 1008 other than a token problem, such
    as `too many connections`): retrying as is would not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AuthenticationFailed(ConnectionRefused):
    """Bad credentials, or a token that is invalid, expired or logged out and could not be renewed."""


class NotAParticipant(ClientError):
    """The user does not participate in the room (any more): `reason` is the server's
    (`not a participant`, `removed`, `left`, `deleted`)."""

    def __init__(self, room_id: str, reason: str = "not a participant") -> None:
        super().__init__(f"{reason}: room {room_id}")
        self.room_id = room_id
        self.reason = reason


class RateLimited(ClientError):
    """Too many messages (or actions): try again in `retry_after` seconds."""

    def __init__(self, retry_after: float, detail: str = "rate limit exceeded") -> None:
        super().__init__(f"{detail}; retry after {retry_after:g}s")
        self.retry_after = retry_after


class MessageRejected(ClientError):
    """The server refused a send, edit, delete or reaction for good (`retryable: false`):
    `reason` is its word (empty content, too long, unknown message, not allowed, ...)."""

    def __init__(self, reason: str, action: str = "send") -> None:
        super().__init__(f"{action} rejected: {reason}")
        self.reason = reason
        self.action = action


class TooManySubscriptions(ClientError):
    """The connection follows MAX_SUBSCRIPTIONS rooms already."""


class ClientClosed(ClientError):
    """The client was closed while this was waiting."""
