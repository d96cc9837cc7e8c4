"""Access tokens: obtained (login, given, or from a provider), renewed before they expire.

Renewal uses what the client was given, in this order: the refresh token of a login
(`POST /api/auth/refresh`, which rotates it), the password (a new login), the token provider.
A bare token cannot be renewed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson

from roomcast.client.errors import AuthenticationFailed, ConnectionFailed, RateLimited

TokenProvider = Callable[[], Awaitable[str]]
# Renew when this share of the token's life is left, but at least a minute early when it lives long.
RENEW_SHARE = 0.25
RENEW_EARLY_MAX = 60.0


def token_lifetime(token: str) -> float | None:
    """Seconds the token has left by its own `exp` and `iat` claims (read, not verified: the
    server verifies), measured on neither clock alone: min(exp - iat, exp - now)."""
    try:
        payload = token.split(".")[1]
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = float(claims["exp"])
        iat = float(claims.get("iat", exp))
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error, orjson.JSONDecodeError):
        return None
    lifetime = exp - iat if exp > iat else exp - time.time()
    return max(0.0, min(lifetime, exp - time.time()))


def check_response(response: httpx.Response) -> Any:
    """The JSON body of a successful answer; 401 and 429 as the exceptions they mean."""
    if response.status_code == 429:
        retry_after = float(response.headers.get("retry-after") or 1)
        raise RateLimited(retry_after, _detail(response))
    if response.status_code == 401:
        raise AuthenticationFailed(_detail(response))
    if response.status_code >= 400:
        raise ConnectionFailed(f"{response.request.method} {response.request.url.path}: {_detail(response)}")
    return response.json() if response.content else None


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail or f"HTTP {response.status_code}")


class Tokens:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
    ) -> None:
        if token is None and token_provider is None and (username is None or password is None):
            raise ValueError("give username and password, token, or token_provider")
        self._http = http
        self._username = username
        self._password = password
        self._provider = token_provider
        self._access = token
        self._refresh: str | None = None
        self._renew_at: float | None = None  # time.monotonic() when the token should be renewed
        # One renewal at a time: a refresh token is single use, and presenting it twice ends the session.
        self._renewing = asyncio.Lock()
        if token is not None:
            self._schedule(token_lifetime(token))

    @property
    def can_renew(self) -> bool:
        return self._refresh is not None or self._password is not None or self._provider is not None

    @property
    def renew_in(self) -> float | None:
        """Seconds until the current token should be renewed (None: it cannot be, or needs not)."""
        if self._renew_at is None or not self.can_renew:
            return None
        return max(0.0, self._renew_at - time.monotonic())

    async def current(self) -> str:
        if self._access is None:
            await self.renew()
        assert self._access is not None
        return self._access

    async def renew(self, stale: str | None = None) -> str:
        """A new access token; AuthenticationFailed if there is no way to get one. With `stale`
        (the token found wanting), a renewal made meanwhile by another caller is enough."""
        async with self._renewing:
            if stale is not None and self._access is not None and self._access != stale:
                return self._access
            return await self._renew()

    async def _renew(self) -> str:
        if self._refresh is not None:
            try:
                return await self._accept(await self._post("/api/auth/refresh", {"refresh_token": self._refresh}))
            except AuthenticationFailed:
                self._refresh = None  # rotated away or revoked: log in again, if we can
        if self._password is not None and self._username is not None:
            body = {"username": self._username, "password": self._password}
            return await self._accept(await self._post("/api/auth/login", body))
        if self._provider is not None:
            token = await self._provider()
            self._access = token
            self._schedule(token_lifetime(token))
            return token
        raise AuthenticationFailed("the token cannot be renewed (no refresh token, password or token_provider)")

    async def logout(self) -> None:
        """End the session of the login, if this client made one."""
        if self._refresh is not None:
            refresh, self._refresh = self._refresh, None
            with contextlib.suppress(httpx.HTTPError):
                await self._http.post("/api/auth/logout", json={"refresh_token": refresh})

    async def _post(self, path: str, body: dict[str, str]) -> Any:
        try:
            response = await self._http.post(path, json=body)
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{path}: {exc!r}") from exc
        return check_response(response)

    async def _accept(self, body: dict[str, Any]) -> str:
        token = str(body["access_token"])
        self._access = token
        self._refresh = body.get("refresh_token") or self._refresh
        # The token's own claims first: `expires_in` counts from a whole-second `iat`, up to a
        # second before the answer arrived.
        lifetime = token_lifetime(token)
        expires_in = body.get("expires_in")
        if lifetime is None and expires_in is not None:
            lifetime = float(expires_in)
        self._schedule(lifetime)
        return token

    def _schedule(self, lifetime: float | None) -> None:
        if lifetime is None:
            self._renew_at = None
            return
        # A short-lived token is renewed halfway (up to 5 s early): a second of truncation or
        # of a busy loop must not let it lapse.
        early = min(RENEW_EARLY_MAX, max(lifetime * RENEW_SHARE, min(lifetime / 2, 5.0)))
        self._renew_at = time.monotonic() + max(0.0, lifetime - early)
