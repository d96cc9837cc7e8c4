"""The message log's contract, on SQLite and PostgreSQL: the batch commit (`BatchStore`) and the
reads (`MessageStore`) — one gap-free seq per room over messages and changes, every refusal
storing nothing, and the log read back collapsed to each message's newest state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.config import load_settings
from roomcast.storage.database import create_engine
from roomcast.storage.errors import MessageDeleted, NotAllowed, NotParticipant, TooManyReactions, UnknownMessage
from roomcast.storage.messages import SqlMessageStore
from roomcast.storage.models import utcnow
from roomcast.storage.plan import MAX_REACTIONS
from roomcast.storage.queries import messages, rooms
from roomcast.storage.records import (
    DELETED,
    EDITED,
    REACTION_ADDED,
    REACTION_REMOVED,
    CommitResult,
    Draft,
    MessageDraft,
    Outcome,
    UpdateDraft,
    UpdateResult,
)
from roomcast.storage.rooms import SqlRoomStore
from roomcast.storage.writer import BatchStore, batch_store
from tests.contract.conftest import SECRET
from tests.contract.seed import add_user


class Room:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.batches: BatchStore = batch_store(engine)
        self.reads = SqlMessageStore(engine)
        self.id = uuid.uuid4()
        self.users: dict[str, uuid.UUID] = {}

    async def create(self, owner: str, *members: str) -> Room:
        for name in (owner, *members):
            self.users[name] = await add_user(self.engine, name)
        room = await SqlRoomStore(self.engine).create(self.users[owner], "general", "", False, list(members))
        self.id = room.id
        return self

    def send(self, who: str, content: str, client_id: str | None = None, reply_to: uuid.UUID | None = None) -> Draft:
        return MessageDraft(self.id, self.users[who], who, content, client_id, "", 0.0, reply_to)

    def change(
        self, who: str, message_id: uuid.UUID, change: str, content: str | None = None, emoji: str | None = None
    ) -> Draft:
        return UpdateDraft(self.id, self.users[who], who, message_id, change, content, emoji, None, "", 0.0)

    async def commit(self, *drafts: Draft, lookup: bool = False) -> list[Outcome]:
        return await self.batches.commit(list(drafts), lookup, utcnow())

    async def last_seq(self) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(rooms.c.last_seq).where(rooms.c.id == self.id))).scalar_one()

    async def close(self) -> None:
        await self.batches.close()


@pytest.fixture
async def room(engine: AsyncEngine) -> AsyncIterator[Room]:
    made = await Room(engine).create("owner", "alice", "bob")
    yield made
    await made.close()


def sent(outcome: Outcome) -> CommitResult:
    assert isinstance(outcome, CommitResult), outcome
    return outcome


def changed(outcome: Outcome) -> UpdateResult:
    assert isinstance(outcome, UpdateResult), outcome
    return outcome


def seqs(outcomes: Sequence[Outcome]) -> list[int | None]:
    return [o.message.seq if isinstance(o, CommitResult) else changed(o).update.seq for o in outcomes]


async def test_messages_and_changes_share_one_gap_free_seq(room: Room) -> None:
    first = sent((await room.commit(room.send("alice", "hello")))[0]).message
    outcomes = await room.commit(
        room.send("bob", "hi"),
        room.change("alice", first.id, EDITED, content="hello!"),
        room.change("bob", first.id, REACTION_ADDED, emoji="👍"),
        room.send("alice", "third"),
    )
    assert seqs(outcomes) == [2, 3, 4, 5]
    assert await room.last_seq() == 5
    # Each change's message is the state after that change, not after the batch.
    assert changed(outcomes[1]).update.message.content == "hello!"
    assert changed(outcomes[1]).update.message.reactions == ()
    assert changed(outcomes[2]).update.message.reactions == (("👍", (str(room.users["bob"]),)),)
    stored, _ = await room.reads.page(room.id, 10)
    assert [(m.seq, m.content, m.version) for m in stored] == [(1, "hello!", 4), (2, "hi", 2), (5, "third", 5)]
    assert stored[0].edited_at is not None


async def test_refusals_store_nothing_and_take_no_seq(room: Room) -> None:
    alices = sent((await room.commit(room.send("alice", "mine")))[0]).message
    stranger = await add_user(room.engine, "stranger")
    outsider = MessageDraft(room.id, stranger, "stranger", "let me in", None, "", 0.0)
    elsewhere = UpdateDraft(uuid.uuid4(), room.users["alice"], "alice", alices.id, EDITED, "x", None, None, "", 0.0)
    outcomes = await room.commit(
        outsider,
        room.change("bob", alices.id, EDITED, content="not yours"),
        room.change("bob", alices.id, DELETED),
        room.change("alice", uuid.uuid4(), EDITED, content="no such message"),
        room.send("bob", "reply to nothing", reply_to=uuid.uuid4()),
        elsewhere,
    )
    kinds = [NotParticipant, NotAllowed, NotAllowed, UnknownMessage, UnknownMessage, NotParticipant]
    assert [type(o) for o in outcomes] == kinds
    assert await room.last_seq() == 1
    stored, _ = await room.reads.page(room.id, 10)
    assert [(m.content, m.version) for m in stored] == [("mine", 1)]


async def test_delete_erases_and_ends_every_other_change(room: Room) -> None:
    bobs = sent((await room.commit(room.send("bob", "secret")))[0]).message
    await room.commit(room.change("alice", bobs.id, REACTION_ADDED, emoji="🎉"))
    # An admin or the owner may delete another's message; the sender may delete their own.
    deletion = changed((await room.commit(room.change("owner", bobs.id, DELETED)))[0]).update
    assert (deletion.seq, deletion.message.deleted, deletion.message.content, deletion.message.reactions) == (
        3,
        True,
        "",
        (),
    )
    again, edit, react, reply = await room.commit(
        room.change("bob", bobs.id, DELETED),
        room.change("bob", bobs.id, EDITED, content="back"),
        room.change("alice", bobs.id, REACTION_ADDED, emoji="🎉"),
        room.send("alice", "re", reply_to=bobs.id),
    )
    assert changed(again).update.seq is None  # deleting twice logs nothing
    assert isinstance(edit, MessageDeleted) and isinstance(react, MessageDeleted) and isinstance(reply, MessageDeleted)
    assert await room.last_seq() == 3
    async with room.engine.connect() as conn:
        row = (await conn.execute(select(messages).where(messages.c.id == bobs.id))).one()
    assert (row.content, row.deleted, row.reactions) == ("", True, None)


async def test_reactions_are_idempotent_and_ordered_by_first_use(room: Room) -> None:
    message = sent((await room.commit(room.send("owner", "vote")))[0]).message
    outcomes = await room.commit(
        room.change("alice", message.id, REACTION_ADDED, emoji="👍"),
        room.change("bob", message.id, REACTION_ADDED, emoji="🎉"),
        room.change("bob", message.id, REACTION_ADDED, emoji="👍"),
        room.change("alice", message.id, REACTION_ADDED, emoji="👍"),
        room.change("owner", message.id, REACTION_REMOVED, emoji="👍"),
    )
    assert seqs(outcomes) == [2, 3, 4, None, None]
    alice, bob = str(room.users["alice"]), str(room.users["bob"])
    assert changed(outcomes[4]).update.message.reactions == (("👍", (alice, bob)), ("🎉", (bob,)))
    removed = await room.commit(room.change("alice", message.id, REACTION_REMOVED, emoji="👍"))
    assert changed(removed[0]).update.message.reactions == (("👍", (bob,)), ("🎉", (bob,)))
    (stored,), _ = await room.reads.page(room.id, 1)
    assert stored.as_dict()["reactions"] == [
        {"emoji": "👍", "count": 1, "user_ids": [bob]},
        {"emoji": "🎉", "count": 1, "user_ids": [bob]},
    ]


async def test_a_reply_quotes_its_parent_as_it_stands(room: Room) -> None:
    parent = sent((await room.commit(room.send("alice", "x" * 300)))[0]).message
    reply = sent((await room.commit(room.send("bob", "indeed", reply_to=parent.id)))[0]).message
    assert reply.reply_to is not None
    assert (reply.reply_to.id, reply.reply_to.seq, reply.reply_to.sender_username) == (parent.id, 1, "alice")
    assert reply.reply_to.content == "x" * 200
    await room.commit(room.change("alice", parent.id, EDITED, content="short"))
    assert (await room.reads.page(room.id, 10))[0][1].reply_to.content == "short"  # type: ignore[union-attr]
    (deletion,) = await room.commit(room.change("alice", parent.id, DELETED))
    # The commit hands back the replies as they read now: the cache replaces its copies.
    (stored,) = changed(deletion).replies
    assert stored.id == reply.id and stored.reply_to is not None and stored.reply_to.content == ""
    assert (await room.reads.page(room.id, 10))[0][1].reply_to.content == ""  # type: ignore[union-attr]


async def test_a_repeated_client_id_is_found_not_stored_twice(room: Room) -> None:
    original = sent((await room.commit(room.send("alice", "once", client_id="c1")))[0]).message
    again, twin = await room.commit(
        room.send("alice", "once", client_id="c1"), room.send("alice", "once", client_id="c1"), lookup=True
    )
    assert sent(again).duplicate and sent(again).message.id == original.id
    assert sent(twin).duplicate and sent(twin).message.id == original.id
    assert await room.last_seq() == 1


async def test_the_events_feed_collapses_and_pages_without_gaps(room: Room) -> None:
    old = sent((await room.commit(room.send("alice", "old")))[0]).message  # 1
    await room.commit(room.send("bob", "also old"))  # 2
    await room.commit(room.change("alice", old.id, EDITED, content="old, edited"))  # 3
    new = sent((await room.commit(room.send("bob", "new")))[0]).message  # 4
    await room.commit(room.change("alice", old.id, REACTION_ADDED, emoji="👍"))  # 5
    await room.commit(room.change("bob", new.id, EDITED, content="new, edited"))  # 6
    await room.commit(room.send("owner", "newest"))  # 7

    page = await room.reads.events(room.id, 2, 100)
    assert [(e.seq, e.update is None, e.message.content) for e in page.events] == [
        (4, True, "new, edited"),  # created after 2: once, in its newest state
        (5, False, "old, edited"),  # older, changed after 2: its newest change only
        (7, True, "newest"),
    ]
    assert page.events[1].update is not None
    assert (page.events[1].update.change, page.events[1].update.actor_username, page.events[1].update.emoji) == (
        REACTION_ADDED,
        "alice",
        "👍",
    )
    assert not page.has_more

    seen: dict[uuid.UUID, str] = {}
    after, pages = 0, 0
    while True:
        page = await room.reads.events(room.id, after, 2)
        pages += 1
        for event in page.events:
            assert event.seq > after
            seen[event.message.id] = event.message.content
            after = event.seq
        if not page.has_more:
            break
    assert pages == 3
    assert sorted(seen.values()) == ["also old", "new, edited", "newest", "old, edited"]
    gap = await room.reads.events(room.id, 3, 10, upto=6)
    assert [e.seq for e in gap.events] == [4, 5]


async def test_recent_is_one_snapshot_with_its_position(room: Room) -> None:
    assert (await room.reads.recent(room.id, 5)).messages == []
    for n in range(4):
        await room.commit(room.send("alice", f"m{n}"))
    first = (await room.reads.page(room.id, 1, after_seq=0))[0][0]
    await room.commit(room.change("bob", first.id, REACTION_ADDED, emoji="👀"))
    snapshot = await room.reads.recent(room.id, 3)
    assert [m.content for m in snapshot.messages] == ["m1", "m2", "m3"]
    assert snapshot.as_of == 5


async def test_concurrent_writers_keep_the_seq_gap_free(room: Room, database: str) -> None:
    """Two instances' writers (two engines) on one room: seqs 1..N, each exactly once."""
    other = create_engine(load_settings(database_url=database, jwt_secret=SECRET))
    theirs = batch_store(other)
    target = sent((await room.commit(room.send("alice", "target")))[0]).message
    try:

        async def burst(store: BatchStore, who: str, n: int) -> list[Outcome]:
            outcomes: list[Outcome] = []
            for i in range(n):
                drafts: list[Draft] = [
                    room.send(who, f"{who} {i}"),
                    room.change(who, target.id, REACTION_ADDED, emoji=f"e{i}"),
                ]
                for attempt in range(50):
                    try:
                        outcomes += await store.commit(drafts, False, utcnow())
                        break
                    except Exception:  # SQLite: the other writer holds the lock; try again
                        await asyncio.sleep(0.01 * (attempt + 1))
            return outcomes

        mine, their = await asyncio.gather(burst(room.batches, "alice", 15), burst(theirs, "bob", 15))
    finally:
        await theirs.close()
        await other.dispose()
    every = sorted(s for s in seqs([*mine, *their]) if s is not None)
    assert every == list(range(2, 62))
    assert await room.last_seq() == 61
    (stored,) = [m for m in (await room.reads.page(room.id, 200))[0] if m.id == target.id]
    assert sum(len(users) for _, users in stored.reactions) == 30 and stored.version == max(
        changed(o).update.seq or 0 for o in [*mine, *their] if isinstance(o, UpdateResult)
    )


