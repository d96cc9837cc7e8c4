"""Sessions over real HTTP (SPEC §3): refresh rotation, reuse detection, logout, expiry, and a
password change that logs out every other session; access tokens end with their session."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import PASSWORD, LiveServer

NEW_PASSWORD = "a brand new passphrase"


async def login(live: LiveServer, username: str, password: str = PASSWORD) -> dict[str, Any]:
    assert live.http is not None
    response = await live.http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def refresh(live: LiveServer, refresh_token: str) -> httpx.Response:
    assert live.http is not None
    return await live.http.post("/api/auth/refresh", json={"refresh_token": refresh_token})


async def logout(live: LiveServer, refresh_token: str) -> httpx.Response:
    assert live.http is not None
    return await live.http.post("/api/auth/logout", json={"refresh_token": refresh_token})


async def me_status(live: LiveServer, access_token: str) -> int:
    assert live.http is not None
    response = await live.http.get("/api/users/me", headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


def sid_of(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def session_of(pair: dict[str, Any]) -> str:
    return sid_of(pair["access_token"])


class Revocations:
    """Records what `SessionService.on_revoked` is told, as the gateway will hear it."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, session_ids: Sequence[str]) -> None:
        self.calls.append(list(session_ids))


async def test_refresh_rotates_the_pair_and_the_session_stays(live: LiveServer) -> None:
    user = await live.user()
    first = await login(live, user.username)
    response = await refresh(live, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert second["refresh_token"] != first["refresh_token"]
    assert session_of(second) == session_of(first)
    assert await me_status(live, second["access_token"]) == 200
    assert await me_status(live, first["access_token"]) == 200  # still within its lifetime
    third = await refresh(live, second["refresh_token"])
    assert third.status_code == 200, third.text


async def test_a_used_refresh_token_revokes_the_whole_session(live: LiveServer) -> None:
    user = await live.user()
    revocations = Revocations()
    live.services.sessions.on_revoked = revocations
    stolen = await login(live, user.username)
    other_device = await login(live, user.username)
    rotated = (await refresh(live, stolen["refresh_token"])).json()

    replay = await refresh(live, stolen["refresh_token"])
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert revocations.calls == [[session_of(stolen)]]
    # Neither party keeps the session: the rotated pair is dead too, at once.
    assert (await refresh(live, rotated["refresh_token"])).status_code == 401
    assert await me_status(live, rotated["access_token"]) == 401
    assert await me_status(live, stolen["access_token"]) == 401
    # Another session of the same user is not touched.
    assert await me_status(live, other_device["access_token"]) == 200
    assert (await refresh(live, other_device["refresh_token"])).status_code == 200


async def test_concurrent_refreshes_with_one_token_rotate_once(live: LiveServer) -> None:
    user = await live.user()
    pair = await login(live, user.username)
    responses = await asyncio.gather(*(refresh(live, pair["refresh_token"]) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401, 401, 401], [r.text for r in responses]
    # The others were reuse: the one that won is revoked with its session.
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert (await refresh(live, winner["refresh_token"])).status_code == 401


@pytest.mark.parametrize("token", ["", "x" * 257])
async def test_malformed_refresh_bodies_are_422(live: LiveServer, token: str) -> None:
    assert (await refresh(live, token)).status_code == 422
    assert (await logout(live, token)).status_code == 422
    assert live.http is not None
    for body in ({}, {"refresh_token": 5}, {"refresh_token": "abc", "extra": 1}, []):
        assert (await live.http.post("/api/auth/refresh", json=body)).status_code == 422
        assert (await live.http.post("/api/auth/logout", json=body)).status_code == 422


async def test_an_unknown_refresh_token_is_401(live: LiveServer) -> None:
    response = await refresh(live, "never-issued-" + "a" * 40)
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid refresh token"}
    assert (await refresh(live, "nul\x00and\ud7ffodd")).status_code == 401


async def test_logout_ends_the_session_and_its_access_tokens(live: LiveServer) -> None:
    user = await live.user()
    revocations = Revocations()
    live.services.sessions.on_revoked = revocations
    pair = await login(live, user.username)
    kept = await login(live, user.username)
    response = await logout(live, pair["refresh_token"])
    assert response.status_code == 204 and response.content == b""
    assert revocations.calls == [[session_of(pair)]]
    assert await me_status(live, pair["access_token"]) == 401
    assert (await refresh(live, pair["refresh_token"])).status_code == 401
    assert not await live.services.sessions.is_active(session_of(pair))
    assert await me_status(live, kept["access_token"]) == 200
    # Logging out again, or with a token nobody issued, is a no-op.
    assert (await logout(live, pair["refresh_token"])).status_code == 204
    assert (await logout(live, "never-issued")).status_code == 204
    assert revocations.calls[-1] == [session_of(pair)] and len(revocations.calls) <= 2


async def test_logout_with_a_spent_refresh_token_still_ends_the_session(live: LiveServer) -> None:
    user = await live.user()
    pair = await login(live, user.username)
    rotated = (await refresh(live, pair["refresh_token"])).json()
    assert (await logout(live, pair["refresh_token"])).status_code == 204
    assert await me_status(live, rotated["access_token"]) == 401


async def test_password_change_logs_out_every_other_session(live: LiveServer) -> None:
    assert live.http is not None
    user = await live.user()
    revocations = Revocations()
    live.services.sessions.on_revoked = revocations
    here = await login(live, user.username)
    elsewhere = [await login(live, user.username) for _ in range(2)]
    headers = {"Authorization": f"Bearer {here['access_token']}"}

    wrong = await live.http.post(
        "/api/users/me/password",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "current password is incorrect"}
    assert all([await me_status(live, pair["access_token"]) == 200 for pair in elsewhere])

    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await live.http.post("/api/users/me/password", json=body, headers=headers)
    assert response.status_code == 204, response.text
    # The fixture's own session (live.user()) is one of the others too.
    assert sorted(revocations.calls[-1]) == sorted([session_of(p) for p in elsewhere] + [sid_of(user.token)])
    for pair in elsewhere:
        assert await me_status(live, pair["access_token"]) == 401
        assert (await refresh(live, pair["refresh_token"])).status_code == 401
    assert await me_status(live, user.token) == 401
    # This session lives on, and only the new password logs in.
    assert await me_status(live, here["access_token"]) == 200
    assert (await refresh(live, here["refresh_token"])).status_code == 200
    old = await live.http.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
    assert old.status_code == 401
    await login(live, user.username, NEW_PASSWORD)


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD},
        {"new_password": NEW_PASSWORD},
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": "", "new_password": NEW_PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "extra": True},
    ],
)
async def test_password_change_validates_its_body(live: LiveServer, body: dict[str, object]) -> None:
    assert live.http is not None
    user = await live.user()
    response = await live.http.post("/api/users/me/password", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    assert await me_status(live, user.token) == 200


async def test_password_change_needs_a_token(live: LiveServer) -> None:
    assert live.http is not None
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = await live.http.post("/api/users/me/password", json=body)
    assert response.status_code == 401


async def test_a_session_expires_refresh_token_ttl_after_its_last_use(start_server) -> None:  # type: ignore[no-untyped-def]
    live = await start_server(REFRESH_TOKEN_TTL=2)
    user = await live.user()
    idle = await login(live, user.username)
    used = await login(live, user.username)
    for _ in range(3):  # 3 s in all, more than the TTL, but never 2 s without use
        await asyncio.sleep(1)
        response = await refresh(live, used["refresh_token"])
        assert response.status_code == 200, response.text
        used = response.json()
    assert await me_status(live, used["access_token"]) == 200
    # The idle session ended although its access token has not expired yet.
    assert await me_status(live, idle["access_token"]) == 401
    response = await refresh(live, idle["refresh_token"])
    assert response.status_code == 401
    assert response.json() == {"detail": "session expired"}


async def test_is_active_refuses_what_is_not_a_live_session(live: LiveServer) -> None:
    sessions = live.services.sessions
    user = await live.user()
    sid = sid_of(user.token)
    assert await sessions.is_active(sid)
    for garbage in ("", "not-a-uuid", "00000000-0000-0000-0000-000000000000", sid.upper() + "0"):
        assert not await sessions.is_active(garbage)
