"""Login, registration, creation and search limits (SPEC §2, §7) on the shared `RateLimiter`, so that
every instance counts against the same sliding windows.

Both windows of an attempt are acquired before the password is checked, so that a client over
the limit is refused even with the right password, and an attempt that is not counted
(a success, an error of ours) gives its places back. A refused attempt takes none.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from roomcast.backends.base import RateDecision, RateLimiter
from roomcast.config import RateSpec, Settings
from roomcast.services.errors import DomainError, Forbidden, RateLimited, Unauthorized
from roomcast.services.messages import action_rate_key


class TooManyAttempts(RateLimited):
    """429 with `Retry-After`: the whole seconds until one more attempt would be allowed."""

    def __init__(self, decision: RateDecision, detail: str) -> None:
        super().__init__(decision)
        self.detail = detail


Held = list[tuple[str, str]]


class AttemptLimits:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self._limiter = limiter
        self._login = settings.login_rate
        self._register = settings.register_rate
        self._create = settings.create_rate
        self._action = settings.action_rate
        self._search = settings.search_rate

    @asynccontextmanager
    async def login(self, username: str, address: str) -> AsyncIterator[None]:
        """A password check: counted when it fails (Unauthorized, Forbidden), else given back."""
        held = await self._acquire(
            [(f"login:address:{address}", self._login), (f"login:user:{_name_key(username)}", self._login)],
            "Too many failed logins: try again later",
        )
        try:
            yield
        except (Unauthorized, Forbidden):
            raise
        except BaseException:
            await self._release(held)
            raise
        await self._release(held)

    @asynccontextmanager
    async def registration(self, address: str) -> AsyncIterator[None]:
        """A registration: counted when it creates an account or is refused by a rule (a taken
        name), given back only when it failed on our side."""
        held = await self._acquire(
            [(f"register:address:{address}", self._register)],
            "Too many registrations from this address: try again later",
        )
        try:
            yield
        except DomainError:
            raise
        except BaseException:
            await self._release(held)
            raise

    def creation(self, user_id: uuid.UUID) -> AbstractAsyncContextManager[None]:
        """A room or a direct message being created by the user: counted when it is created,
        given back when it is not (an unknown member, the other side created it first)."""
        return self._counted(f"create:user:{user_id}", self._create, "Too many rooms created: try again later")

    def room_change(self, user_id: uuid.UUID) -> AbstractAsyncContextManager[None]:
        """A change of a room's settings: one of the user's ACTION_RATE_LIMIT actions (it reaches
        every socket of the room), given back when it fails."""
        return self._counted(action_rate_key(user_id), self._action, "Too many changes: try again later")

    async def search(self, user_id: uuid.UUID) -> None:
        """A search: each costs the database more than a read, so each counts (SEARCH_RATE_LIMIT)."""
        await self._acquire([(f"search:user:{user_id}", self._search)], "Searching too often: try again shortly")

    @asynccontextmanager
    async def _counted(self, key: str, spec: RateSpec, detail: str) -> AsyncIterator[None]:
        held = await self._acquire([(key, spec)], detail)
        try:
            yield
        except BaseException:
            await self._release(held)
            raise

    async def _acquire(self, windows: list[tuple[str, RateSpec]], detail: str) -> Held:
        held: Held = []
        for key, spec in windows:
            decision = await self._limiter.acquire(key, spec.limit, spec.window)
            if not decision.allowed:
                await self._release(held)
                raise TooManyAttempts(decision, detail)
            held.append((key, decision.token))
        return held

    async def _release(self, held: Held) -> None:
        for key, token in held:
            await self._limiter.release(key, token)


def _name_key(username: str) -> str:
    # Bounded, printable keys whatever an unvalidated form field carries; the same for any case.
    return hashlib.sha256(username.lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
