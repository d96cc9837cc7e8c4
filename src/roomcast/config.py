"""Settings: every variable of SPEC §2, read once (environment and `.env`) and passed down."""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger("roomcast.config")

SECRET_FILE = Path(".roomcast-secret")
SUPPORTED_DATABASES = ("sqlite+aiosqlite", "postgresql+asyncpg")
SECRET_SETTINGS = frozenset({"JWT_SECRET"})
URL_SETTINGS = frozenset({"DATABASE_URL", "REDIS_URL"})
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***, for messages and logs."""
    return _URL_PASSWORD.sub(r"\1***@", url)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///./roomcast.db"
    redis_url: str = ""
    jwt_secret: str = Field(default="", repr=False)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_ttl: int = Field(default=3600, gt=0)
    message_rate_limit: int = Field(default=10, gt=0)
    rate_limit_window: int = Field(default=60, gt=0)
    cache_ttl: int = Field(default=600, gt=0)
    cache_size: int = Field(default=50, gt=0, le=1000)
    typing_timeout: float = Field(default=5, gt=0)
    max_message_length: int = Field(default=4000, gt=0)
    send_queue_limit: int = Field(default=1000, gt=0)
    web_dist: str = ""

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError("cannot parse database URL") from exc
        if url.drivername not in SUPPORTED_DATABASES:
            raise ValueError(
                f"unsupported database driver {url.drivername!r}; use one of " + ", ".join(SUPPORTED_DATABASES)
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.redis_url and not self.jwt_secret:
            raise ValueError("JWT_SECRET must be set when REDIS_URL is set: every instance has to share it")
        if self.jwt_secret and len(self.jwt_secret) < 16:
            raise ValueError("JWT_SECRET must be at least 16 characters")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def scaled(self) -> bool:
        return bool(self.redis_url)


class ConfigError(Exception):
    """A setting is missing or invalid; the message is meant for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one readable message per bad value."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            # Echo the bad value, but never a secret, nor the whole input of a cross-field check.
            value = error.get("input")
            if name in URL_SETTINGS and isinstance(value, str):
                value = redact_url(value)
            shown = "" if not name or name in SECRET_SETTINGS else f" (got {value!r})"
            problems.append(f"{name or 'settings'}: {message}{shown}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    if not settings.jwt_secret:
        settings = settings.model_copy(update={"jwt_secret": _embedded_secret()})
    return settings


def _embedded_secret() -> str:
    """Embedded mode keeps a generated secret in a local file so tokens survive restarts."""
    path = Path(os.environ.get("ROOMCAST_SECRET_FILE", SECRET_FILE))
    if path.exists():
        secret = path.read_text().strip()
        if secret:
            return secret
    secret = secrets.token_urlsafe(48)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    log.warning("JWT_SECRET is not set: generated one and stored it in %s", path.resolve())
    return secret
