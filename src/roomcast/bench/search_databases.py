"""The two databases of `roomcast bench search`, side by side: each made and migrated as
`roomcast migrate` does, filled as fast as it can take rows, asked for its index's size and a
query's plan, and its index turned off for the write-path comparison.

SQLite: a file in the given folder; the rows go in through the sqlite3 module in transactions
of `CHUNK` messages (`synchronous=OFF`: this is the bench's set-up, not a commit under test)
with the migration's insert trigger dropped, then FTS5's 'rebuild' indexes them all and the
trigger is put back (twice as fast as filling with the trigger active on a million messages,
which `with_triggers` does instead).
PostgreSQL: database `roomcast_bench_search` on the server of ROOMCAST_BENCH_POSTGRES, dropped
at the end; the rows go in by COPY without the trigram index, which is then built from the
definition the migration left in `pg_indexes` (its build timed), then VACUUM ANALYZE.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy import Select, Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.bench.corpus import Corpus
from roomcast.bench.postgres import POSTGRES, database_url, drop_database, recreate_database
from roomcast.bench.search_rows import (
    MESSAGE_COLUMNS,
    PARTICIPANT_COLUMNS,
    ROOM_COLUMNS,
    USER_COLUMNS,
    Row,
    World,
)
from roomcast.config import load_settings
from roomcast.storage.database import create_engine
from roomcast.storage.migrate import upgrade_engine
from roomcast.storage.queries import messages, participants, rooms, users

DATABASE = "roomcast_bench_search"
CHUNK = 50_000  # messages per transaction (SQLite) or COPY (PostgreSQL)
SECRET = "roomcast-bench-search-not-a-secret-0123456789"
TRIGRAM_INDEX = "ix_messages_content_trgm"
FTS_TRIGGERS = ("messages_fts_insert", "messages_fts_delete", "messages_fts_update")
Progress = Callable[[str], None]


@dataclass
class FillTimes:
    messages: int = 0
    total: float = 0.0  # wall seconds of the whole fill, text generation included
    writes: float = 0.0  # of which spent writing rows (the FTS5 index too, filled with its trigger)
    index: float = 0.0  # building the index after the rows: FTS5 'rebuild', the GIN index
    analyze: float = 0.0  # PostgreSQL: VACUUM ANALYZE after that


@dataclass
class Sizes:
    """Bytes on disk: the search index's parts, and the messages table (its own indexes apart)."""

    index: dict[str, int] = field(default_factory=dict)
    table: int = 0
    table_indexes: int = 0
    method: str = ""


class SearchDatabase(Protocol):
    """One migrated database under the bench: `engine` is built as the app builds it."""

    name: str
    engine: AsyncEngine

    async def fill(self, world: World, corpus: Corpus, count: int, progress: Progress) -> FillTimes: ...

    async def sizes(self) -> Sizes: ...

    async def plan(self, statement: Select[tuple[object, ...]]) -> list[str]:
        """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL) of `statement`."""
        ...

    async def drop_index(self) -> None:
        """New messages stop being indexed (SQLite: the FTS5 triggers go; PostgreSQL: the GIN index)."""
        ...

    async def server_pids(self) -> list[int]:
        """Processes other than this one that do the commits' work (PostgreSQL's backends)."""
        ...

    async def close(self) -> None: ...


def _settings_engine(url: str) -> AsyncEngine:
    return create_engine(load_settings(database_url=url, jwt_secret=SECRET, redis_url=""))


def _literal(engine: AsyncEngine, statement: Select[tuple[object, ...]]) -> str:
    return str(statement.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))


class SqliteSearchDatabase:
    name = "SQLite"

    def __init__(self, path: Path, engine: AsyncEngine, with_triggers: bool) -> None:
        self.path = path
        self.engine = engine
        self.with_triggers = with_triggers
        self._built_bytes: int | None = None

    @classmethod
    async def create(cls, directory: Path, with_triggers: bool = False) -> SqliteSearchDatabase:
        path = directory / "search.db"
        engine = _settings_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade_engine(engine)
        return cls(path, engine, with_triggers)

    async def fill(self, world: World, corpus: Corpus, count: int, progress: Progress) -> FillTimes:
        times = FillTimes(messages=count)
        started = time.perf_counter()
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=OFF")
            insert_trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TRIGGERS[0],)).fetchone()
            if not self.with_triggers:
                db.execute(f"DROP TRIGGER {FTS_TRIGGERS[0]}")
            _insert_sqlite(db, users, USER_COLUMNS, world.user_rows())
            _insert_sqlite(db, rooms, ROOM_COLUMNS, world.room_rows())
            _insert_sqlite(db, participants, PARTICIPANT_COLUMNS, world.participant_rows())
            for rows in world.message_rows(corpus, count, CHUNK):
                began = time.perf_counter()
                _insert_sqlite(db, messages, MESSAGE_COLUMNS, rows)
                times.writes += time.perf_counter() - began
                progress(f"[SQLite] filled {world.written:,}/{count:,} messages")
            last_seqs = map(_stored(rooms, ("last_seq", "id")), world.last_seq_rows())
            db.execute("BEGIN")
            db.executemany("UPDATE rooms SET last_seq = ? WHERE id = ?", last_seqs)
            db.execute("COMMIT")
            if not self.with_triggers:
                progress("[SQLite] building the FTS5 index")
                before = _used_bytes(db)
                began = time.perf_counter()
                db.execute("BEGIN")
                db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
                db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")  # as migration 0005
                db.execute(insert_trigger[0])
                db.execute("COMMIT")
                times.index = time.perf_counter() - began
                self._built_bytes = _used_bytes(db) - before
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        times.total = time.perf_counter() - started
        return times

    async def sizes(self) -> Sizes:
        db = sqlite3.connect(self.path)
        try:
            pages = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
            own = {row[0] for row in db.execute("SELECT name FROM pragma_index_list('messages')")}
        except sqlite3.OperationalError:  # no dbstat compiled in: what the rebuild added, if it ran
            if self._built_bytes is None:
                return Sizes(method="unknown: no dbstat, and the index was filled by its trigger")
            return Sizes({"messages_fts (all parts)": self._built_bytes}, 0, 0, "page counts")
        finally:
            db.close()
        index = {name: size for name, size in pages.items() if name.startswith("messages_fts")}
        table_indexes = sum(size for name, size in pages.items() if name in own)
        return Sizes(index, pages.get("messages", 0), table_indexes, "dbstat")

    async def plan(self, statement: Select[tuple[object, ...]]) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + _literal(self.engine, statement))
            return [str(row["detail"]) for row in rows.mappings()]

    async def drop_index(self) -> None:
        async with self.engine.begin() as conn:
            for trigger in FTS_TRIGGERS:
                await conn.execute(text(f"DROP TRIGGER {trigger}"))

    async def server_pids(self) -> list[int]:
        return []

    async def close(self) -> None:
        await self.engine.dispose()


