"""Request and response bodies of the REST API, kept apart from the ORM models."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from roomcast.protocol.frames import MAX_SEQ
from roomcast.services.text import has_unsafe_name_characters, is_reaction_character, is_visible
from roomcast.storage.database import is_storable_text

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
# What the server enforces, written into the schema so that a generated client (or a fuzzer)
# knows it. Documentation only: the checks themselves are check_text and check_content.
NO_NUL_PATTERN = r"^[^\u0000]*$"
# The protocol's seq bound, one the OpenAPI document can state exactly (FastAPI writes bounds
# as floats: 2**63 - 1 would read 2**63).
SEQ_MAX = MAX_SEQ


def check_text(value: str | None) -> str | None:
    if value is not None and not is_storable_text(value):
        raise ValueError("must be UTF-8 text without NUL characters")
    return value


# Every free-text input: a NUL or a lone surrogate is a 422 here, not a database error later.
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra={"pattern": NO_NUL_PATTERN})]


@cache
def visible_content_pattern() -> str:
    """`is_visible` and no NUL, as a regex (Python, ECMA 262 with `u`, Rust): invisible characters,
    then one that shows, then anything but NUL. Built from `is_visible` itself, so both agree."""
    invisible: list[list[int]] = []
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000 or is_visible(chr(code)):
            continue
        if invisible and invisible[-1][1] == code - 1:
            invisible[-1][1] = code
        else:
            invisible.append([code, code])

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    span = "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in invisible)
    return f"^[{span}]*[^{span}\\u0000][^\\u0000]*$"


@cache
def reaction_pattern() -> str:
    """`is_reaction` as a regex, built from it like the content pattern: what a path's emoji may hold."""
    refused: list[list[int]] = []
    for code in range(0x110000):
        if 0xD800 <= code < 0xE000 or is_reaction_character(chr(code)):
            continue
        if refused and refused[-1][1] == code - 1:
            refused[-1][1] = code
        else:
            refused.append([code, code])

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    span = "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in refused)
    return f"^[^{span}]+$"


def _document_content(schema: dict[str, Any]) -> None:
    schema.update(minLength=1, pattern=visible_content_pattern())


def _integral(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# JSON Schema's integer includes 5.0, which strict mode alone would refuse (it refuses true and "5").
JsonInt = Annotated[int, BeforeValidator(_integral)]


class Strict(BaseModel):
    # strict: JSON's types as the schema says them (no 0 for false, no "5" or true for 5).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, strict=True)


def check_name(value: str | None) -> str | None:
    if value is not None and has_unsafe_name_characters(value):
        raise ValueError("must not contain control characters or bidirectional overrides")
    return value


# What check_name refuses, said in the schema too (a generated client then knows).
SAFE_NAME_PATTERN = r"^[^\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]*$"


def check_visible(value: str | None) -> str | None:
    if value is not None and not is_visible(value):
        raise ValueError("must not be only white space or invisible characters")
    return value


Name = Annotated[
    Text,
    AfterValidator(check_name),
    AfterValidator(check_visible),
    Field(json_schema_extra={"pattern": SAFE_NAME_PATTERN}),
]


class RegisterIn(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="3-32 of A-Z a-z 0-9 _ . -")
    password: str = Field(min_length=8, max_length=256)
    display_name: Name | None = Field(default=None, min_length=1, max_length=64)


class ProfileIn(Strict):
    display_name: Name = Field(min_length=1, max_length=64)


class LoginIn(Strict):
    username: Text = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(Strict):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the access token lives (ACCESS_TOKEN_TTL)")
    refresh_token: str = Field(description="opaque, single use: POST /api/auth/refresh before the access token expires")


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    created_at: str


class RoomIn(Strict):
    name: Name = Field(min_length=1, max_length=100)
    description: Text = Field(default="", max_length=1000)
    is_private: bool = False
    members: list[Text] = Field(default_factory=list, max_length=500)


class RoomPatchIn(Strict):
    """What changes; an absent field stays as it is."""

    name: Name | None = Field(default=None, min_length=1, max_length=100)
    description: Text | None = Field(default=None, max_length=1000)
    is_private: bool | None = None


class RoomOut(BaseModel):
    id: str
    name: str
    description: str
    is_private: bool
    kind: Literal["room", "dm"]
    created_by: str
    created_at: str


class RoomDetailOut(RoomOut):
    member_count: int = Field(description="how many participate: `GET /api/rooms/{id}` only")


class ReplyRefOut(BaseModel):
    id: str
    seq: int
    sender_username: str
    content: str = Field(description="the first 200 characters; empty once that message is deleted")


class ReactionOut(BaseModel):
    emoji: str
    count: int
    user_ids: list[str]


class MessageOut(BaseModel):
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_username: str
    content: str
    client_id: str | None
    created_at: str
    edited_at: str | None
    deleted: bool
    reply_to: ReplyRefOut | None
    reactions: list[ReactionOut]


class RoomSummaryOut(RoomOut):
    role: str
    last_seq: int
    read_seq: int
    unread_count: int
    mention_count: int
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
    # Checked by MessageService.check_content, the one rule of every transport; the app writes
    # MAX_MESSAGE_LENGTH into the schema as maxLength.
    content: str = Field(
        description="1..MAX_MESSAGE_LENGTH characters, not only white space or invisible characters, no NUL",
        json_schema_extra=_document_content,
    )
    client_id: Text | None = Field(default=None, min_length=1, max_length=64)
    reply_to: uuid.UUID | None = Field(default=None, strict=False, description="the id of a message of the same room")


class MessageEditIn(Strict):
    content: str = Field(
        description="1..MAX_MESSAGE_LENGTH characters, not only white space or invisible characters, no NUL",
        json_schema_extra=_document_content,
    )


class ActorOut(BaseModel):
    user_id: str
    username: str


class EventOut(BaseModel):
    seq: int
    type: Literal["new_message", "message_updated"]
    data: dict[str, Any] = Field(description="the live frame's data: {message} or message_updated's data")


class EventPage(BaseModel):
    events: list[EventOut]
    has_more: bool
    last_seq: int


class SearchPageOut(BaseModel):
    results: list[MessageOut]
    next_cursor: str | None


class MessagePage(BaseModel):
    messages: list[MessageOut]
    has_more: bool


class ReadIn(Strict):
    seq: JsonInt = Field(ge=0, le=SEQ_MAX)


class ReadOut(BaseModel):
    read_seq: int
    unread_count: int
    mention_count: int


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
RETRY_AFTER = {
    "Retry-After": {"description": "whole seconds until one more attempt is allowed", "schema": {"type": "integer"}}
}
TOO_MANY_CHANGES: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": "Too many changes (ACTION_RATE_LIMIT)", "headers": RETRY_AFTER}
}
TOO_MANY_SEARCHES: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": "Too many searches (SEARCH_RATE_LIMIT)", "headers": RETRY_AFTER}
}
TOO_MANY_CREATED: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": "Too many rooms created (CREATE_RATE_LIMIT)", "headers": RETRY_AFTER}
}


class HealthOut(BaseModel):
    status: Literal["ok", "degraded", "fail"]
    checks: dict[str, dict[str, object]]
