"""The PostgreSQL way to run a batch: the statements of `storage.commit` on asyncpg itself.

The writer keeps one of the engine's connections for itself (so the engine's connect
arguments and `synchronous_commit` hold, and no batch pays a checkout and its pre-ping) and
runs each batch on the asyncpg connection underneath, with the same Core statements compiled
once for PostgreSQL (`storage.statements`), in one asyncpg transaction: BEGIN, the
participants' and rooms' locking reads, the seq bump, the inserts and the read marks (an
executemany each, which asyncpg sends in one round trip), COMMIT — without SQLAlchemy's
execution machinery, which was most of the CPU a batch cost.

A connection that broke (the server restarted, the network dropped) is given back to the pool
invalidated and the next batch opens another; a batch that finds it broken before anything of
it was sent goes again at once on a new one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.storage.commit import Steps, commit_steps
from roomcast.storage.records import Draft, Outcome
from roomcast.storage.statements import AsyncpgStatements

INTEGRITY_ERRORS = (asyncpg.IntegrityConstraintViolationError,)
# The connection is not usable any more: the server went away or shut down, or hung (asyncpg
# may also report a connection the server ended as a protocol state it cannot leave).
BROKEN = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)


class PostgresBatchStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._statements = AsyncpgStatements()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def commit(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        driver = await self._connection()
        transaction = driver.transaction()
        try:
            await transaction.start()
        except BROKEN:
            await self._drop()  # nothing of this batch was sent: it goes on a new connection
            driver = await self._connection()
            transaction = driver.transaction()
            await self._guard(transaction.start())
        try:
            outcomes: list[Outcome] = await self._guard(self._run(driver, commit_steps(drafts, lookup, now)))
        except BaseException:
            if not driver.is_closed():
                with contextlib.suppress(*BROKEN, asyncpg.PostgresError):
                    await transaction.rollback()
            raise
        await self._guard(transaction.commit())
        return outcomes

    async def _guard(self, step: Any) -> Any:
        try:
            return await step
        except BROKEN:
            await self._drop()
            raise

    async def _connection(self) -> Any:
        if self._driver is None or self._driver.is_closed():
            await self._drop()
            try:
                conn = await self._engine.connect()
            except DBAPIError as exc:
                raise ConnectionError(str(exc.orig)) from None
            self._conn = conn
            self._driver = (await conn.get_raw_connection()).driver_connection
        return self._driver

    async def _drop(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _run(self, driver: Any, steps: Steps) -> list[Outcome]:
        try:
            statement, params = next(steps)
            while True:
                statement, params = steps.send(await self._statements.run(driver, statement, params))
        except StopIteration as done:
            outcomes: list[Outcome] = done.value
            return outcomes

    async def close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
