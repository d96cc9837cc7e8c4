"""Sign-in sessions and their refresh tokens as stored: the `SessionStore` interface and its SQL
implementation. Tokens are known only by their hash; the caller hashes them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.storage.models import AuthSession, RefreshToken, User
from roomcast.storage.records import as_utc

sessions = AuthSession.__table__
refresh_tokens = RefreshToken.__table__
users = User.__table__


@dataclass(frozen=True, slots=True)
class Rotated:
    """The presented token is spent, the fresh one replaces it, the session was used now."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    username: str


@dataclass(frozen=True, slots=True)
class Reused:
    """The presented token was spent already: the session is now revoked."""

    session_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Rejected:
    """Nothing changed: no such token, its session is revoked (`unknown`), or it ended (`expired`)."""

    reason: Literal["unknown", "expired"]


Refresh = Rotated | Reused | Rejected


class SessionStore(Protocol):
    """Sign-in sessions and their refresh tokens. A session is active until it is revoked or
    its last use is at or before the `cutoff` the caller passes (now less the session lifetime).

    Each call is one transaction. A refresh token is spent at most once: of concurrent
    `refresh`es with one token exactly one is Rotated; any other is Reused, which revokes the
    session, or Rejected once it is revoked. A Rejected refresh changes nothing. Revoking is
    idempotent (`revoked_at` keeps its first value). Spent tokens are kept while their session
    could still be active, so that their reuse is recognised.
    """

    async def is_active(self, session_id: uuid.UUID, cutoff: datetime) -> bool:
        """Not revoked, and last used after `cutoff`."""
        ...

    async def start(
        self, user_id: uuid.UUID, session_id: uuid.UUID, token_hash: str, now: datetime, cutoff: datetime
    ) -> None:
        """A new session whose current token is `token_hash`; the user's sessions that ended
        by `cutoff` are forgotten with their tokens."""
        ...

    async def refresh(self, token_hash: str, fresh_hash: str, now: datetime, cutoff: datetime) -> Refresh:
        """Spend `token_hash` for `fresh_hash`: Rotated, Reused (and revoked) or Rejected."""
        ...

    async def revoke_by_token(self, token_hash: str, now: datetime) -> list[uuid.UUID]:
        """Revoke the session a token (current or spent) belongs to: its id, or [] for an unknown token."""
        ...

    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID | None, now: datetime) -> list[uuid.UUID]:
        """Revoke the user's unrevoked sessions but `keep`: their ids."""
        ...


class _RolledBack(Exception):
    def __init__(self, rejected: Rejected) -> None:
        self.rejected = rejected


async def _revoke(conn: AsyncConnection, ids: Sequence[uuid.UUID], now: datetime) -> None:
    if ids:
        await conn.execute(
            update(sessions).where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None)).values(revoked_at=now)
        )


class SqlSessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def is_active(self, session_id: uuid.UUID, cutoff: datetime) -> bool:
        query = select(sessions.c.id).where(
            sessions.c.id == session_id, sessions.c.revoked_at.is_(None), sessions.c.last_used_at > cutoff
        )
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def start(
        self, user_id: uuid.UUID, session_id: uuid.UUID, token_hash: str, now: datetime, cutoff: datetime
    ) -> None:
        ended = select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.last_used_at <= cutoff)
        async with self._engine.begin() as conn:
            await conn.execute(delete(refresh_tokens).where(refresh_tokens.c.session_id.in_(ended)))
            await conn.execute(delete(sessions).where(sessions.c.user_id == user_id, sessions.c.last_used_at <= cutoff))
            await conn.execute(
                insert(sessions).values(id=session_id, user_id=user_id, created_at=now, last_used_at=now)
            )
            await conn.execute(
                insert(refresh_tokens).values(token_hash=token_hash, session_id=session_id, created_at=now)
            )

    async def refresh(self, token_hash: str, fresh_hash: str, now: datetime, cutoff: datetime) -> Refresh:
        try:
            async with self._engine.begin() as conn:
                return await self._refresh(conn, token_hash, fresh_hash, now, cutoff)
        except _RolledBack as rolled_back:
            return rolled_back.rejected

    @staticmethod
    async def _refresh(
        conn: AsyncConnection, token_hash: str, fresh_hash: str, now: datetime, cutoff: datetime
    ) -> Refresh:
        # Claim the token first: the write lock (row lock on PostgreSQL) makes two concurrent
        # refreshes with one token resolve as one rotation and one reuse.
        claimed = await conn.execute(
            update(refresh_tokens)
            .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.used_at.is_(None))
            .values(used_at=now)
        )
        query = (
            select(sessions.c.id, sessions.c.user_id, sessions.c.last_used_at, sessions.c.revoked_at, users.c.username)
            .join(refresh_tokens, refresh_tokens.c.session_id == sessions.c.id)
            .join(users, users.c.id == sessions.c.user_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
        row = (await conn.execute(query)).first()
        if row is None or row.revoked_at is not None:
            raise _RolledBack(Rejected("unknown"))
        if as_utc(row.last_used_at) <= cutoff:
            raise _RolledBack(Rejected("expired"))
        if claimed.rowcount != 1:
            await _revoke(conn, [row.id], now)
            return Reused(row.id)
        await conn.execute(insert(refresh_tokens).values(token_hash=fresh_hash, session_id=row.id, created_at=now))
        await conn.execute(update(sessions).where(sessions.c.id == row.id).values(last_used_at=now))
        await conn.execute(
            delete(refresh_tokens).where(refresh_tokens.c.session_id == row.id, refresh_tokens.c.used_at < cutoff)
        )
        return Rotated(row.id, row.user_id, row.username)

    async def revoke_by_token(self, token_hash: str, now: datetime) -> list[uuid.UUID]:
        query = select(refresh_tokens.c.session_id).where(refresh_tokens.c.token_hash == token_hash)
        async with self._engine.begin() as conn:
            session_id = (await conn.execute(query)).scalar_one_or_none()
            ids = [] if session_id is None else [session_id]
            await _revoke(conn, ids, now)
        return ids

    async def revoke_others(self, user_id: uuid.UUID, keep: uuid.UUID | None, now: datetime) -> list[uuid.UUID]:
        query = select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
        if keep is not None:
            query = query.where(sessions.c.id != keep)
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(query)).scalars())
            await _revoke(conn, ids, now)
        return ids
