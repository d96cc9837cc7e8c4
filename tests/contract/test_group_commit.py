"""The group commit writer (`storage.writer`), on SQLite and PostgreSQL: a batch's announcement
(cache, publish) runs while the next batch commits, announcements go out one at a time in commit
order, and no sender is answered before its own batch has been announced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.records import CommitResult, MessageDraft
from roomcast.storage.writer import Committed, GroupCommitWriter
from tests.contract.test_message_store import Room


async def test_announcements_overlap_the_next_commit_in_order_and_precede_the_answers(engine: AsyncEngine) -> None:
    room = await Room(engine).create("owner", "alice")
    events: list[tuple[str, list[int]]] = []
    committed_meanwhile: list[int] = []  # the room's last seq in the store as each announcement ends

    async def announce(results: Sequence[Committed]) -> None:
        seqs = [r.message.seq for r in results if isinstance(r, CommitResult)]
        events.append(("announce start", seqs))
        # A slow shared store (Redis far away): the writer commits on meanwhile.
        await asyncio.sleep(0.05)
        committed_meanwhile.append(await room.last_seq())
        events.append(("announce end", seqs))

    writer = GroupCommitWriter(engine, announce)
    writer.start()
    answered: list[int] = []

    async def send(n: int) -> None:
        draft = MessageDraft(room.id, room.users["alice"], "alice", f"m{n}", None, "", time.perf_counter())
        outcome = await writer.submit(draft)
        assert isinstance(outcome, CommitResult)
        # By the time a sender hears back, its batch has been announced.
        assert ("announce end", announced_batch(outcome.message.seq)) in events
        answered.append(outcome.message.seq)

    def announced_batch(seq: int) -> list[int]:
        return next(seqs for kind, seqs in events if kind == "announce start" and seq in seqs)

    first = asyncio.create_task(send(0))
    await asyncio.sleep(0.01)  # the first batch is committed and being announced
    rest = [asyncio.create_task(send(n)) for n in range(1, 30)]
    await asyncio.wait_for(asyncio.gather(first, *rest), 10)
    await writer.stop()
    await room.close()

    starts = [seqs for kind, seqs in events if kind == "announce start"]
    assert [seq for seqs in starts for seq in seqs] == list(range(1, 31))  # each once, in seq order
    # One at a time: every announcement ends before the next begins.
    kinds = [kind for kind, _ in events]
    assert kinds == ["announce start", "announce end"] * len(starts)
    # The second batch was committed while the first was still being announced.
    assert starts[0] == [1] and len(starts) >= 2 and writer.batches == len(starts)
    assert committed_meanwhile[0] > 1
    assert sorted(answered) == list(range(1, 31))


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # SQLite has no server to drop it
async def test_a_connection_the_server_dropped_between_batches_costs_no_batch(engine: AsyncEngine) -> None:
    """The writer keeps its connection; if the server ends it (a restart, an idle timeout), the
    next batch finds out before sending anything of itself and goes on a new connection."""
    room = await Room(engine).create("owner", "alice")
    try:
        first = await room.commit(room.send("alice", "before"))
        assert isinstance(first[0], CommitResult) and first[0].message.seq == 1
        async with engine.connect() as admin:
            dropped = await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert any(row[0] for row in dropped)
        after = await room.commit(room.send("alice", "after"))
        assert isinstance(after[0], CommitResult) and after[0].message.seq == 2
        assert await room.last_seq() == 2
    finally:
        await room.close()
