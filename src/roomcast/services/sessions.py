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
from datetime import timedelta

from roomcast.config import Settings
from roomcast.services.auth import TokenService
from roomcast.services.errors import Unauthorized
from roomcast.storage.models import utcnow
from roomcast.storage.sessions import Rejected, Reused, SessionStore

log = logging.getLogger("roomcast.sessions")

REFRESH_TOKEN_BYTES = 32
RevokedHook = Callable[[Sequence[str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SessionService:
    """Starts, renews and ends sessions; `on_revoked` hears of every revocation once it is
    committed (the gateway closes those sessions' sockets with it, on every instance)."""

    def __init__(self, settings: Settings, store: SessionStore, tokens: TokenService) -> None:
        self._store = store
        self._tokens = tokens
        self._ttl = timedelta(seconds=settings.refresh_token_ttl)
        self.on_revoked: RevokedHook | None = None

    async def is_active(self, session_id: str) -> bool:
        """Not revoked and used within REFRESH_TOKEN_TTL: one primary-key read."""
        try:
            key = uuid.UUID(session_id)
        except (ValueError, TypeError, AttributeError):
            return False
        return await self._store.is_active(key, utcnow() - self._ttl)

    async def do_start(self, user_id: uuid.UUID, username: str) -> IssuedTokens:
        """A new session for a user whose credentials were checked; its first pair of tokens."""
        now = utcnow()
        session_id = uuid.uuid4()
        refresh_token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        await self._store.start(user_id, session_id, hash_refresh_token(refresh_token), now, now - self._ttl)
        return self._issued(user_id, username, session_id, refresh_token)

    async def do_refresh(self, refresh_token: str) -> IssuedTokens:
        """Rotate: the presented token is spent and a new pair is issued; a spent one revokes."""
        now = utcnow()
        fresh = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
        refresh = await self._store.refresh(
            hash_refresh_token(refresh_token), hash_refresh_token(fresh), now, now - self._ttl
        )
        if isinstance(refresh, Rejected):
            raise Unauthorized("invalid refresh token" if refresh.reason == "unknown" else "session expired")
        if isinstance(refresh, Reused):
            log.warning("refresh token reused: session revoked", extra={"session_id": str(refresh.session_id)})
            await self._announce([str(refresh.session_id)])
            raise Unauthorized("refresh token already used: the session is revoked")
        return self._issued(refresh.user_id, refresh.username, refresh.session_id, fresh)

    async def do_logout(self, refresh_token: str) -> None:
        """End the session the token belongs to (a spent token of it too); unknown tokens: nothing."""
        revoked = await self._store.revoke_by_token(hash_refresh_token(refresh_token), utcnow())
        await self._announce([str(session_id) for session_id in revoked])

    async def do_revoke_others(self, user_id: uuid.UUID, keep: str) -> list[str]:
        """Revoke every session of the user but `keep` (after a password change)."""
        try:
            kept: uuid.UUID | None = uuid.UUID(keep)
        except ValueError:
            kept = None
        revoked = [str(session_id) for session_id in await self._store.revoke_others(user_id, kept, utcnow())]
        await self._announce(revoked)
        return revoked

    def _issued(self, user_id: uuid.UUID, username: str, session_id: uuid.UUID, refresh_token: str) -> IssuedTokens:
        sid = str(session_id)
        access_token = self._tokens.issue(user_id, username, sid)
        return IssuedTokens(access_token, refresh_token, self._tokens.ttl, sid)

    async def _announce(self, revoked: Sequence[str]) -> None:
        if not revoked or self.on_revoked is None:
            return
        try:
            await self.on_revoked(revoked)
        except Exception:
            # The revocation is committed and every door already refuses the session; only
            # the closing of its live sockets failed here.
            log.exception("closing the sockets of revoked sessions failed")
