"""Settings (SPEC §2): defaults, clear messages for bad values, the embedded secret file."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from roomcast.config import ConfigError, Settings, load_settings

VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET",
    "JWT_ALGORITHM",
    "ACCESS_TOKEN_TTL",
    "MESSAGE_RATE_LIMIT",
    "RATE_LIMIT_WINDOW",
    "CACHE_TTL",
    "CACHE_SIZE",
    "TYPING_TIMEOUT",
    "MAX_MESSAGE_LENGTH",
    "SEND_QUEUE_LIMIT",
)
SECRET = "a-test-secret-of-some-length-32-bytes"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No roomcast variable from the caller's environment, no `.env`, a private secret file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    secret_file = tmp_path / "secret"
    monkeypatch.setenv("ROOMCAST_SECRET_FILE", str(secret_file))
    return secret_file


def config_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    return str(caught.value)


def test_defaults_are_those_of_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./roomcast.db"
    assert settings.redis_url == ""
    assert settings.jwt_algorithm == "HS256"
    assert settings.access_token_ttl == 3600
    assert settings.message_rate_limit == 10
    assert settings.rate_limit_window == 60
    assert settings.cache_ttl == 600
    assert settings.cache_size == 50
    assert settings.typing_timeout == 5
    assert settings.max_message_length == 4000
    assert settings.send_queue_limit == 1000
    assert settings.is_sqlite and not settings.scaled


def test_environment_variables_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"JWT_SECRET={SECRET}\nCACHE_SIZE=7\nMESSAGE_RATE_LIMIT=3\n")
    monkeypatch.setenv("MESSAGE_RATE_LIMIT", "25")  # the environment wins over .env
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@127.0.0.1:5432/db")
    monkeypatch.setenv("JWT_ALGORITHM", "HS512")
    settings = load_settings()
    assert settings.jwt_secret == SECRET
    assert settings.cache_size == 7
    assert settings.message_rate_limit == 25
    assert settings.jwt_algorithm == "HS512"
    assert not settings.is_sqlite


def test_non_numeric_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, MESSAGE_RATE_LIMIT="abc")
    assert "MESSAGE_RATE_LIMIT" in message
    assert "integer" in message and "'abc'" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MESSAGE_RATE_LIMIT", "0"),
        ("RATE_LIMIT_WINDOW", "-1"),
        ("ACCESS_TOKEN_TTL", "0"),
        ("CACHE_SIZE", "100000"),
        ("TYPING_TIMEOUT", "soon"),
        ("MAX_MESSAGE_LENGTH", "1.5"),
        ("SEND_QUEUE_LIMIT", ""),
    ],
)
def test_out_of_range_numbers(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    assert name in config_error(monkeypatch, **{name: value, "JWT_SECRET": SECRET})


@pytest.mark.parametrize("algorithm", ["none", "None", "RS256", "ES256", "hs256", ""])
def test_only_hmac_algorithms(monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    message = config_error(monkeypatch, JWT_ALGORITHM=algorithm, JWT_SECRET=SECRET)
    assert "JWT_ALGORITHM" in message and "HS256" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "cannot parse"),
        ("::::", "cannot parse"),
        ("mysql://u@h/db", "unsupported database driver 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg"),
        ("sqlite:///plain.db", "sqlite+aiosqlite"),
    ],
)
def test_bad_database_url(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    message = config_error(monkeypatch, DATABASE_URL=url, JWT_SECRET=SECRET)
    assert "DATABASE_URL" in message and expected in message


def test_database_password_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, DATABASE_URL="postgresql://bob:hunter2@db/x", JWT_SECRET=SECRET)
    assert "DATABASE_URL" in message and "bob" in message
    assert "hunter2" not in message


def test_bad_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, REDIS_URL="http://u:pw@localhost:6379", JWT_SECRET=SECRET)
    assert "REDIS_URL" in message and "redis://" in message
    assert "pw@" not in message


def test_redis_needs_an_explicit_secret(monkeypatch: pytest.MonkeyPatch, clean_environment: Path) -> None:
    message = config_error(monkeypatch, REDIS_URL="redis://127.0.0.1:6379/0")
    assert "JWT_SECRET must be set when REDIS_URL is set" in message
    assert not clean_environment.exists()  # no secret was generated for a scaled deployment
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert load_settings().scaled


def test_a_short_secret_is_refused_without_being_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, JWT_SECRET="x" * 31)
    assert "JWT_SECRET" in message and "32 bytes" in message
    assert "x" * 31 not in message


def test_all_problems_are_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    message = config_error(monkeypatch, MESSAGE_RATE_LIMIT="abc", CACHE_TTL="later", JWT_SECRET=SECRET)
    assert "MESSAGE_RATE_LIMIT" in message and "CACHE_TTL" in message


def test_overrides_are_validated_too() -> None:
    with pytest.raises(ConfigError, match="MESSAGE_RATE_LIMIT"):
        load_settings(message_rate_limit="abc", jwt_secret=SECRET)


def test_the_embedded_secret_is_generated_once_and_reused(
    clean_environment: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="roomcast.config"):
        first = load_settings()
    assert clean_environment.exists()
    assert clean_environment.read_text().strip() == first.jwt_secret
    assert len(first.jwt_secret) >= 32
    assert stat.S_IMODE(clean_environment.stat().st_mode) == 0o600
    assert any("JWT_SECRET is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="roomcast.config"):
        second = load_settings()
    assert second.jwt_secret == first.jwt_secret
    assert not any("JWT_SECRET" in r.getMessage() for r in caplog.records)


def test_an_explicit_secret_never_touches_the_file(monkeypatch: pytest.MonkeyPatch, clean_environment: Path) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    assert load_settings().jwt_secret == SECRET
    assert not clean_environment.exists()


def test_an_empty_secret_file_is_regenerated(clean_environment: Path) -> None:
    clean_environment.write_text("\n")
    secret = load_settings().jwt_secret
    assert secret and clean_environment.read_text().strip() == secret


def test_the_secret_is_not_in_the_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    settings = load_settings()
    assert SECRET not in repr(settings)
    assert isinstance(settings, Settings)
