"""Alembic, driven from code: `roomcast migrate`, `roomcast serve` and the tests share this."""

from __future__ import annotations

import asyncio
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.config import Settings
from roomcast.storage.database import create_engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("roomcast.storage") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as conn:

        def run(sync_conn: object) -> None:
            config.attributes["connection"] = sync_conn
            command.upgrade(config, revision)

        await conn.run_sync(run)


def upgrade(settings: Settings, revision: str = "head") -> None:
    async def run() -> None:
        engine = create_engine(settings)
        try:
            await upgrade_engine(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(run())
