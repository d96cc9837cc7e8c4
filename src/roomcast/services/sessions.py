"""Sessions (SPEC §3): a sign-in that lasts REFRESH_TOKEN_TTL after its last use.

A session is renewed with rotating refresh tokens: each is opaque, random, usable once and
stored only as its SHA-256 hash (a fast hash suffices for 256 random bits). Presenting a used
one again means two parties hold the session's tokens, so the whole session is revoked.
Access tokens carry the session id (`sid`); `is_active` is what every door checks, so a
revoked or expired session's access tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.config import Settings
from roomcast.services.auth import TokenService
from roomcast.services.errors import Unauthorized
from roomcast.storage.models import AuthSession, RefreshToken, User, utcnow

log = logging.getLogger("roomcast.sessions")

sessions = AuthSession.__table__
refresh_tokens = RefreshToken.__table__
users = User.__table__

REFRESH_TOKEN_BYTES = 32
RevokedHook = Callable[[Sequence[str]], Awaitable[None]]

_ACTIVE = select(sessions.c.id).where(
    sessions.c.id == bindparam("session_id"),
    sessions.c.revoked_at.is_(None),
    sessions.c.last_used_at > bindparam("cutoff"),
)


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SessionService:
    """Starts, renews and ends sessions; `on_revoked` hears of every revocation once it is
    committed (the gateway closes those sessions' sockets with it, on every instance)."""

    def __init__(self, settings: Settings, engine: AsyncEngine, tokens: TokenService) -> None:
        self._engine = engine
        self._tokens = tokens
        self._ttl = timedelta(seconds=settings.refresh_token_ttl)
        self.on_revoked: RevokedHook | None = None

    async def is_active(self, session_id: str) -> bool:
        """Not revoked and used within REFRESH_TOKEN_TTL: one primary-key read."""
        try:
            key = uuid.UUID(session_id)
        except (ValueError, TypeError, AttributeError):
            return False
        async with self._engine.connect() as conn:
            row = (await conn.execute(_ACTIVE, {"session_id": key, "cutoff": utcnow() - self._ttl})).first()
        return row is not None

    async def do_start(self, user_id: uuid.UUID, username: str) -> IssuedTokens:
        """A new session for a user whose credentials were checked; its first pair of tokens."""
        now = utcnow()
        session_id = uuid.uuid4()
        refresh_token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        async with self._engine.begin() as conn:
            await self._prune(conn, user_id, now)
            await conn.execute(
                insert(sessions).values(id=session_id, user_id=user_id, created_at=now, last_used_at=now)
            )
            await conn.execute(
                insert(refresh_tokens).values(
                    token_hash=hash_refresh_token(refresh_token), session_id=session_id, created_at=now
                )
            )
        return self._issued(user_id, username, session_id, refresh_token)

    async def do_refresh(self, refresh_token: str) -> IssuedTokens:
        """Rotate: the presented token is spent and a new pair is issued; a spent one revokes."""
        digest = hash_refresh_token(refresh_token)
        now = utcnow()
        async with self._engine.begin() as conn:
            # Claim the token first: the write lock (row lock on PostgreSQL) makes two
            # concurrent refreshes with one token resolve as one rotation and one reuse.
            claimed = await conn.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.token_hash == digest, refresh_tokens.c.used_at.is_(None))
                .values(used_at=now)
            )
            query = (
                select(
                    sessions.c.id, sessions.c.user_id, sessions.c.last_used_at, sessions.c.revoked_at, users.c.username
                )
                .join(refresh_tokens, refresh_tokens.c.session_id == sessions.c.id)
                .join(users, users.c.id == sessions.c.user_id)
                .where(refresh_tokens.c.token_hash == digest)
            )
            row = (await conn.execute(query)).first()
            if row is None or row.revoked_at is not None:
                raise Unauthorized("invalid refresh token")
            if _as_utc(row.last_used_at) <= now - self._ttl:
                raise Unauthorized("session expired")
            issued: IssuedTokens | None = None
            if claimed.rowcount == 1:
                fresh = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
                await conn.execute(
                    insert(refresh_tokens).values(
                        token_hash=hash_refresh_token(fresh), session_id=row.id, created_at=now
                    )
                )
                await conn.execute(update(sessions).where(sessions.c.id == row.id).values(last_used_at=now))
                # Spent tokens are kept for reuse detection only as long as the session could last.
                await conn.execute(
                    delete(refresh_tokens).where(
                        refresh_tokens.c.session_id == row.id, refresh_tokens.c.used_at < now - self._ttl
                    )
                )
                issued = self._issued(row.user_id, row.username, row.id, fresh)
            else:
                await self._revoke(conn, [row.id], now)
        if issued is None:
            log.warning("refresh token reused: session revoked", extra={"session_id": str(row.id)})
            await self._announce([str(row.id)])
            raise Unauthorized("refresh token already used: the session is revoked")
        return issued

    async def do_logout(self, refresh_token: str) -> None:
        """End the session the token belongs to (a spent token of it too); unknown tokens: nothing."""
        digest = hash_refresh_token(refresh_token)
        now = utcnow()
        async with self._engine.begin() as conn:
            query = select(refresh_tokens.c.session_id).where(refresh_tokens.c.token_hash == digest)
            session_id = (await conn.execute(query)).scalar_one_or_none()
            revoked = await self._revoke(conn, [session_id], now) if session_id is not None else []
        await self._announce(revoked)

    async def do_revoke_others(self, user_id: uuid.UUID, keep: str) -> list[str]:
        """Revoke every session of the user but `keep` (after a password change)."""
        now = utcnow()
        try:
            kept: uuid.UUID | None = uuid.UUID(keep)
        except ValueError:
            kept = None
        async with self._engine.begin() as conn:
            query = select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
            if kept is not None:
                query = query.where(sessions.c.id != kept)
            ids = list((await conn.execute(query)).scalars())
            revoked = await self._revoke(conn, ids, now)
        await self._announce(revoked)
        return revoked

    def _issued(self, user_id: uuid.UUID, username: str, session_id: uuid.UUID, refresh_token: str) -> IssuedTokens:
        sid = str(session_id)
        access_token = self._tokens.issue(user_id, username, sid)
        return IssuedTokens(access_token, refresh_token, self._tokens.ttl, sid)

    async def _revoke(self, conn: AsyncConnection, ids: Sequence[uuid.UUID], now: datetime) -> list[str]:
        if ids:
            await conn.execute(
                update(sessions).where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None)).values(revoked_at=now)
            )
        return [str(session_id) for session_id in ids]

    async def _prune(self, conn: AsyncConnection, user_id: uuid.UUID, now: datetime) -> None:
        """Forget the user's sessions that ended (expired, or revoked and since expired)."""
        ended = select(sessions.c.id).where(sessions.c.user_id == user_id, sessions.c.last_used_at <= now - self._ttl)
        await conn.execute(delete(refresh_tokens).where(refresh_tokens.c.session_id.in_(ended)))
        await conn.execute(
            delete(sessions).where(sessions.c.user_id == user_id, sessions.c.last_used_at <= now - self._ttl)
        )

    async def _announce(self, revoked: Sequence[str]) -> None:
        if not revoked or self.on_revoked is None:
            return
        try:
            await self.on_revoked(revoked)
        except Exception:
            # The revocation is committed and every door already refuses the session; only
            # the closing of its live sockets failed here.
            log.exception("closing the sockets of revoked sessions failed")
