"""The search contract, on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): substrings of 3+
characters in any script, case-insensitive, the current text only, only rooms the user is in
now, newest first, paging without repeats or gaps — and every query answered from the index."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.models import utcnow
from roomcast.storage.records import DELETED, EDITED, CommitResult, Draft, MessageDraft, MessageRecord, UpdateDraft
from roomcast.storage.rooms import SqlRoomStore
from roomcast.storage.search import PostgresSearchStore, SearchQuery, SearchStore, search_store
from roomcast.storage.writer import BatchStore, batch_store
from tests.contract.seed import add_user


class World:
    """Users and rooms, written through the real group commit (so the index follows it)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.batches: BatchStore = batch_store(engine)
        self.rooms = SqlRoomStore(engine)
        self.search: SearchStore = search_store(engine)
        self.users: dict[str, uuid.UUID] = {}

    async def user(self, name: str) -> uuid.UUID:
        self.users[name] = await add_user(self.engine, name)
        return self.users[name]

    async def room(self, owner: str, *members: str, private: bool = False) -> uuid.UUID:
        room = await self.rooms.create(self.users[owner], f"room of {owner}", "", private, list(members))
        return room.id

    async def send(self, room_id: uuid.UUID, who: str, *contents: str) -> list[MessageRecord]:
        drafts: list[Draft] = [MessageDraft(room_id, self.users[who], who, c, None, "", 0.0) for c in contents]
        outcomes = await self.batches.commit(drafts, False, utcnow())
        assert all(isinstance(o, CommitResult) for o in outcomes), outcomes
        return [o.message for o in outcomes if isinstance(o, CommitResult)]

    async def change(self, message: MessageRecord, who: str, change: str, content: str | None = None) -> None:
        draft = UpdateDraft(message.room_id, self.users[who], who, message.id, change, content, None, None, "", 0.0)
        (outcome,) = await self.batches.commit([draft], False, utcnow())
        assert not isinstance(outcome, Exception), outcome

    async def find(self, who: str, *terms: str, room_id: uuid.UUID | None = None, limit: int = 50) -> list[str]:
        page = await self.search.search(self.users[who], SearchQuery(terms, limit, room_id))
        return [m.content for m in page.results]


@pytest.fixture
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    made = World(engine)
    for name in ("alice", "bob", "eve"):
        await made.user(name)
    yield made
    await made.batches.close()


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (("deploy",), ["Deploying the new build tonight", "who can deploy?"]),
        (("PLOY",), ["Deploying the new build tonight", "who can deploy?"]),  # part of a word, any case
        (("new build",), ["Deploying the new build tonight"]),  # a phrase, its space included
        (("tonight", "build"), ["Deploying the new build tonight"]),  # every term required
        (("tonight", "who"), []),
        (("タワー",), ["東京タワーに行きました"]),  # CJK, no spaces between words
        (("京タワ",), ["東京タワーに行きました"]),
        (("서울시",), ["서울시청 앞에서 만나요"]),
        (("ÉCOLE",), ["L'école est fermée"]),  # case folding beyond ASCII
        (("example.com/docs?",), ["read https://example.com/docs?page=2 first"]),  # URLs, punctuation
        (("foo_bar(",), ["call foo_bar(42) then 100% done"]),  # LIKE's own wildcards are literal
        (("0% d",), ["call foo_bar(42) then 100% done"]),
        (("_ba",), ["call foo_bar(42) then 100% done"]),
        (("404",), ["error 404 on /api"]),  # numbers
        (("the", "ca"), ["call foo_bar(42) then 100% done"]),  # a short term filters what the index found
        (("zzz",), []),
    ],
)
async def test_matches_words_and_parts_of_words_in_any_script(
    world: World, terms: tuple[str, ...], expected: list[str]
) -> None:
    room = await world.room("alice", "bob")
    await world.send(
        room,
        "bob",
        "who can deploy?",
        "Deploying the new build tonight",
        "東京タワーに行きました",
        "서울시청 앞에서 만나요",
        "L'école est fermée",
        "read https://example.com/docs?page=2 first",
        "call foo_bar(42) then 100% done",
        "error 404 on /api",
    )
    found = await world.find("alice", *terms)
    assert sorted(found) == sorted(expected)


def plans(world: World) -> list[SearchStore]:
    """The store as the app builds it; on PostgreSQL also with a walk of the newest 3 messages
    only, so that a page is made of the walk's matches and the trigram index's."""
    if world.engine.dialect.name != "postgresql":
        return [world.search]
    return [world.search, PostgresSearchStore(world.engine, recent=3)]


async def test_newest_first_and_paging_repeats_and_skips_nothing(world: World) -> None:
    first, second = await world.room("alice", "bob"), await world.room("bob", "alice")
    alice = world.users["alice"]
    for run, store in enumerate(plans(world)):
        needle = f"needle{run}"
        sent: list[MessageRecord] = []
        for index in range(25):
            room = first if index % 3 else second
            sent += await world.send(room, "bob", f"{needle} {index}")
            await world.send(room, "bob", "hay")
        newest_first = [m.content for m in reversed(sent)]

        seen: list[str] = []
        after: uuid.UUID | None = None
        pages = 0
        while True:
            page = await store.search(alice, SearchQuery((needle,), 10, None, after))
            seen += [m.content for m in page.results]
            pages += 1
            if pages == 1:  # written between two pages: newer than the page, never on a later one
                await world.send(first, "bob", f"{needle} late")
            if not page.more:
                break
            after = page.results[-1].id
        assert pages == 3
        assert seen == newest_first
        results = (await store.search(alice, SearchQuery((needle,), 3))).results
        assert [m.content for m in results] == [f"{needle} late", *newest_first[:2]]
        assert all(m.sender_username == "bob" and m.seq > 0 for m in results), "whole messages, with their seq"


