"""Group commit: one task stores every new message of this instance.

Concurrent senders queue drafts; the writer takes everything waiting, stores it in one
transaction and only then resolves each sender's future. Per room it bumps `rooms.last_seq`
by the batch's size inside that transaction: the row lock (PostgreSQL) or the database write
lock (SQLite) makes `seq` gap-free and in commit order even with several writers.
Inside the same transaction the senders' participant rows are read (and locked on
PostgreSQL): a draft of someone removed from the room is refused, whatever the gateway knew.
After the commit, `on_committed` runs (cache, publish) before any sender is answered, so a
`message_sent` never overtakes its own broadcast. A draft whose sender stopped waiting (the
commit timeout answered `message_error`) before its batch began is dropped, never stored.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.observability import metrics
from roomcast.storage.batch import BatchPlan, SqliteBatchStore, sqlite_file
from roomcast.storage.database import _sqlite_pragmas as sqlite_pragmas
from roomcast.storage.errors import StorageError
from roomcast.storage.models import Message, Participant, Room, User, utcnow
from roomcast.storage.records import CommitResult, MessageDraft, MessageRecord

log = logging.getLogger("roomcast.storage.writer")

messages = Message.__table__
rooms = Room.__table__
users = User.__table__
participants = Participant.__table__

_READ_MARK = (
    update(participants)
    .where(participants.c.room_id == bindparam("r_room"), participants.c.user_id == bindparam("r_user"))
    .where(participants.c.last_read_seq < bindparam("r_seq"))
    .values(last_read_seq=bindparam("r_seq"))
)

OnCommitted = Callable[[Sequence[CommitResult]], Awaitable[None]]
ClientKey = tuple[uuid.UUID, uuid.UUID, str]
# A batch this large means senders are queueing: the next one waits LINGER seconds first.
LINGER_FROM_BATCH = 8
LINGER = 0.004
INTEGRITY_ERRORS = (IntegrityError, sqlite3.IntegrityError)


class GroupCommitWriter:
    def __init__(
        self, engine: AsyncEngine, on_committed: OnCommitted, max_batch: int = 500, timeout: float = 5.0
    ) -> None:
        self._engine = engine
        self._on_committed = on_committed
        self._timeout = timeout
        path = sqlite_file(engine.url)
        self._sqlite = SqliteBatchStore(path, sqlite_pragmas) if path is not None else None
        self._max_batch = max_batch
        self._pending: deque[tuple[MessageDraft, asyncio.Future[CommitResult]]] = deque()
        self._in_flight: list[tuple[MessageDraft, asyncio.Future[CommitResult]]] = []
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
        if self._sqlite is not None:
            await self._sqlite.close()

    def submit(self, draft: MessageDraft) -> asyncio.Future[CommitResult]:
        """The draft's outcome; TimeoutError if it is not settled `timeout` s after `received_at`."""
        future: asyncio.Future[CommitResult] = asyncio.get_running_loop().create_future()
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
            for draft, future in (*self._in_flight, *self._pending):
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
                    await asyncio.sleep(LINGER)
                busy = len(self._pending) >= LINGER_FROM_BATCH
                taken = [self._pending.popleft() for _ in range(min(self._max_batch, len(self._pending)))]
                # A sender already answered (timed out) has been told the message was not stored.
                batch = [item for item in taken if not item[1].done()]
                if not batch:
                    continue
                self._in_flight = batch
                await self._process(batch)
                self._in_flight = []
            if self._closing:
                return

    async def _process(self, batch: list[tuple[MessageDraft, asyncio.Future[CommitResult]]]) -> None:
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
        committed = [o for o in outcomes if isinstance(o, CommitResult) and not o.duplicate]
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

    async def _commit_resilient(self, drafts: list[MessageDraft]) -> list[CommitResult | Exception]:
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
            outcomes: list[CommitResult | Exception] = []
            for draft in drafts:
                try:
                    outcomes.extend(await self._commit([draft]))
                except INTEGRITY_ERRORS:
                    outcomes.extend(await self._commit([draft]))
            return outcomes

    async def _commit(self, drafts: list[MessageDraft], lookup: bool = True) -> list[CommitResult | Exception]:
        now = utcnow()
        if self._sqlite is not None:
            return await self._sqlite.commit(drafts, lookup, now)
        async with self._engine.begin() as conn:
            plan = BatchPlan(drafts, await _existing_by_client_id(conn, drafts) if lookup else {})
            plan.refuse_outsiders(await _locked_participants(conn, sorted(plan.senders)))
            rows: list[dict[str, Any]] = []
            for room_id, count in plan.rooms():
                bump = (
                    update(rooms)
                    .where(rooms.c.id == room_id)
                    .values(last_seq=rooms.c.last_seq + count)
                    .returning(rooms.c.last_seq)
                )
                last_seq = (await conn.execute(bump)).scalar_one_or_none()
                rows.extend(
                    {
                        "id": record.id,
                        "room_id": room_id,
                        "seq": record.seq,
                        "sender_id": record.sender_id,
                        "content": record.content,
                        "client_id": record.client_id,
                        "created_at": now,
                    }
                    for record in plan.assign(room_id, last_seq, now)
                )
            if rows:
                await conn.execute(insert(messages), rows)
                await conn.execute(
                    _READ_MARK,
                    [{"r_room": room, "r_user": user, "r_seq": seq} for (room, user), seq in plan.read_marks.items()],
                )
        return plan.results()


async def _locked_participants(
    conn: AsyncConnection, senders: list[tuple[uuid.UUID, uuid.UUID]]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The senders still participating, their rows locked until the commit (in sorted order, so
    concurrent batches cannot deadlock): a removal then waits for this batch, or this batch
    sees the removal. The lock is the one the sender's read mark takes anyway."""
    if not senders:
        return set()
    key = tuple_(participants.c.room_id, participants.c.user_id)
    query = (
        select(participants.c.room_id, participants.c.user_id)
        .where(key.in_(senders))
        .order_by(participants.c.room_id, participants.c.user_id)
        .with_for_update(key_share=True)
    )
    return {(row.room_id, row.user_id) for row in await conn.execute(query)}


async def _existing_by_client_id(conn: AsyncConnection, drafts: list[MessageDraft]) -> dict[ClientKey, MessageRecord]:
    client_ids = {d.client_id for d in drafts if d.client_id}
    if not client_ids:
        return {}
    query = (
        select(messages, users.c.username)
        .join(users, users.c.id == messages.c.sender_id)
        .where(messages.c.client_id.in_(client_ids))
        .where(messages.c.room_id.in_({d.room_id for d in drafts if d.client_id}))
    )
    found: dict[ClientKey, MessageRecord] = {}
    for row in (await conn.execute(query)).mappings():
        record = record_from_row(row)
        found[(record.room_id, record.sender_id, row["client_id"])] = record
    return found


def record_from_row(row: Any) -> MessageRecord:
    return MessageRecord(
        id=row["id"],
        room_id=row["room_id"],
        seq=row["seq"],
        sender_id=row["sender_id"],
        sender_username=row["username"],
        content=row["content"],
        client_id=row["client_id"],
        created_at=row["created_at"],
    )


def _observe_since_receipt(histogram: Histogram, results: Sequence[CommitResult]) -> None:
    now = time.perf_counter()
    for result in results:
        histogram.observe(now - result.draft.received_at)
