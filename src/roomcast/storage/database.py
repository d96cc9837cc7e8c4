"""Engine creation: one async engine per app, SQLite tuned for a durable, concurrent WAL."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from roomcast.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": 5},
            pool_size=8,
            max_overflow=8,
        )
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=5,
        # A commit becomes visible only after its WAL record is flushed (SPEC §7 durable before
        # visible), whatever the server's own default says.
        connect_args={"timeout": 5, "command_timeout": 5, "server_settings": {"synchronous_commit": "on"}},
    )


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; FULL makes each group commit durable
    # against power loss (the batch amortises the fsync).
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA foreign_keys=ON",
        "PRAGMA cache_size=-16000",
    ):
        cursor.execute(pragma)
    cursor.close()


def is_storable_text(text: str) -> bool:
    """Whether both databases can store `text`: PostgreSQL refuses NUL characters, and neither
    encodes a lone surrogate (which JSON's \\ud800 escapes can produce)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def check_database(engine: AsyncEngine) -> dict[str, object]:
    started = time.perf_counter()
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return {"status": "fail", "error": type(exc).__name__}
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return {"status": "ok", "latency_ms": latency_ms, "dialect": engine.dialect.name}
