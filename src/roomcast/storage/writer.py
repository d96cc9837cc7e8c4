"""Group commit: one task stores every new message and change of this instance.

Concurrent senders queue drafts; the writer takes everything waiting, stores it in one
transaction (`storage.commit`: the same statements on SQLite and PostgreSQL) and only then
resolves each sender's future. After the commit, `on_committed` runs (cache, publish) before
any sender is answered, so a `message_sent` never overtakes its own broadcast. It runs while
the next batch commits (the fsync in SQLite's thread, PostgreSQL's round trips), one batch at
a time and in commit order, so a room's events still go out in `seq` order; under load (see
LINGER) the next batch waits for it and then lingers, so that batches stay large. A draft whose
sender stopped waiting (the commit timeout answered `message_error`) before its batch began
is dropped, never stored. The writer itself knows only batching, futures and the linger.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeGuard

from prometheus_client import Histogram
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.observability import metrics
from roomcast.storage.commit import commit_steps, on_connection, run_async
from roomcast.storage.database import sqlite_pragmas
from roomcast.storage.errors import StorageError
from roomcast.storage.models import utcnow
from roomcast.storage.postgres_commit import INTEGRITY_ERRORS as POSTGRES_INTEGRITY_ERRORS
from roomcast.storage.postgres_commit import PostgresBatchStore
from roomcast.storage.records import CommitResult, Draft, Outcome, UpdateResult
from roomcast.storage.sqlite_commit import SqliteBatchStore, sqlite_file

log = logging.getLogger("roomcast.storage.writer")

Committed = CommitResult | UpdateResult
OnCommitted = Callable[[Sequence[Committed]], Awaitable[None]]
# A batch this large means senders are queueing: the next one waits LINGER seconds first.
LINGER_FROM_BATCH = 8
LINGER = 0.004
INTEGRITY_ERRORS = (IntegrityError, sqlite3.IntegrityError, *POSTGRES_INTEGRITY_ERRORS)


class BatchStore(Protocol):
    """Stores one batch atomically: every outcome in draft order, or an exception for all.

    `lookup=False` assumes no draft repeats a stored client id (the unique constraint then
    raises an IntegrityError and the writer retries with `lookup=True`)."""

    async def commit(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]: ...

    async def close(self) -> None: ...


class SqlBatchStore:
    """A batch in one transaction of the async engine (PostgreSQL; any SQLite URL with options)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def commit(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        async with self._engine.begin() as conn:
            return await run_async(commit_steps(drafts, lookup, now), on_connection(conn))

    async def close(self) -> None:
        pass


def batch_store(engine: AsyncEngine) -> BatchStore:
    """The fastest way this engine's database has: SQLite's file or asyncpg driven directly,
    else (SQLite with URL options, another driver) through the engine."""
    path = sqlite_file(engine.url)
    if path is not None:
        return SqliteBatchStore(path, sqlite_pragmas)
    if engine.url.get_driver_name() == "asyncpg":
        return PostgresBatchStore(engine)
    return SqlBatchStore(engine)


class GroupCommitWriter:
    def __init__(
        self, engine: AsyncEngine, on_committed: OnCommitted, max_batch: int = 500, timeout: float = 5.0
    ) -> None:
        self._store = batch_store(engine)
        self._on_committed = on_committed
        self._timeout = timeout
        self._max_batch = max_batch
        self._pending: deque[tuple[Draft, asyncio.Future[Outcome]]] = deque()
        # The batch being committed and the one being announced (its senders not answered yet).
        self._in_flight: list[tuple[Draft, asyncio.Future[Outcome]]] = []
        self._announcing: list[tuple[Draft, asyncio.Future[Outcome]]] = []
        self._announcement: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="roomcast-group-commit")
        self._watchdog = asyncio.create_task(self._expire_waits(), name="roomcast-commit-watchdog")

    async def stop(self) -> None:
        """Commit everything already queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        if self._watchdog is not None:
            self._watchdog.cancel()
        await self._store.close()

    def submit(self, draft: Draft) -> asyncio.Future[Outcome]:
        """The draft's outcome; TimeoutError if it is not settled `timeout` s after `received_at`."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        if self._closing:
            future.set_exception(StorageError("server is shutting down"))
            return future
        self._pending.append((draft, future))
        self._wakeup.set()
        return future

    async def _expire_waits(self) -> None:
        """Fail the waits of drafts older than the timeout; the writer still commits or skips them.

        One periodic check for every sender instead of a timer per message on the hot path.
        """
        while True:
            await asyncio.sleep(self._timeout / 10)
            deadline = time.perf_counter() - self._timeout
            for draft, future in (*self._announcing, *self._in_flight, *self._pending):
                if draft.received_at < deadline and not future.done():
                    future.set_exception(TimeoutError())

    async def _run(self) -> None:
        busy = False
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                if busy and not self._closing:
                    # Under load, linger a moment so that the next transaction carries more
                    # messages: each commit costs WAL page writes and an fsync whatever its size.
                    # The pause counts from the end of the previous announcement (overlapping the
                    # two made batches smaller and saturation earlier, on SQLite).
                    await self._announced()
                    await asyncio.sleep(LINGER)
                busy = len(self._pending) >= LINGER_FROM_BATCH
                taken = [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]
                # A sender already answered (timed out) has been told the message was not stored.
                batch = [item for item in taken if not item[1].done()]
                if not batch:
                    continue
                self._in_flight = batch
                outcomes = await self._store_batch(batch)
                # The previous batch's announcement ran meanwhile; it ends before this one's begins.
                await self._announced()
                self._announcing, self._in_flight = batch, []
                self._announcement = asyncio.create_task(self._announce(batch, outcomes), name="roomcast-announce")
            if self._closing:
                await self._announced()
                return

    async def _announced(self) -> None:
        if self._announcement is not None:
            await self._announcement
            self._announcement = None

    async def _store_batch(self, batch: list[tuple[Draft, asyncio.Future[Outcome]]]) -> list[Outcome]:
        drafts = [draft for draft, _ in batch]
        started = time.perf_counter()
        try:
            outcomes = await self._commit_resilient(drafts)
        except Exception as exc:
            log.error("message commit failed", extra={"error": repr(exc), "batch": len(batch)})
            outcomes = [StorageError(type(exc).__name__)] * len(batch)
        metrics.BATCH_COMMIT.observe(time.perf_counter() - started)
        metrics.BATCH_SIZE.observe(len(batch))
        self.batches += 1
        return outcomes

    async def _announce(self, batch: list[tuple[Draft, asyncio.Future[Outcome]]], outcomes: list[Outcome]) -> None:
        committed = [o for o in outcomes if _is_event(o)]
        if committed:
            _observe_since_receipt(metrics.COMMIT_LATENCY, committed)
            try:
                await self._on_committed(committed)
            except Exception:
                log.exception("post-commit fan-out failed")
            _observe_since_receipt(metrics.DELIVERY_LATENCY, committed)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        self._announcing = []

    async def _commit_resilient(self, drafts: list[Draft]) -> list[Outcome]:
        try:
            # Optimistic: a re-sent client_id is rare, and the unique constraint catches it,
            # so the common batch costs no read.
            return await self._commit(drafts, lookup=False)
        except INTEGRITY_ERRORS:
            pass
        try:
            return await self._commit(drafts, lookup=True)
        except INTEGRITY_ERRORS:
            # A concurrent writer elsewhere stored one of these client_ids first: redo one by one
            # so that only the conflicting draft is affected (and then found as a duplicate).
            outcomes: list[Outcome] = []
            for draft in drafts:
                try:
                    outcomes.extend(await self._commit([draft]))
                except INTEGRITY_ERRORS:
                    outcomes.extend(await self._commit([draft]))
            return outcomes

    async def _commit(self, drafts: list[Draft], lookup: bool = True) -> list[Outcome]:
        return await self._store.commit(drafts, lookup, utcnow())


def _is_event(outcome: Outcome) -> TypeGuard[Committed]:
    """Whether the outcome logged a room event (what `on_committed` publishes)."""
    if isinstance(outcome, CommitResult):
        return not outcome.duplicate
    return isinstance(outcome, UpdateResult) and outcome.update.seq is not None


def _observe_since_receipt(histogram: Histogram, results: Sequence[Committed]) -> None:
    now = time.perf_counter()
    for result in results:
        histogram.observe(now - result.draft.received_at)
