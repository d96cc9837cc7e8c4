"""Domain errors; the API and the gateway translate them into statuses and frames."""

from __future__ import annotations

from roomcast.backends.base import RateDecision


class DomainError(Exception):
    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unauthorized(DomainError):
    status = 401


class InvalidContent(DomainError):
    status = 422


class RateLimited(DomainError):
    status = 429

    def __init__(self, decision: RateDecision) -> None:
        super().__init__("Rate limit exceeded")
        self.decision = decision

    @property
    def info(self) -> dict[str, int]:
        return {
            "messages_sent": self.decision.messages_sent,
            "max_messages": self.decision.max_messages,
            "time_until_reset": self.decision.time_until_reset,
        }


class StorageUnavailable(DomainError):
    """The message could not be committed in time; the client may retry with its client_id."""

    status = 503


class NotInRoom(NotFound):
    """The room is gone, or the actor no longer participates in it."""