def _used_bytes(db: sqlite3.Connection) -> int:
    pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
    return int(pages * db.execute("PRAGMA page_size").fetchone()[0])


def _stored(table: Table, columns: Sequence[str]) -> Callable[[Row], list[Any]]:
    """A row's values as SQLAlchemy stores them in SQLite (uuids as hex, times as text, ...):
    the columns' own bind processors."""
    dialect = sqlite.dialect()
    processors = [(i, table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) for i, c in enumerate(columns)]
    converting = [(i, p) for i, p in processors if p is not None]

    def stored(row: Row) -> list[Any]:
        values = list(row)
        for i, processor in converting:
            if values[i] is not None:
                values[i] = processor(values[i])
        return values

    return stored


def _insert_sqlite(db: sqlite3.Connection, table: Table, columns: tuple[str, ...], rows: list[Row]) -> None:
    """`rows` in one transaction."""
    placeholders = ", ".join("?" * len(columns))
    db.execute("BEGIN")
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    db.executemany(statement, map(_stored(table, columns), rows))
    db.execute("COMMIT")


class PostgresSearchDatabase:
    name = "PostgreSQL"

    def __init__(self, engine: AsyncEngine, raw: Any) -> None:
        self.engine = engine
        self._raw = raw  # an asyncpg connection of the bench's own, without the app's timeouts

    @classmethod
    async def create(cls) -> PostgresSearchDatabase:
        await recreate_database(DATABASE)
        engine = _settings_engine(database_url(DATABASE))
        try:
            await upgrade_engine(engine)
            raw = await asyncpg.connect(f"{POSTGRES}/{DATABASE}")
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, raw)

    async def fill(self, world: World, corpus: Corpus, count: int, progress: Progress) -> FillTimes:
        times = FillTimes(messages=count)
        started = time.perf_counter()
        definition = await self._raw.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", TRIGRAM_INDEX)
        await self._raw.execute(f"DROP INDEX {TRIGRAM_INDEX}")
        await self._raw.copy_records_to_table("users", records=world.user_rows(), columns=USER_COLUMNS)
        await self._raw.copy_records_to_table("rooms", records=world.room_rows(), columns=ROOM_COLUMNS)
        await self._raw.copy_records_to_table(
            "room_participants", records=world.participant_rows(), columns=PARTICIPANT_COLUMNS
        )
        for rows in world.message_rows(corpus, count, CHUNK):
            began = time.perf_counter()
            await self._raw.copy_records_to_table("messages", records=rows, columns=MESSAGE_COLUMNS)
            times.writes += time.perf_counter() - began
            progress(f"[PostgreSQL] copied {world.written:,}/{count:,} messages")
        await self._raw.executemany("UPDATE rooms SET last_seq = $1 WHERE id = $2", world.last_seq_rows())
        progress("[PostgreSQL] building the trigram index")
        began = time.perf_counter()
        await self._raw.execute(definition)
        times.index = time.perf_counter() - began
        progress("[PostgreSQL] VACUUM ANALYZE")
        began = time.perf_counter()
        await self._raw.execute("VACUUM ANALYZE")
        times.analyze = time.perf_counter() - began
        times.total = time.perf_counter() - started
        return times

    async def sizes(self) -> Sizes:
        index = await self._raw.fetchval("SELECT pg_relation_size($1::regclass)", TRIGRAM_INDEX)
        table = await self._raw.fetchval("SELECT pg_table_size('messages')")
        all_indexes = await self._raw.fetchval("SELECT pg_indexes_size('messages')")
        return Sizes({TRIGRAM_INDEX: index}, table, all_indexes - index, "pg_relation_size")

    async def plan(self, statement: Select[tuple[object, ...]]) -> list[str]:
        rows = await self._raw.fetch("EXPLAIN (ANALYZE, BUFFERS) " + _literal(self.engine, statement))
        return [str(row[0]) for row in rows]

    async def drop_index(self) -> None:
        await self._raw.execute(f"DROP INDEX {TRIGRAM_INDEX}")

    async def server_pids(self) -> list[int]:
        rows = await self._raw.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(row["pid"]) for row in rows]

    async def close(self) -> None:
        await self.engine.dispose()
        await self._raw.close()
        await drop_database(DATABASE)


def check_sqlite() -> str | None:
    """Why this Python's SQLite cannot hold the search index (FTS5 with the trigram tokenizer), or None."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5(content, tokenize='trigram')")
    except sqlite3.OperationalError as exc:
        return f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (needs 3.34 with FTS5): {exc}"
    finally:
        db.close()
    return None
