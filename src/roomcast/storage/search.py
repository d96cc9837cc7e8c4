"""Full-text search over the rooms a user participates in, each database on its real index.

Both indexes hold trigrams of each message's *current* text, kept by the database itself in
the transaction that writes the message (SQLite: triggers into an FTS5 table with the
`trigram` tokenizer; PostgreSQL: a `pg_trgm` GIN index on `messages.content`). An edit replaces
the old text in the index, a delete erases the content and so its trigrams, in the same commit
that changes the row: no reader ever sees a change without its index. Migration 0005 creates
both and indexes the messages already stored.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, Integer, Select, and_, column, false, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.queries import like_pattern, messages, participants, select_messages
from roomcast.storage.records import MessageRecord, record_from_row

# The shortest term an index can look up: one trigram.
MIN_INDEXED_TERM = 3
ROWID_MAX = 2**63 - 1
# The newest messages PostgreSQL walks by primary key before it asks the trigram index.
RECENT_WINDOW = 20_000

_fts = table("messages_fts", column("rowid", Integer))
_fts_rowid = literal_column("messages_fts.rowid", Integer)
_message_rowid = literal_column("messages.rowid", Integer)
_fts_match: ColumnElement[str] = literal_column("messages_fts")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Every term must occur in a message's text, case-insensitively, as a substring; at least
    one of them is `MIN_INDEXED_TERM` characters or longer (the index answers those; shorter
    ones only filter what it found)."""

    terms: tuple[str, ...]
    limit: int
    room_id: uuid.UUID | None = None
    after: uuid.UUID | None = None  # the last result of the previous page


@dataclass(frozen=True, slots=True)
class SearchPage:
    results: list[MessageRecord]
    more: bool


class SearchStore(Protocol):
    """Messages matching a query in the rooms `user_id` participates in when it runs, newest
    first, in their current state; a deleted message never matches. `more` says whether a page
    with `after` = this page's last message follows: paging repeats and skips nothing, whatever
    is sent meanwhile (newer messages sort before the page). Every query is answered from the
    index, never by a scan of the messages."""

    async def search(self, user_id: uuid.UUID, query: SearchQuery) -> SearchPage: ...

    def statement(self, user_id: uuid.UUID, query: SearchQuery) -> Select[tuple[object, ...]]:
        """The one statement `search` runs (for its query plan)."""
        ...


def search_store(engine: AsyncEngine) -> SearchStore:
    if engine.dialect.name == "sqlite":
        return SqliteSearchStore(engine)
    return PostgresSearchStore(engine)


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 query: each indexed term as a quoted phrase (a substring for the trigram
    tokenizer), all of them required."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _readable_by(user_id: uuid.UUID) -> ColumnElement[bool]:
    return and_(participants.c.room_id == messages.c.room_id, participants.c.user_id == user_id)


class _SqlSearchStore(ABC):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def search(self, user_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(self.statement(user_id, query))).mappings().all()
        return SearchPage([record_from_row(row) for row in rows[: query.limit]], len(rows) > query.limit)

    def statement(self, user_id: uuid.UUID, query: SearchQuery) -> Select[tuple[object, ...]]:
        statement = self._matching(query)
        statement = statement.join(participants, _readable_by(user_id)).where(messages.c.deleted == false())
        if query.room_id is not None:
            statement = statement.where(messages.c.room_id == query.room_id)
        return statement.limit(query.limit + 1)

    @abstractmethod
    def _matching(self, query: SearchQuery) -> Select[tuple[object, ...]]:
        """Messages matching the terms, newest first, older than `query.after`."""


class SqliteSearchStore(_SqlSearchStore):
    """FTS5 walks its matches by rowid, newest first (one writer inserts in commit order): a
    page stops after `limit` readable matches instead of sorting them all."""

    def _matching(self, query: SearchQuery) -> Select[tuple[object, ...]]:
        indexed = [term for term in query.terms if len(term) >= MIN_INDEXED_TERM]
        statement = (
            select_messages()
            .join(_fts, _fts_rowid == _message_rowid)
            .where(_fts_match.op("MATCH")(fts_query(indexed)))
            .order_by(_fts_rowid.desc())
        )
        for term in query.terms:
            if len(term) < MIN_INDEXED_TERM:
                statement = statement.where(messages.c.content.ilike(like_pattern(term), escape="\\"))
        if query.after is not None:
            statement = statement.where(_fts_rowid < _rowid_of(query.after))
        return statement


class PostgresSearchStore(_SqlSearchStore):
    """ILIKE per term; message ids are UUIDv7, in time order (strictly, within an instance), so
    newest first is by id.

    The planner cannot tell how many messages contain a substring (it guesses about 0.01 % or
    1 %), and a wrong guess costs a walk of the whole primary key or a sort of every match. So
    the plan is chosen here, in one transaction: the newest `recent` messages are walked by
    primary key, which finds a page of any term that is common; only when they hold less than
    a page does the `pg_trgm` GIN index find the rest, and then the term is rare enough for
    its matches to be few."""

    def __init__(self, engine: AsyncEngine, recent: int = RECENT_WINDOW) -> None:
        super().__init__(engine)
        self._recent = recent

    async def search(self, user_id: uuid.UUID, query: SearchQuery) -> SearchPage:
        statement = self.statement(user_id, query)
        edge = select(messages.c.id).order_by(messages.c.id.desc()).offset(self._recent).limit(1)
        if query.after is not None:
            edge = edge.where(messages.c.id < query.after)
        async with self._engine.begin() as conn:
            boundary = (await conn.execute(edge)).scalar_one_or_none()
            if boundary is None:  # fewer messages than the walk reads anyway
                rows = list((await conn.execute(statement)).mappings())
            else:
                for setting in ("enable_seqscan", "enable_bitmapscan"):
                    await conn.execute(text(f"SET LOCAL {setting} = off"))
                rows = list((await conn.execute(statement.where(messages.c.id > boundary))).mappings())
                if len(rows) <= query.limit:
                    await conn.execute(text("SET LOCAL enable_bitmapscan = on"))
                    await conn.execute(text("SET LOCAL enable_indexscan = off"))
                    rows += (await conn.execute(statement.where(messages.c.id <= boundary))).mappings()
        return SearchPage([record_from_row(row) for row in rows[: query.limit]], len(rows) > query.limit)

    def _matching(self, query: SearchQuery) -> Select[tuple[object, ...]]:
        statement = select_messages().order_by(messages.c.id.desc())
        for term in query.terms:
            statement = statement.where(messages.c.content.ilike(like_pattern(term), escape="\\"))
        if query.after is not None:
            statement = statement.where(messages.c.id < query.after)
        return statement


def _rowid_of(message_id: uuid.UUID) -> ColumnElement[int]:
    """The rowid of the message, or for an id no message has (its room was deleted since), of
    the next newer message by id: the ids are time-ordered as the rowids are."""
    exact = select(_message_rowid).where(messages.c.id == message_id).scalar_subquery()
    newer = select(_message_rowid).where(messages.c.id > message_id).order_by(messages.c.id).limit(1)
    return func.coalesce(exact, newer.scalar_subquery(), ROWID_MAX)
