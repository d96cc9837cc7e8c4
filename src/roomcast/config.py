"""Settings: every variable of SPEC §2, read once (environment and `.env`) and passed down."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

log = logging.getLogger("roomcast.config")

SECRET_FILE_NAME = ".roomcast-secret"
MIN_SECRET_BYTES = 32
SUPPORTED_DATABASES = ("sqlite+aiosqlite", "postgresql+asyncpg")
SECRET_SETTINGS = frozenset({"JWT_SECRET"})
URL_SETTINGS = frozenset({"DATABASE_URL", "REDIS_URL"})
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


class RateSpec(NamedTuple):
    """`N/S`: at most `limit` events in any sliding window of `window` seconds."""

    limit: int
    window: int

    @classmethod
    def parse(cls, value: object) -> RateSpec:
        count, slash, seconds = str(value).strip().partition("/")
        if not slash or not count.strip().isdigit() or not seconds.strip().isdigit():
            raise ValueError("must look like N/S: N events per sliding window of S seconds, e.g. 5/300")
        limit, window = int(count), int(seconds)
        if limit <= 0 or window <= 0:
            raise ValueError("both numbers of N/S must be positive")
        return cls(limit, window)


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
    refresh_token_ttl: int = Field(default=2_592_000, gt=0)
    message_rate_limit: int = Field(default=10, gt=0)
    rate_limit_window: int = Field(default=60, gt=0)
    cache_ttl: int = Field(default=600, gt=0)
    cache_size: int = Field(default=50, gt=0, le=1000)
    typing_timeout: float = Field(default=5, gt=0)
    max_message_length: int = Field(default=4000, gt=0)
    send_queue_limit: int = Field(default=1000, gt=0)
    send_queue_bytes: int = Field(default=1_048_576, ge=65_536)
    max_connections_per_user: int = Field(default=20, gt=0)
    max_subscriptions: int = Field(default=500, gt=0)
    login_rate_limit: str = "5/300"
    register_rate_limit: str = "10/3600"
    action_rate_limit: str = "60/60"
    create_rate_limit: str = "60/3600"
    search_rate_limit: str = "60/60"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    allowed_origins: str = ""
    trusted_proxies: str = ""
    web_dist: str = ""

    @field_validator(
        "login_rate_limit",
        "register_rate_limit",
        "action_rate_limit",
        "create_rate_limit",
        "search_rate_limit",
        mode="before",
    )
    @classmethod
    def _check_rate(cls, value: object) -> str:
        spec = RateSpec.parse(value)
        return f"{spec.limit}/{spec.window}"

    @field_validator("allowed_origins")
    @classmethod
    def _check_origins(cls, value: str) -> str:
        for origin in _split(value):
            if not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://chat.example.com (scheme and host only)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: str) -> str:
        for entry in _split(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return value

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
        if self.jwt_secret and len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        return self

    @property
    def login_rate(self) -> RateSpec:
        return RateSpec.parse(self.login_rate_limit)

    @property
    def register_rate(self) -> RateSpec:
        return RateSpec.parse(self.register_rate_limit)

    @property
    def action_rate(self) -> RateSpec:
        return RateSpec.parse(self.action_rate_limit)

    @property
    def create_rate(self) -> RateSpec:
        return RateSpec.parse(self.create_rate_limit)

    @property
    def search_rate(self) -> RateSpec:
        return RateSpec.parse(self.search_rate_limit)

    @property
    def origins(self) -> frozenset[str]:
        """ALLOWED_ORIGINS, lower-cased; empty means the request's own host and localhost."""
        return frozenset(origin.lower().rstrip("/") for origin in _split(self.allowed_origins))

    @property
    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in _split(self.trusted_proxies))

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
        settings = settings.model_copy(update={"jwt_secret": _embedded_secret(settings.database_url)})
    return settings


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def secret_file_path(database_url: str) -> Path:
    """Where the generated secret lives: ROOMCAST_SECRET_FILE, else next to the SQLite database.

    Next to the database, a volume that keeps the one keeps the other (tokens outlive the container).
    """
    configured = os.environ.get("ROOMCAST_SECRET_FILE")
    if configured:
        return Path(configured)
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).parent / SECRET_FILE_NAME
    return Path(SECRET_FILE_NAME)


def _embedded_secret(database_url: str) -> str:
    """Embedded mode keeps a generated secret in a local file so tokens survive restarts."""
    path = secret_file_path(database_url)
    if path.exists():
        secret = path.read_text().strip()
        if len(secret.encode()) >= MIN_SECRET_BYTES:
            return secret
        log.warning("the secret in %s is shorter than %d bytes: generating a new one", path, MIN_SECRET_BYTES)
    secret = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 under a temporary name, then renamed: the secret is never readable by others,
    # and a reader never sees a half-written file.
    temporary = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secret + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    log.warning("JWT_SECRET is not set: generated one and stored it in %s", path.resolve())
    return secret
