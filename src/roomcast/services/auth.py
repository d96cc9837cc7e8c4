"""Password hashing and access tokens (SPEC §7: pinned algorithm, `iss`/`aud`, a capped lifetime)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from roomcast.config import Settings
from roomcast.services.errors import Unauthorized

# Verifying against this keeps an unknown username as slow as a wrong password.
_hasher = PasswordHash((Argon2Hasher(),))
_DUMMY_HASH = _hasher.hash("roomcast-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


ISSUER = "roomcast"
AUDIENCE = "roomcast"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "iat", "exp", "sid"]


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    username: str
    expires_at: float
    session_id: str


class TokenError(Unauthorized):
    pass


class TokenService:
    """Signs and checks access tokens. `decode` is a pure CPU check (no I/O): whether the
    token's session is still active is `SessionService.is_active`'s question."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._algorithms = [settings.jwt_algorithm]
        self.ttl = settings.access_token_ttl

    def issue(self, user_id: uuid.UUID, username: str, session_id: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "name": username,
            "sid": session_id,
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithms[0])

    def decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=self._algorithms,
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS},
            )
            issued_at, expires_at = int(claims["iat"]), int(claims["exp"])
            # Caps what anyone holding the secret can mint: no token outlives ACCESS_TOKEN_TTL.
            if expires_at - issued_at > self.ttl:
                raise TokenError("invalid token")
            session_id = claims["sid"]
            if not isinstance(session_id, str) or not session_id:
                raise TokenError("invalid token")
            return TokenClaims(uuid.UUID(claims["sub"]), str(claims.get("name", "")), float(expires_at), session_id)
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError, AttributeError, OverflowError):
            raise TokenError("invalid token") from None
