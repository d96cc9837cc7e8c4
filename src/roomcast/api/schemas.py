"""Request and response bodies of the REST API, kept apart from the ORM models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from roomcast.storage.database import is_storable_text

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"


def check_text(value: str | None) -> str | None:
    if value is not None and not is_storable_text(value):
        raise ValueError("must be UTF-8 text without NUL characters")
    return value


# Every free-text input: a NUL or a lone surrogate is a 422 here, not a database error later.
Text = Annotated[str, AfterValidator(check_text)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RegisterIn(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-32 of A-Z a-z 0-9 _ . -")
    password: str = Field(min_length=8, max_length=256)
    display_name: Text | None = Field(default=None, min_length=1, max_length=64)


class LoginIn(Strict):
    username: Text = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    created_at: str


class RoomIn(Strict):
    name: Text = Field(min_length=1, max_length=100)
    description: Text = Field(default="", max_length=1000)
    is_private: bool = False
    members: list[Text] = Field(default_factory=list, max_length=500)


class RoomOut(BaseModel):
    id: str
    name: str
    description: str
    is_private: bool
    created_by: str
    created_at: str


class MessageOut(BaseModel):
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_username: str
    content: str
    client_id: str | None
    created_at: str


class RoomSummaryOut(RoomOut):
    role: str
    last_seq: int
    unread_count: int
    last_message: MessageOut | None


class MemberOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: str
    online: bool


class MemberIn(Strict):
    username: Text = Field(min_length=1, max_length=64)


class RoleIn(Strict):
    role: Literal["admin", "member"]


class MessageIn(Strict):
    content: Text = Field(description="1..MAX_MESSAGE_LENGTH characters, not only white space")
    client_id: Text | None = Field(default=None, min_length=1, max_length=64)


class MessagePage(BaseModel):
    messages: list[MessageOut]
    has_more: bool


class ReadIn(Strict):
    seq: int = Field(ge=0, le=2**31 - 1)


class ReadOut(BaseModel):
    unread_count: int


class NotificationOut(BaseModel):
    id: str
    type: Literal["message", "mention"]
    room_id: str
    message_id: str
    count: int
    is_read: bool
    created_at: str
    updated_at: str


class RateLimitInfo(BaseModel):
    messages_sent: int
    max_messages: int
    time_until_reset: int


class ErrorOut(BaseModel):
    detail: str
    rate_limit_info: RateLimitInfo | None = None


# FastAPI documents its own 422 body (a list of errors); roomcast answers `{"detail": "..."}`.
INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut, "description": "Invalid request"}}
UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing, invalid or expired token"}
}


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "fail"]
    checks: dict[str, dict[str, object]]
