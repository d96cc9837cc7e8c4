"""The PostgreSQL way to run a batch: the statements of `storage.commit` on asyncpg itself.

The writer keeps one of the engine's connections for itself (so the engine's connect
arguments and `synchronous_commit` hold, and no batch pays a checkout and its pre-ping) and
runs each batch on the asyncpg connection underneath, with the same Core statements compiled
once for PostgreSQL (`storage.statements`), in one asyncpg transaction: BEGIN, the
participants' and rooms' locking reads, the seq bump, the inserts and the read marks (an
executemany each, which asyncpg sends in one round trip), COMMIT — without SQLAlchemy's
execution machinery, which was most of the CPU a batch cost.

The commonest batch — new messages only, none of them a reply, no client id known to be
stored already — is instead **one statement**, one round trip in an implicit transaction
(`NEW_MESSAGES`): data-modifying CTEs over the batch's arrays that lock the senders'
participations and then the rooms (each in key order, materialised, so the lock order of
`storage.commit` holds), number the accepted messages after each room's `last_seq`, bump the
rooms, insert the messages and move the senders' read marks, and answer with the roles and the
`last_seq`s they read. From that answer `BatchPlan` decides the batch exactly as for the
general transaction — the same refusals, the same seqs, which the statement's own numbering
is checked against.

A connection that broke (the server restarted, the network dropped) is given back to the pool
invalidated and the next batch opens another; a batch that finds it broken before anything of
it was sent goes again at once on a new one. The one-statement batch has no BEGIN to find that
out: on a broken connection it looks up the message ids it carries on a new one — none stored,
it goes again; stored, it committed and only its answer was lost, so those are its results
(never stored twice) and the drafts it refused are decided again.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roomcast.storage.commit import TARGETS, commit_steps, run_async
from roomcast.storage.plan import BatchPlan
from roomcast.storage.queries import messages, participants, rooms
from roomcast.storage.records import CommitResult, Draft, MessageDraft, MessageRecord, Outcome, record_from_row
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


# The batch as one statement: $1 draft positions, $2 rooms, $3 senders, $4 message ids, $5
# contents, $6 client ids (arrays, one entry per new message), $7 the batch's time. Answers a
# row per participation found ('a': room, user, role), per room found ('r': room, last_seq
# before the batch in `first`) and per message stored ('m': position in `first`, seq in `second`).
NEW_MESSAGES = f"""
WITH batch AS (
    SELECT * FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[])
        AS t(position, room_id, sender_id, id, content, client_id)
),
actors AS MATERIALIZED (
    SELECT p.room_id, p.user_id, p.role FROM {participants.name} p
    WHERE (p.room_id, p.user_id) IN (SELECT room_id, sender_id FROM batch)
    ORDER BY p.room_id, p.user_id
    FOR NO KEY UPDATE
),
accepted AS MATERIALIZED (
    SELECT b.* FROM batch b JOIN actors a ON a.room_id = b.room_id AND a.user_id = b.sender_id
),
locked AS MATERIALIZED (
    SELECT r.id, r.last_seq FROM {rooms.name} r
    WHERE r.id IN (SELECT room_id FROM accepted)
    ORDER BY r.id
    FOR NO KEY UPDATE
),
numbered AS MATERIALIZED (
    SELECT a.*, l.last_seq + row_number() OVER (PARTITION BY a.room_id ORDER BY a.position) AS seq
    FROM accepted a JOIN locked l ON l.id = a.room_id
),
bumped AS (
    UPDATE {rooms.name} r SET last_seq = n.seq
    FROM (SELECT room_id, max(seq) AS seq FROM numbered GROUP BY room_id) n
    WHERE r.id = n.room_id
),
inserted AS (
    INSERT INTO {messages.name}
        (id, room_id, seq, sender_id, content, client_id, created_at, deleted, updated_seq)
    SELECT id, room_id, seq, sender_id, content, client_id, $7, false, seq FROM numbered
),
marked AS (
    UPDATE {participants.name} p SET last_read_seq = m.seq
    FROM (SELECT room_id, sender_id, max(seq) AS seq FROM numbered GROUP BY room_id, sender_id) m
    WHERE p.room_id = m.room_id AND p.user_id = m.sender_id AND p.last_read_seq < m.seq
)
SELECT 'a' AS kind, room_id, user_id, role, NULL::bigint AS first, NULL::bigint AS second FROM actors
UNION ALL SELECT 'r', id, NULL, NULL, last_seq, NULL FROM locked
UNION ALL SELECT 'm', NULL, NULL, NULL, position, seq FROM numbered
"""


class PostgresBatchStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._statements = AsyncpgStatements()
        self._conn: AsyncConnection | None = None
        self._driver: Any = None

    async def commit(self, drafts: Sequence[Draft], lookup: bool, now: datetime) -> list[Outcome]:
        if not lookup and all(isinstance(draft, MessageDraft) and draft.reply_to is None for draft in drafts):
            return await self._commit_new_messages(BatchPlan(drafts, {}), now)
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
            steps = commit_steps(drafts, lookup, now)
            outcomes: list[Outcome] = await self._guard(
                run_async(steps, functools.partial(self._statements.run, driver))
            )
        except BaseException:
            if not driver.is_closed():
                with contextlib.suppress(*BROKEN, asyncpg.PostgresError):
                    await transaction.rollback()
            raise
        await self._guard(transaction.commit())
        return outcomes

    async def _commit_new_messages(self, plan: BatchPlan, now: datetime) -> list[Outcome]:
        """The batch as `NEW_MESSAGES`: one round trip, then the plan decides from its answer."""
        new = plan.new_messages()
        if not new:
            return plan.results()
        arrays = (
            [index for index, _, _ in new],
            [draft.room_id for _, draft, _ in new],
            [draft.sender_id for _, draft, _ in new],
            [message_id for _, _, message_id in new],
            [draft.content for _, draft, _ in new],
            [draft.client_id for _, draft, _ in new],
        )
        driver = await self._connection()
        try:
            rows = await self._guard(driver.fetch(NEW_MESSAGES, *arrays, now))
        except BROKEN:
            # Sent on a connection the server had ended (nothing ran), or committed and only the
            # answer lost: the message ids the batch carries tell which, on a new connection.
            driver = await self._connection()
            found = await self._guard(self._statements.run(driver, TARGETS, {"ids": arrays[3]}))
            if found:
                return await self._recover(plan, new, {row["id"]: record_from_row(row) for row in found}, now)
            rows = await self._guard(driver.fetch(NEW_MESSAGES, *arrays, now))
        roles = {(row["room_id"], row["user_id"]): row["role"] for row in rows if row["kind"] == "a"}
        last_seqs = {row["room_id"]: row["first"] for row in rows if row["kind"] == "r"}
        stored = {row["first"]: row["second"] for row in rows if row["kind"] == "m"}
        plan.refuse_outsiders(roles)
        plan.apply(last_seqs, {}, now)
        decided = {
            index: outcome.message.seq
            for index, outcome in enumerate(plan.outcomes)
            if isinstance(outcome, CommitResult) and not outcome.duplicate
        }
        if decided != stored:
            raise RuntimeError(f"the batch statement numbered {stored}, the plan {decided}")
        return plan.results()

    async def _recover(
        self,
        plan: BatchPlan,
        new: Sequence[tuple[int, MessageDraft, Any]],
        stored: dict[Any, MessageRecord],
        now: datetime,
    ) -> list[Outcome]:
        """The batch committed but its answer was lost: its stored messages are its results
        (not yet announced), and the drafts it refused are decided again, on their own."""
        again = [(index, draft) for index, draft, message_id in new if message_id not in stored]
        decided = await self.commit([draft for _, draft in again], False, now) if again else []
        for (index, _), outcome in zip(again, decided, strict=True):
            plan.outcomes[index] = outcome
        for index, draft, message_id in new:
            if message_id in stored:
                plan.outcomes[index] = CommitResult(stored[message_id], False, draft)
        return plan.results()

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

    async def close(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()
