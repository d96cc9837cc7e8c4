"""Accounts as stored: the `UserStore` interface and its SQL implementation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.models import utcnow
from roomcast.storage.queries import like_pattern, users
from roomcast.storage.records import as_utc


class UsernameTaken(Exception):
    """Another account has this username, compared case-insensitively."""


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: uuid.UUID
    username: str
    display_name: str
    password_hash: str
    created_at: datetime


class UserStore(Protocol):
    """Accounts, found by id or by username (case-insensitively: `Alice` and `alice` are one).

    Usernames are unique case-insensitively, and the database settles races: of two concurrent
    `create`s of one name exactly one succeeds, the other raises UsernameTaken. What is missing
    is None or False, never an error. Datetimes are aware UTC.
    """

    async def create(self, username: str, display_name: str, password_hash: str) -> UserRecord: ...

    async def get(self, user_id: uuid.UUID) -> UserRecord | None: ...

    async def find(self, username: str) -> UserRecord | None: ...

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> bool:
        """Whether the user exists (and now has this hash)."""
        ...

    async def set_display_name(self, user_id: uuid.UUID, display_name: str) -> UserRecord | None:
        """The user with the new name (None when there is no such user)."""
        ...

    async def search(self, prefix: str, limit: int) -> list[UserRecord]:
        """Users whose username or display name starts with `prefix` as typed (case-insensitive),
        by username, at most `limit`."""
        ...


def user_record(row: Any) -> UserRecord:
    return UserRecord(row.id, row.username, row.display_name, row.password_hash, as_utc(row.created_at))


class SqlUserStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, username: str, display_name: str, password_hash: str) -> UserRecord:
        record = UserRecord(uuid.uuid4(), username, display_name, password_hash, utcnow())
        statement = users.insert().values(
            id=record.id,
            username=username,
            display_name=display_name,
            password_hash=password_hash,
            created_at=record.created_at,
        )
        try:
            async with self._engine.begin() as conn:
                await conn.execute(statement)
        except IntegrityError:
            raise UsernameTaken(username) from None
        return record

    async def get(self, user_id: uuid.UUID) -> UserRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == user_id))).one_or_none()
        return None if row is None else user_record(row)

    async def find(self, username: str) -> UserRecord | None:
        query = select(users).where(func.lower(users.c.username) == username.lower())
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else user_record(row)

    async def set_display_name(self, user_id: uuid.UUID, display_name: str) -> UserRecord | None:
        statement = update(users).where(users.c.id == user_id).values(display_name=display_name)
        async with self._engine.begin() as conn:
            if (await conn.execute(statement)).rowcount == 0:
                return None
        return await self.get(user_id)

    async def search(self, prefix: str, limit: int) -> list[UserRecord]:
        pattern = like_pattern(prefix, prefix=True)
        query = (
            select(users)
            .where(
                or_(
                    func.lower(users.c.username).like(pattern, escape="\\"),
                    func.lower(users.c.display_name).like(pattern, escape="\\"),
                )
            )
            .order_by(func.lower(users.c.username))
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [user_record(row) for row in await conn.execute(query)]

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> bool:
        statement = update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).rowcount > 0
