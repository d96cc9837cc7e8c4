from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends.base import Backends
from roomcast.backends.memory import create_memory_backends
from roomcast.backends.redis import create_redis_backends
from roomcast.config import load_settings
from roomcast.storage.database import create_engine
from roomcast.storage.migrate import upgrade_engine
from tests.conftest import reset_database
from tests.contract.env import flush, postgres_url, redis_url

SECRET = "contract-test-secret-0123456789abcdef"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_backends(kind: str) -> AsyncIterator[Callable[..., Awaitable[Backends]]]:
    """Backends of `kind`; for Redis every call is another instance sharing one flushed database."""
    built: list[Backends] = []
    url = redis_url() if kind == "redis" else ""
    if url:
        await flush(url)

    async def make(**overrides: Any) -> Backends:
        if kind == "memory":
            backends = create_memory_backends()
        else:
            settings = load_settings(redis_url=url, jwt_secret=SECRET, **overrides)
            backends = await create_redis_backends(settings)
        built.append(backends)
        return backends

    yield make
    for backends in reversed(built):
        await backends.close()


@pytest.fixture
async def instances() -> AsyncIterator[Callable[..., Awaitable[Backends]]]:
    """Redis backends: every call is another instance sharing one flushed database."""
    url = redis_url()
    await flush(url)
    built: list[Backends] = []

    async def make(url: str = url) -> Backends:
        backends = await create_redis_backends(load_settings(redis_url=url, jwt_secret=SECRET))
        built.append(backends)
        return backends

    yield make
    for backends in reversed(built):
        with contextlib.suppress(Exception):
            await backends.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or the PostgreSQL of ROOMCAST_TEST_POSTGRES_URL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/stores.db"
    return postgres_url()


@pytest.fixture
async def engine(database: str) -> AsyncIterator[AsyncEngine]:
    """An engine as the app builds it, on a freshly migrated schema."""
    await reset_database(database)
    engine = create_engine(load_settings(database_url=database, jwt_secret=SECRET))
    await upgrade_engine(engine)
    yield engine
    await engine.dispose()
