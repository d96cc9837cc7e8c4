"""The group commit writer (`storage.writer`), on SQLite and PostgreSQL: a batch's announcement
(cache, publish) runs while the next batch commits, announcements go out one at a time in commit
order, and no sender is answered before its own batch has been announced."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.config import load_settings
from roomcast.storage.database import create_engine
from roomcast.storage.errors import NotParticipant
from roomcast.storage.models import utcnow
from roomcast.storage.postgres_commit import PostgresBatchStore
from roomcast.storage.queries import messages
from roomcast.storage.records import EDITED, CommitResult, MessageDraft
from roomcast.storage.rooms import SqlRoomStore
from roomcast.storage.writer import Committed, GroupCommitWriter
from tests.contract.conftest import SECRET
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
    next batch goes on a new connection once it finds out (at its BEGIN, or, sent as one
    statement, when none of its message ids is stored): no batch fails, none is stored twice."""
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


class AnswerLost:
    """An asyncpg connection whose next `fetch` runs, then loses its answer with the connection."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver

    def is_closed(self) -> bool:
        return bool(self._driver.is_closed())

    async def fetch(self, *args: Any) -> Any:
        await self._driver.fetch(*args)
        self._driver.terminate()
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_batch_committed_whose_answer_was_lost_is_answered_from_what_it_stored(engine: AsyncEngine) -> None:
    """A one-statement batch that committed before the connection broke is not committed again:
    its senders get the stored messages (new, to be announced), its refusals are decided again."""
    room = await Room(engine).create("owner", "alice", "bob")
    try:
        store = room.batches
        assert isinstance(store, PostgresBatchStore)
        await room.commit(room.send("alice", "first"))
        assert await SqlRoomStore(engine).delete_participant(room.id, room.users["bob"])
        store._driver = AnswerLost(store._driver)
        outcomes = await room.commit(room.send("alice", "a", "c1"), room.send("bob", "b"), room.send("alice", "c"))
        assert [type(o) for o in outcomes] == [CommitResult, NotParticipant, CommitResult]
        sent = [o for o in outcomes if isinstance(o, CommitResult)]
        assert [(o.message.seq, o.message.content, o.duplicate) for o in sent] == [(2, "a", False), (3, "c", False)]
        assert await room.last_seq() == 3
        async with engine.connect() as conn:
            stored = (await conn.execute(select(messages.c.seq).where(messages.c.room_id == room.id))).scalars()
            assert sorted(stored) == [1, 2, 3]
    finally:
        await room.close()


class TurnCounter:
    """A TCP relay to PostgreSQL that counts round trips: each time the client speaks after the
    server did (or first) is one."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.turns = 0
        self._last = "server"
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, side: str) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if side == "client" and self._last == "server":
                        self.turns += 1
                    self._last = side
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer, "client"), pipe(up_reader, writer, "server"))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_batch_of_new_messages_is_one_round_trip_to_postgresql(engine: AsyncEngine, database: str) -> None:
    """The steady state of the group commit on PostgreSQL: one statement, one round trip, for a
    batch of new messages in many rooms; a batch with a change still goes as a transaction."""
    url = make_url(database)
    counter = TurnCounter(url.host or "127.0.0.1", url.port or 5432)
    port = await counter.start()
    relayed_url = url.set(port=port).render_as_string(hide_password=False)
    relayed = create_engine(load_settings(database_url=relayed_url, jwt_secret=SECRET))
    rooms = [await Room(relayed).create(f"owner{n}", f"alice{n}", f"bob{n}") for n in range(3)]
    store = rooms[0].batches
    try:
        assert isinstance(store, PostgresBatchStore)
        batch = [room.send(who, f"{who} here") for room in rooms for who in room.users]
        await store.commit(batch, False, utcnow())  # the first one prepares the statement
        before = counter.turns
        again = [room.send(f"owner{n}", "again") for n, room in enumerate(rooms)]
        outcomes = await store.commit(again, False, utcnow())
        assert counter.turns - before == 1
        assert all(isinstance(o, CommitResult) for o in outcomes)
        first = outcomes[0]
        assert isinstance(first, CommitResult)
        before = counter.turns
        edit = rooms[0].change("owner0", first.message.id, EDITED, "changed")
        await store.commit([edit, rooms[1].send("alice1", "and a message")], False, utcnow())
        assert counter.turns - before > 1  # the general transaction, counted the same way
    finally:
        for room in rooms:
            await room.close()
        await relayed.dispose()
        await counter.close()
