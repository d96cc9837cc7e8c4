"""The group commit's transaction, written once for both databases.

`commit_steps` is the whole algorithm as a generator of SQLAlchemy Core statements: it yields
each statement with its parameters and receives the rows, so the same statements run on
PostgreSQL (`run_async` on asyncpg or the async engine) and on SQLite, compiled by SQLAlchemy once,
on a plain sqlite3 connection on the event loop (`storage.sqlite_commit`, which keeps the
fsync off the loop).

Inside the transaction, in this order (each the lock order of the next writer):
1. (only after a unique-constraint conflict) the stored messages of the drafts' client ids;
2. the actors' participant rows, locked in sorted order: a removal either waits for this
   batch or is seen by it, so a removed member's draft is refused whatever the gateway knew;
3. the rooms' rows, locked in sorted order, with their `last_seq`: one writer per room at a
   time, which makes `seq` gap-free and in commit order across instances;
4. the messages the changes target and the parents of replies;
then the plan decides, and the room bumps, inserts, changes and read marks are written (and,
after an edit or delete, the replies quoting those messages are read back as they now read).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Executable, RowMapping, Select, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roomcast.storage.plan import BatchPlan, ClientKey
from roomcast.storage.queries import KEYS_PER_STATEMENT, key_match, messages, participants, rooms, select_messages
from roomcast.storage.records import Draft, MessageDraft, MessageRecord, Outcome, encode_reactions, record_from_row

Step = tuple[Executable, Any]
# Each statement's rows come back as mappings (column key -> value, typed by the column).
Rows = Sequence[RowMapping | Mapping[str, Any]]
Steps = Generator[Step, Rows, list[Outcome]]

_EXISTING = select_messages().where(
    messages.c.client_id.in_(bindparam("client_ids", expanding=True)),
    messages.c.room_id.in_(bindparam("room_ids", expanding=True)),
)
_ROOMS = (
    select(rooms.c.id, rooms.c.last_seq)
    .where(rooms.c.id.in_(bindparam("room_ids", expanding=True)))
    .order_by(rooms.c.id)
    .with_for_update(key_share=True)  # FOR NO KEY UPDATE: inserts referencing the room still proceed
)
TARGETS = select_messages().where(messages.c.id.in_(bindparam("ids", expanding=True)))
_BUMP = update(rooms).where(rooms.c.id == bindparam("b_id")).values(last_seq=bindparam("b_seq"))
_INSERT = insert(messages)
_CHANGE = (
    update(messages)
    .where(messages.c.id == bindparam("c_id"))
    .values(
        content=bindparam("c_content"),
        edited_at=bindparam("c_edited_at"),
        deleted=bindparam("c_deleted"),
        reactions=bindparam("c_reactions"),
        updated_seq=bindparam("c_seq"),
        last_change=bindparam("c_change"),
        last_actor_id=bindparam("c_actor"),
        last_emoji=bindparam("c_emoji"),
    )
)
# Replies re-read after their parent changed (newest first): what the recent cache holds of them.
REFRESHED_REPLIES = 200
_REPLIES = (
    select_messages()
    .where(messages.c.reply_to_id.in_(bindparam("ids", expanding=True)))
    .order_by(messages.c.seq.desc())
    .limit(REFRESHED_REPLIES)
)
_READ_MARK = (
    update(participants)
    .where(participants.c.room_id == bindparam("r_room"), participants.c.user_id == bindparam("r_user"))
    .where(participants.c.last_read_seq < bindparam("r_seq"))
    .values(last_read_seq=bindparam("r_seq"))
)


@functools.cache
def _roles(pairs: int) -> Select[Any]:
    """The participant rows of `pairs` (room, user) keys, locked in key order."""
    keys: list[tuple[BindParameter[Any], BindParameter[Any]]] = [
        (bindparam(f"room_{i}"), bindparam(f"user_{i}")) for i in range(pairs)
    ]
    return (
        select(participants.c.room_id, participants.c.user_id, participants.c.role)
        .where(key_match((participants.c.room_id, participants.c.user_id), keys))
        .order_by(participants.c.room_id, participants.c.user_id)
        .with_for_update(key_share=True)
    )


def commit_steps(drafts: Sequence[Draft], lookup: bool, now: datetime) -> Steps:
    """The statements of one batch's transaction (BEGIN and COMMIT are the runner's)."""
    existing: dict[ClientKey, MessageRecord] = {}
    keyed = [d for d in drafts if isinstance(d, MessageDraft) and d.client_id]
    if lookup and keyed:
        rows = yield (
            _EXISTING,
            {
                "client_ids": sorted({d.client_id for d in keyed}),
                "room_ids": sorted({d.room_id for d in keyed}),
            },
        )
        for row in rows:
            record = record_from_row(row)
            existing[(record.room_id, record.sender_id, row["client_id"])] = record
    plan = BatchPlan(drafts, existing)
    if not plan.actors:
        return plan.results()
    roles: dict[tuple[Any, Any], str] = {}
    actors = sorted(plan.actors)
    for start in range(0, len(actors), KEYS_PER_STATEMENT):
        chunk = actors[start : start + KEYS_PER_STATEMENT]
        params = {f"room_{i}": room for i, (room, _) in enumerate(chunk)}
        params.update((f"user_{i}", user) for i, (_, user) in enumerate(chunk))
        rows = yield _roles(len(chunk)), params
        roles.update(((row["room_id"], row["user_id"]), row["role"]) for row in rows)
    plan.refuse_outsiders(roles)
    room_ids = plan.rooms()
    if not room_ids:
        return plan.results()
    rows = yield _ROOMS, {"room_ids": room_ids}
    last_seqs = {row["id"]: row["last_seq"] for row in rows}
    targets: dict[Any, MessageRecord] = {}
    wanted = plan.targets()
    if wanted:
        rows = yield TARGETS, {"ids": sorted(wanted)}
        targets = {row["id"]: record_from_row(row) for row in rows}
    plan.apply(last_seqs, targets, now)
    if not plan.last_seqs:
        return plan.results()
    yield _BUMP, [{"b_id": room_id, "b_seq": seq} for room_id, seq in plan.last_seqs.items()]
    if plan.inserts:
        yield _INSERT, [_message_row(record) for record in plan.inserts]
    if plan.changed:
        yield (
            _CHANGE,
            [
                {
                    "c_id": stored.message.id,
                    "c_content": stored.message.content,
                    "c_edited_at": stored.message.edited_at,
                    "c_deleted": stored.message.deleted,
                    "c_reactions": encode_reactions(stored.message.reactions) if stored.message.reactions else None,
                    "c_seq": stored.message.version,
                    "c_change": stored.change,
                    "c_actor": stored.actor_id,
                    "c_emoji": stored.emoji,
                }
                for stored in plan.changed.values()
            ],
        )
        quoted = plan.quoted()
        if quoted:
            rows = yield _REPLIES, {"ids": quoted}
            plan.add_replies(record_from_row(row) for row in rows)
    if plan.read_marks:
        yield (
            _READ_MARK,
            [{"r_room": room, "r_user": user, "r_seq": seq} for (room, user), seq in plan.read_marks.items()],
        )
    return plan.results()


def _message_row(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "room_id": record.room_id,
        "seq": record.seq,
        "sender_id": record.sender_id,
        "content": record.content,
        "client_id": record.client_id,
        "created_at": record.created_at,
        "deleted": False,
        "reply_to_id": record.reply_to.id if record.reply_to is not None else None,
        "updated_seq": record.seq,
    }


def run(steps: Steps, execute: Callable[[Executable, Any], Rows]) -> list[Outcome]:
    """Drive `steps`, each statement through `execute` (a connection already in a transaction)."""
    try:
        statement, params = next(steps)
        while True:
            statement, params = steps.send(execute(statement, params))
    except StopIteration as done:
        outcomes: list[Outcome] = done.value  # what `steps` returned (StopIteration's is untyped)
        return outcomes


async def run_async(steps: Steps, execute: Callable[[Executable, Any], Awaitable[Rows]]) -> list[Outcome]:
    """`run` for a connection whose statements are awaited."""
    try:
        statement, params = next(steps)
        while True:
            statement, params = steps.send(await execute(statement, params))
    except StopIteration as done:
        outcomes: list[Outcome] = done.value
        return outcomes


def on_connection(conn: AsyncConnection) -> Callable[[Executable, Any], Awaitable[Rows]]:
    """`execute` for `run_async` through SQLAlchemy's async connection."""

    async def execute(statement: Executable, params: Any) -> Rows:
        result = await conn.execute(statement, params)
        return result.mappings().all() if result.returns_rows else []

    return execute
