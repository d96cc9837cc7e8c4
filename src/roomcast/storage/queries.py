"""The tables and the one way every reader and the commit select a message in its current state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from roomcast.storage.models import Mention, Message, Participant, Room, User

messages = Message.__table__
mentions = Mention.__table__
rooms = Room.__table__
users = User.__table__
participants = Participant.__table__

# Keys one `key_match` statement looks up: SQLite nests an OR chain one level per term.
KEYS_PER_STATEMENT = 50

_parents = messages.alias("parent")
_parent_senders = users.alias("parent_sender")


def select_messages() -> Select[tuple[object, ...]]:
    """Messages with their sender's `username` and, for replies, the parent as `p_*` columns:
    the row shape `records.record_from_row` reads."""
    return (
        select(
            messages,
            users.c.username,
            _parents.c.seq.label("p_seq"),
            _parents.c.content.label("p_content"),
            _parents.c.deleted.label("p_deleted"),
            _parent_senders.c.username.label("p_username"),
        )
        .join(users, users.c.id == messages.c.sender_id)
        .outerjoin(_parents, _parents.c.id == messages.c.reply_to_id)
        .outerjoin(_parent_senders, _parent_senders.c.id == _parents.c.sender_id)
    )


def key_match(columns: Sequence[ColumnElement[Any]], keys: Sequence[Sequence[Any]]) -> ColumnElement[bool]:
    """Rows whose `columns` equal one of `keys` (a value, or a bind parameter, per column).

    An OR of key lookups, which both databases answer from the key's index: SQLite answers
    `tuple_(...).in_(keys)`, its `IN (VALUES ...)`, with a scan of the whole table."""
    return or_(*(and_(*(column == value for column, value in zip(columns, key, strict=True))) for key in keys))


def like_pattern(text: str, prefix: bool = False) -> str:
    """A LIKE pattern (escape `\\`) for `text` as typed, lower-cased: anywhere, or at the start."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"