async def test_a_room_filter_narrows_to_that_room(world: World) -> None:
    first, second = await world.room("alice"), await world.room("alice")
    await world.send(first, "alice", "apples in the first")
    await world.send(second, "alice", "apples in the second")
    assert await world.find("alice", "apples", room_id=first) == ["apples in the first"]
    assert await world.find("alice", "apples", room_id=uuid.uuid4()) == []


async def test_edits_match_their_current_text_only(world: World) -> None:
    room = await world.room("alice", "bob")
    (message,) = await world.send(room, "alice", "the original wording")
    await world.change(message, "alice", EDITED, "a replacement text")
    assert await world.find("bob", "original") == []
    assert await world.find("bob", "replacement") == ["a replacement text"]


async def test_a_deleted_message_never_matches_and_leaves_nothing_in_the_index(world: World) -> None:
    room = await world.room("alice", "bob")
    (message,) = await world.send(room, "alice", "my secret plan")
    await world.change(message, "alice", DELETED)
    assert await world.find("bob", "secret") == []
    assert await world.find("alice", "plan") == []
    if world.engine.dialect.name == "sqlite":
        async with world.engine.connect() as conn:
            indexed = await conn.execute(text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"secret\"'"))
            assert indexed.all() == [], "the text is gone from the index as from the table"
            await conn.execute(text("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"))


async def test_only_rooms_the_user_is_in_now(world: World) -> None:
    public = await world.room("alice", "bob")
    private = await world.room("alice", private=True)
    await world.send(public, "alice", "public words here")
    await world.send(private, "alice", "private words here")
    assert sorted(await world.find("alice", "words")) == ["private words here", "public words here"]
    assert await world.find("bob", "words") == ["public words here"]
    assert await world.find("eve", "words") == [], "not a member: nothing, not even the public room"
    assert await world.find("eve", "words", room_id=private) == []

    for store in plans(world):
        bobs = (await store.search(world.users["bob"], SearchQuery(("words",), 10))).results
        assert [m.content for m in bobs] == ["public words here"]
    assert await world.rooms.delete_participant(public, world.users["bob"])
    assert await world.find("bob", "words") == [], "a room left stops matching"
    assert await world.find("bob", "words", room_id=public) == []


async def test_a_deleted_room_leaves_nothing_behind(world: World) -> None:
    room = await world.room("alice", "bob")
    await world.send(room, "alice", "soon gone")
    await world.rooms.delete(room)
    assert await world.find("alice", "gone") == []
    other = await world.room("alice")
    await world.send(other, "alice", "still here, not gone")
    assert await world.find("alice", "gone") == ["still here, not gone"]
    if world.engine.dialect.name == "sqlite":
        async with world.engine.connect() as conn:
            await conn.execute(text("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"))


async def test_a_page_after_a_message_gone_with_its_room_goes_on_from_its_time(world: World) -> None:
    kept = await world.room("alice")
    older = await world.send(kept, "alice", "topic one", "topic two")
    doomed = await world.room("alice")
    (gone,) = await world.send(doomed, "alice", "topic three")
    newer = await world.send(kept, "alice", "topic four")
    await world.rooms.delete(doomed)
    alice = world.users["alice"]
    page = await world.search.search(alice, SearchQuery(("topic",), 10, None, gone.id))
    assert [m.content for m in page.results] == ["topic two", "topic one"]
    assert not page.more
    (first,) = (await world.search.search(alice, SearchQuery(("topic",), 1))).results
    assert first.id == newer[0].id
    late = uuid.UUID(int=(1 << 128) - 1)  # after every message: everything is older
    assert len((await world.search.search(alice, SearchQuery(("topic",), 10, None, late))).results) == 3
    assert older[0].id in {m.id for m in (await world.search.search(alice, SearchQuery(("one",), 10))).results}


async def test_every_query_is_answered_from_the_index(world: World) -> None:
    room = await world.room("alice", "bob")
    for index in range(40):
        await world.send(room, "bob", f"message number {index} about nothing")
    alice = world.users["alice"]
    for room_id in (None, room):
        plan = await query_plan(world, world.search.statement(alice, SearchQuery(("number 7", "ab"), 20, room_id)))
        text_plan = "\n".join(plan)
        if world.engine.dialect.name == "sqlite":
            assert any(step.startswith("SCAN messages_fts VIRTUAL TABLE INDEX") for step in plan), text_plan
            assert "SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)" in plan, text_plan
            assert not any(step.startswith("SCAN messages ") or "TEMP B-TREE" in step for step in plan), text_plan
        else:
            assert "Seq Scan on messages" not in text_plan, text_plan
            if room_id is None:  # in one room, its own index may be the cheaper way in
                assert "Bitmap Index Scan on ix_messages_content_trgm" in text_plan, text_plan


async def query_plan(world: World, statement: Select[tuple[object, ...]]) -> list[str]:
    async with world.engine.connect() as conn:
        if world.engine.dialect.name == "sqlite":
            compiled = statement.compile(world.engine.sync_engine)
            values = tuple(
                value.hex if isinstance(value, uuid.UUID) else value
                for value in (compiled.params[name] for name in compiled.positiontup or ())
            )
            return [row[3] for row in await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values)]
        # With a few rows a sequential scan is the cheapest plan; barring it (and the primary
        # key walk) shows which index answers the query.
        await conn.execute(text("ANALYZE"))
        await conn.execute(text("SET enable_seqscan = off"))
        await conn.execute(text("SET enable_indexscan = off"))
        compiled = statement.compile(world.engine.sync_engine, compile_kwargs={"literal_binds": True})
        return [str(row[0]).strip() for row in await conn.execute(text("EXPLAIN " + str(compiled)))]
