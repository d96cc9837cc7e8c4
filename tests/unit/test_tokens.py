"""Access tokens (SPEC §7): issuer and audience checked, lifetime capped, algorithm pinned."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import orjson
import pytest

from roomcast.config import load_settings
from roomcast.services.auth import TokenError, TokenService

SECRET = "unit-test-secret-0123456789abcdef-xyz"
USER = uuid.uuid4()
SESSION = str(uuid.uuid4())


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(load_settings(jwt_secret=SECRET, access_token_ttl=600, database_url="sqlite+aiosqlite://"))


def claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": "roomcast",
        "aud": "roomcast",
        "sub": str(USER),
        "name": "alice",
        "sid": SESSION,
        "iat": now,
        "exp": now + 600,
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def sign(payload: dict[str, object], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, secret, algorithm=algorithm)


def refused(tokens: TokenService, token: str) -> str:
    with pytest.raises(TokenError) as caught:
        tokens.decode(token)
    return caught.value.detail


def test_issued_token_carries_every_claim_and_decodes(tokens: TokenService) -> None:
    token = tokens.issue(USER, "alice", SESSION)
    raw = jwt.decode(token, SECRET, algorithms=["HS256"], audience="roomcast")
    assert raw["iss"] == raw["aud"] == "roomcast"
    assert raw["sub"] == str(USER) and raw["name"] == "alice" and raw["sid"] == SESSION
    assert raw["exp"] - raw["iat"] == 600
    decoded = tokens.decode(token)
    assert (decoded.user_id, decoded.username, decoded.session_id) == (USER, "alice", SESSION)
    assert decoded.expires_at == raw["exp"]


def test_a_hundred_year_token_signed_with_the_secret_is_refused(tokens: TokenService) -> None:
    now = int(time.time())
    assert refused(tokens, sign(claims(iat=now, exp=now + 100 * 365 * 86400))) == "invalid token"
    # One second over the configured lifetime is enough; exactly the lifetime is fine.
    assert refused(tokens, sign(claims(iat=now, exp=now + 601))) == "invalid token"
    assert tokens.decode(sign(claims(iat=now, exp=now + 600))).session_id == SESSION


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": None},
        {"iss": "someone-else"},
        {"aud": None},
        {"aud": "another-service"},
        {"sid": None},
        {"sid": ""},
        {"sid": 42},
        {"sub": None},
        {"sub": "not-a-uuid"},
        {"iat": None},
        {"exp": None},
        {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 3900},  # issued in the future
    ],
)
def test_missing_or_wrong_claims_are_refused(tokens: TokenService, changes: dict[str, object]) -> None:
    assert refused(tokens, sign(claims(**changes))) == "invalid token"


def test_another_secret_or_algorithm_is_refused(tokens: TokenService) -> None:
    assert refused(tokens, sign(claims(), secret="another-secret-0123456789abcdef-xyz")) == "invalid token"
    assert refused(tokens, sign(claims(), secret=SECRET * 2, algorithm="HS512")) == "invalid token"


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(tokens: TokenService, alg: str) -> None:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    token = f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims())}."
    assert refused(tokens, token) == "invalid token"


def test_expired_token_says_so(tokens: TokenService) -> None:
    old = int(time.time()) - 7200
    assert refused(tokens, sign(claims(iat=old, exp=old + 600))) == "token expired"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "...."])
def test_garbage_is_refused(tokens: TokenService, token: str) -> None:
    assert refused(tokens, token) == "invalid token"
