"""The SQLite way to run a batch: the statements on the event loop, the COMMIT off it.

A batch's statements take tens of microseconds of CPU, but run in a worker thread they hand
the GIL back and forth once per statement (a context switch each, measured as ~30% of the
server's CPU under load). So the statements of `storage.commit` run on the loop, compiled by
SQLAlchemy (`storage.statements`), and only the COMMIT goes to the worker thread, under
`synchronous=FULL`: SQLite syncs the WAL *before* it publishes the commit in
the WAL index, so no other connection (a REST read, a recovering socket) can see a message
that a power loss could still take back. One thread hop per batch. The loop never waits for
a lock: when another connection holds the write lock, that batch runs in the worker thread.
Checkpoints, which fsync the database file, run in a thread of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy.engine import URL

from roomcast.storage.commit import commit_steps, run
from roomcast.storage.records import Draft, Outcome
from roomcast.storage.statements import SqliteStatements

log = logging.getLogger("roomcast.storage.sqlite")


def sqlite_file(url: URL) -> str | None:
    """The file of a plain file-backed SQLite URL, else None (in-memory, URI options...)."""
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode == sqlite3.SQLITE_BUSY


class SqliteBatchStore:
    CHECKPOINT_BYTES = 8 * 1024 * 1024
    LOCK_TIMEOUT = 5.0

    def __init__(self, path: str, pragmas: Callable[[Any, Any], None]) -> None:
        self._path = path
        self._wal_path = path + "-wal"
        self._pragmas = pragmas
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-writer")
        # Checkpoints take tens of milliseconds: in a thread of their own, so no fsync waits behind one.
        self._checkpoints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-checkpoint")
        self._checkpointing = False
        self._db: sqlite3.Connection | None = None
        self._statements = SqliteStatements()
        self._checkpointer: sqlite3.Connection | None = None
        self._directory_synced = False
        self._closed = False

    async def commit(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        try:
            outcomes = self._write(drafts, lookup, now)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            outcomes = await loop.run_in_executor(self._executor, self._write_waiting, drafts, lookup, now)
        await loop.run_in_executor(self._executor, self._commit)
        return outcomes

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._checkpoints, self._close_checkpointer)
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=False)
        self._checkpoints.shutdown(wait=False)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._pragmas(db, None)
            for pragma in ("PRAGMA busy_timeout=0", "PRAGMA synchronous=FULL", "PRAGMA wal_autocheckpoint=0"):
                db.execute(pragma)
            self._db = db
        return self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _close_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    def _write_waiting(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        """The same batch in the worker thread, waiting up to LOCK_TIMEOUT for the write lock."""
        db = self._connection()
        db.execute(f"PRAGMA busy_timeout={int(self.LOCK_TIMEOUT * 1000)}")
        try:
            return self._write(drafts, lookup, now)
        finally:
            db.execute("PRAGMA busy_timeout=0")

    def _write(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        """BEGIN and every statement of the batch; the transaction stays open for `_commit`."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            return run(commit_steps(drafts, lookup, now), functools.partial(self._statements.run, db))
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def _commit(self) -> None:
        """COMMIT (synced before it is visible, see the module), then checkpoint if due."""
        db = self._connection()
        if not self._directory_synced and os.path.exists(self._wal_path):
            # The WAL file's own directory entry, once: a crash must not lose the file itself.
            _sync_file(os.path.dirname(os.path.abspath(self._wal_path)), os.fsync)
            self._directory_synced = True
        try:
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        if not self._checkpointing and os.path.getsize(self._wal_path) > self.CHECKPOINT_BYTES:
            self._checkpointing = True
            self._checkpoints.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self._path, timeout=0, isolation_level=None)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed", extra={"error": repr(exc)})
        finally:
            self._checkpointing = False


def _sync_file(path: str, sync: Callable[[int], None]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        sync(fd)
    finally:
        os.close(fd)
