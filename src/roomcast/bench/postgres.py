"""The PostgreSQL server the bench makes its databases on: ROOMCAST_BENCH_POSTGRES (default
postgresql://postgres@127.0.0.1:5432, a role that may create and drop databases)."""

from __future__ import annotations

import os

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

POSTGRES = os.environ.get("ROOMCAST_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def database_url(name: str) -> str:
    """The DATABASE_URL of database `name` on that server."""
    return f"postgresql+asyncpg://{POSTGRES.split('://', 1)[1]}/{name}"


async def recreate_database(name: str) -> None:
    """An empty database `name` (dropped first if it exists, whoever is connected to it)."""
    admin = await asyncpg.connect(POSTGRES + "/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES + "/postgres")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()
