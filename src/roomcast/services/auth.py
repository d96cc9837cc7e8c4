"""Password hashing and access tokens."""

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


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    username: str
    expires_at: float


class TokenError(Unauthorized):
    pass


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret
        self._algorithm = settings.jwt_algorithm
        self.ttl = settings.access_token_ttl

    def issue(self, user_id: uuid.UUID, username: str) -> str:
        now = int(time.time())
        claims = {"sub": str(user_id), "name": username, "iat": now, "exp": now + self.ttl}
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": ["sub", "exp", "iat"]},
            )
            return TokenClaims(uuid.UUID(claims["sub"]), str(claims.get("name", "")), float(claims["exp"]))
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError):
            raise TokenError("invalid token") from None