async def test_an_edit_to_the_same_text_logs_nothing(room: Room) -> None:
    message = sent((await room.commit(room.send("alice", "same")))[0]).message
    (outcome,) = await room.commit(room.change("alice", message.id, EDITED, content="same"))
    assert changed(outcome).update.seq is None and changed(outcome).update.message.edited_at is None
    assert await room.last_seq() == 1


async def test_a_message_takes_a_bounded_number_of_different_reactions(room: Room) -> None:
    message = sent((await room.commit(room.send("alice", "popular")))[0]).message
    await room.commit(*(room.change("bob", message.id, REACTION_ADDED, emoji=f"e{n}") for n in range(MAX_REACTIONS)))
    one_more, existing = await room.commit(
        room.change("alice", message.id, REACTION_ADDED, emoji="new"),
        room.change("alice", message.id, REACTION_ADDED, emoji="e0"),
    )
    assert isinstance(one_more, TooManyReactions)
    assert changed(existing).update.seq == MAX_REACTIONS + 2


async def test_both_writers_store_what_sqlalchemy_reads(room: Room) -> None:
    """The SQLite fast path stores values exactly as SQLAlchemy does (dates, ids, flags)."""
    message = sent((await room.commit(room.send("alice", "typed", client_id="t1")))[0]).message
    async with room.engine.connect() as conn:
        row = (await conn.execute(select(messages).where(messages.c.id == message.id))).one()
    assert row.created_at.replace(tzinfo=None) == message.created_at.replace(tzinfo=None)
    assert (row.id, row.room_id, row.deleted, row.client_id) == (message.id, room.id, False, "t1")
    (again,) = await room.commit(room.send("alice", "typed", client_id="t1"), lookup=True)
    assert sent(again).duplicate and sent(again).message.created_at.replace(tzinfo=None) == row.created_at.replace(
        tzinfo=None
    )
