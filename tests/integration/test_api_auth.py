"""Accounts and tokens over real HTTP: registration, login, the OAuth2 form, token checks.

Sessions (refresh, logout, password change) are in test_sessions.py, the login and
registration limits in test_auth_limits.py.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid

import jwt
import orjson
import pytest

from tests.conftest import PASSWORD, TEST_SECRET, LiveServer


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


def claims_for(user_id: str, username: str, session_id: str = "", **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims = {"iss": "roomcast", "aud": "roomcast", "sub": user_id, "name": username, "iat": now, "exp": now + 600}
    merged = claims | {"sid": session_id or str(uuid.uuid4())} | changes
    return {k: v for k, v in merged.items() if v is not None}  # None: leave the claim out


def session_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


async def register(live: LiveServer, username: str, password: str = PASSWORD, **extra: object):
    assert live.http is not None
    return await live.http.post("/api/auth/register", json={"username": username, "password": password} | extra)


async def me(live: LiveServer, token: str):
    assert live.http is not None
    return await live.http.get("/api/users/me", headers={"Authorization": f"Bearer {token}"})


async def test_register_returns_the_user_without_secrets(live: LiveServer) -> None:
    response = await register(live, "alice.smith-1", display_name="Alice")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "username", "display_name", "created_at"}
    assert body["username"] == "alice.smith-1"
    assert body["display_name"] == "Alice"
    uuid.UUID(body["id"])
    assert body["created_at"].endswith("Z")
    assert PASSWORD not in response.text and "argon2" not in response.text


async def test_display_name_defaults_to_username(live: LiveServer) -> None:
    response = await register(live, "bob_42")
    assert response.status_code == 201
    assert response.json()["display_name"] == "bob_42"


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "has space", "émile", "semi;colon", "tab\tname", "new\nline", "abc\n", "", "a/b"],
)
async def test_register_rejects_bad_usernames(live: LiveServer, username: str) -> None:
    response = await register(live, username)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    "name",
    ["evil\u202egnp.exe", "\u2066isolate", "rtl\u200fmark", "bell\x07", "esc\x1b[31m", "c1\x85", "line\u2028sep"],
)
async def test_names_refuse_control_and_bidi_override_characters(live: LiveServer, name: str) -> None:
    as_username = await register(live, name)
    assert as_username.status_code == 422, as_username.text
    as_display_name = await register(live, "spoof_target", display_name=name)
    assert as_display_name.status_code == 422, as_display_name.text
    detail = as_display_name.json()["detail"]
    assert "display_name" in detail and "bidirectional" in detail
    assert (await register(live, "spoof_target", display_name="Zoë 🌍 Ünïcødé")).status_code == 201


@pytest.mark.parametrize("username", ["abc", "a" * 32, "A.b-c_9", "..."])
async def test_register_accepts_the_whole_charset_and_length_range(live: LiveServer, username: str) -> None:
    assert (await register(live, username)).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"username": "carol"},
        {"password": PASSWORD},
        {"username": "carol", "password": "short7!"},
        {"username": "carol", "password": PASSWORD, "display_name": ""},
        {"username": "carol", "password": PASSWORD, "display_name": "x" * 65},
        {"username": "carol", "password": PASSWORD, "is_admin": True},
        {"username": 123, "password": PASSWORD},
        {"username": "carol", "password": 12345678},
    ],
)
async def test_register_rejects_bad_bodies(live: LiveServer, body: dict[str, object]) -> None:
    assert live.http is not None
    response = await live.http.post("/api/auth/register", json=body)
    assert response.status_code == 422, response.text


async def test_register_rejects_non_json(live: LiveServer) -> None:
    assert live.http is not None
    response = await live.http.post(
        "/api/auth/register", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    response = await live.http.post("/api/auth/register", content=b"[]")
    assert response.status_code == 422


async def test_password_of_exactly_eight_characters_is_enough(live: LiveServer) -> None:
    assert (await register(live, "dave", password="12345678")).status_code == 201


async def test_duplicate_username_is_409_also_in_another_case(live: LiveServer) -> None:
    assert (await register(live, "Erin")).status_code == 201
    for name in ("Erin", "erin", "ERIN"):
        response = await register(live, name)
        assert response.status_code == 409, response.text
        assert response.json() == {"detail": "username already taken"}


async def test_login_returns_a_working_bearer_token(live: LiveServer) -> None:
    assert live.http is not None
    created = (await register(live, "frank")).json()
    response = await live.http.post("/api/auth/login", json={"username": "frank", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert len(body["refresh_token"]) >= 43  # 32 random bytes, base64url
    claims = jwt.decode(body["access_token"], TEST_SECRET, algorithms=["HS256"], audience="roomcast")
    assert claims["sub"] == created["id"]
    assert claims["iss"] == "roomcast" and claims["name"] == "frank"
    assert claims["exp"] - claims["iat"] == 3600
    assert await live.services.sessions.is_active(claims["sid"])
    profile = await me(live, body["access_token"])
    assert profile.status_code == 200
    assert profile.json() == created


async def test_login_is_case_insensitive_on_the_username(live: LiveServer) -> None:
    assert live.http is not None
    await register(live, "Grace")
    response = await live.http.post("/api/auth/login", json={"username": "grace", "password": PASSWORD})
    assert response.status_code == 200


async def test_wrong_user_and_wrong_password_answer_the_same_401(live: LiveServer) -> None:
    assert live.http is not None
    await register(live, "heidi")
    wrong_password = await live.http.post("/api/auth/login", json={"username": "heidi", "password": "not the password"})
    wrong_user = await live.http.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong_password.status_code == wrong_user.status_code == 401
    assert wrong_password.json() == wrong_user.json() == {"detail": "Incorrect username or password"}
    assert wrong_password.headers.get("www-authenticate") == wrong_user.headers.get("www-authenticate")


@pytest.mark.parametrize("body", [{}, {"username": "x"}, {"username": "", "password": ""}, []])
async def test_login_with_a_malformed_body_is_422(live: LiveServer, body: object) -> None:
    assert live.http is not None
    assert (await live.http.post("/api/auth/login", json=body)).status_code == 422


async def test_oauth2_token_form(live: LiveServer) -> None:
    assert live.http is not None
    created = (await register(live, "ivan")).json()
    response = await live.http.post("/api/auth/token", data={"username": "ivan", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert (await me(live, body["access_token"])).json()["id"] == created["id"]
    bad = await live.http.post("/api/auth/token", data={"username": "ivan", "password": "wrong password"})
    assert bad.status_code == 401
    assert bad.json() == {"detail": "Incorrect username or password"}
    missing = await live.http.post("/api/auth/token", data={"username": "ivan"})
    assert missing.status_code == 422
    as_json = await live.http.post("/api/auth/token", json={"username": "ivan", "password": PASSWORD})
    assert as_json.status_code == 422


async def test_protected_endpoints_need_a_token(live: LiveServer) -> None:
    assert live.http is not None
    for method, path in [
        ("GET", "/api/users/me"),
        ("GET", "/api/rooms"),
        ("POST", "/api/rooms"),
        ("GET", "/api/rooms/public"),
        ("GET", f"/api/rooms/{uuid.uuid4()}"),
        ("GET", f"/api/rooms/{uuid.uuid4()}/messages"),
        ("GET", "/api/notifications"),
        ("POST", "/api/notifications/read-all"),
    ]:
        response = await live.http.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"detail": "Not authenticated"}
        assert response.headers["www-authenticate"] == "Bearer"
    basic = await live.http.get("/api/users/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


async def test_expired_token_is_401(live: LiveServer) -> None:
    user = await live.user()
    old = int(time.time()) - 7200
    claims = claims_for(user.id, user.username, session_of(user.token), iat=old, exp=old + 3600)
    token = jwt.encode(claims, TEST_SECRET, "HS256")
    response = await me(live, token)
    assert response.status_code == 401
    assert response.json() == {"detail": "token expired"}


async def test_token_expires_after_access_token_ttl(start_server) -> None:  # type: ignore[no-untyped-def]
    server = await start_server(ACCESS_TOKEN_TTL=1)
    user = await server.user(via_login=True)
    assert (await me(server, user.token)).status_code == 200
    await asyncio.sleep(2.1)
    response = await me(server, user.token)
    assert response.status_code == 401
    assert response.json() == {"detail": "token expired"}


async def test_tampered_tokens_are_401(live: LiveServer) -> None:
    user = await live.user()
    other = await live.user()
    header, payload, signature = user.token.split(".")
    forged_payload = b64(claims_for(other.id, other.username, session_of(other.token)))
    sid = session_of(user.token)
    now = int(time.time())
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    candidates = [
        f"{header}.{forged_payload}.{signature}",  # someone else's id under my signature
        f"{header}.{payload}.{flipped}",
        f"{header}.{payload}.",
        f"{header}.{payload}",
        jwt.encode(claims_for(user.id, user.username, sid), "another-secret-of-sufficient-size", "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid), TEST_SECRET * 2, "HS512"),  # not the configured alg
        jwt.encode(claims_for("not-a-uuid", user.username, sid), TEST_SECRET, "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid, exp=None), TEST_SECRET, "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid, iat=None), TEST_SECRET, "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid, iss=None), TEST_SECRET, "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid, aud="elsewhere"), TEST_SECRET, "HS256"),
        jwt.encode(claims_for(user.id, user.username, sid, sid=None), TEST_SECRET, "HS256"),
        # Signed with the secret, valid in every other way, but living a hundred years.
        jwt.encode(claims_for(user.id, user.username, sid, exp=now + 100 * 365 * 86400), TEST_SECRET, "HS256"),
        # Well signed, but its session was never started.
        jwt.encode(claims_for(user.id, user.username), TEST_SECRET, "HS256"),
        "garbage",
    ]
    for token in candidates:
        response = await me(live, token)
        assert response.status_code == 401, (token, response.text)
    assert (await me(live, user.token)).status_code == 200


async def test_alg_none_is_refused(live: LiveServer) -> None:
    user = await live.user()
    for alg in ("none", "None", "NONE"):
        token = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims_for(user.id, user.username))}."
        response = await me(live, token)
        assert response.status_code == 401, alg
        assert response.json() == {"detail": "invalid token"}


async def test_token_of_an_unknown_user_is_401_everywhere(live: LiveServer) -> None:
    """A well-signed token whose user does not exist (e.g. the database was reset) is not a 500."""
    assert live.http is not None
    ghost_token = live.services.tokens.issue(uuid.uuid4(), "ghost", str(uuid.uuid4()))
    ghost = {"Authorization": f"Bearer {ghost_token}"}
    owner = await live.user()
    room = await live.room(owner)
    for method, path, body in [
        ("GET", "/api/users/me", None),
        ("POST", "/api/rooms", {"name": "haunted"}),
        ("POST", f"/api/rooms/{room['id']}/join", None),
        ("GET", "/api/rooms", None),
        ("GET", "/api/notifications", None),
    ]:
        response = await live.http.request(method, path, json=body, headers=ghost)
        assert response.status_code == 401, (method, path, response.text)
