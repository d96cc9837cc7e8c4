"""Migrations from an empty database, on SQLite and on PostgreSQL, and models == migrations.

The PostgreSQL tests create their own database through the maintenance database of
ROOMCAST_TEST_POSTGRES_URL (default: the local server) and drop it afterwards. Without a
reachable PostgreSQL they are skipped, except under CI=true where they fail.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from roomcast.storage.messages import SqlMessageStore
from roomcast.storage.migrate import alembic_config, upgrade_engine
from roomcast.storage.models import Base, utcnow
from roomcast.storage.records import EDITED, UpdateDraft, UpdateResult
from roomcast.storage.search import SearchQuery, search_store
from roomcast.storage.writer import batch_store

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*expression-based index"),
]
# The server of ROOMCAST_TEST_POSTGRES_URL (CI points it at its own database), reached through
# its `postgres` maintenance database to create and drop one database per test.
MAINTENANCE_URL = (
    make_url(os.environ.get("ROOMCAST_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    .set(database="postgres")
    .render_as_string(hide_password=False)
)
TABLES = {
    "users",
    "rooms",
    "room_participants",
    "messages",
    "mentions",
    "notifications",
    "auth_sessions",
    "refresh_tokens",
    "alembic_version",
}
# Alembic does not reflect expression indexes, so it cannot compare this one; the tests below
# check it exists and works instead.
FUNCTIONAL_INDEXES = {"ix_users_username_lower"}
# The search index (0005) lives outside the models: an FTS5 table and its shadow tables on
# SQLite, a GIN index with an operator class on PostgreSQL. The upgrade test searches it.
SEARCH_TABLES = {"messages_fts", "messages_fts_data", "messages_fts_idx", "messages_fts_docsize", "messages_fts_config"}
SEARCH_INDEXES = {"ix_messages_content_trgm"}


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def run_cli(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SECRET", "DATABASE_URL")}
    env |= {"DATABASE_URL": database_url, "ROOMCAST_SECRET_FILE": str(cwd / "secret")}
    return subprocess.run(
        [sys.executable, "-m", "roomcast", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def schema_state(engine: AsyncEngine) -> dict[str, Any]:
    def read(sync_conn: Any) -> dict[str, Any]:
        inspector = inspect(sync_conn)
        tables = set(inspector.get_table_names())
        version = sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        diffs = compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)
        return {"tables": tables, "version": version, "diffs": diffs}

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def unexpected(diffs: list[Any]) -> list[Any]:
    """Differences between models and migrated schema, except the expression and search indexes."""
    return [
        diff
        for diff in diffs
        if not (
            isinstance(diff, tuple)
            and (
                (diff[0] in ("add_index", "remove_index") and diff[1].name in FUNCTIONAL_INDEXES | SEARCH_INDEXES)
                or (diff[0] == "remove_table" and diff[1].name in SEARCH_TABLES)
            )
        )
    ]


async def check_migrated(url: str) -> None:
    engine = create_async_engine(url)
    try:
        state = await schema_state(engine)
        assert state["tables"] == TABLES | (SEARCH_TABLES if engine.dialect.name == "sqlite" else set())
        assert state["version"] == head_revision()
        assert unexpected(state["diffs"]) == [], state["diffs"]
        await check_username_index(engine)
    finally:
        await engine.dispose()


async def check_username_index(engine: AsyncEngine) -> None:
    """The case-insensitive unique index on users.username is really there."""
    insert = text(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) "
        "VALUES (:id, :name, :name, 'x', CURRENT_TIMESTAMP)"
    )
    hex_ids = engine.dialect.name == "sqlite"

    def new_id() -> Any:
        return uuid.uuid4().hex if hex_ids else uuid.uuid4()

    async with engine.begin() as conn:
        await conn.execute(insert, {"id": new_id(), "name": "CaseTest"})
    with pytest.raises(Exception, match=r"(?i)unique"):
        async with engine.begin() as conn:
            await conn.execute(insert, {"id": new_id(), "name": "casetest"})


async def test_migrate_an_empty_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    result = await asyncio.to_thread(run_cli, "migrate", database_url=url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    await check_migrated(url)
    again = await asyncio.to_thread(run_cli, "migrate", database_url=url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
    await engine.dispose()
    assert journal == "wal"


async def test_sqlite_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db"
    engine = create_async_engine(url)
    try:
        await upgrade_engine(engine)

        def down(sync_conn: Any) -> None:
            config = alembic_config(url)
            config.attributes["connection"] = sync_conn
            downgrade(config, "base")

        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
        await upgrade_engine(engine)
    finally:
        await engine.dispose()
    await check_migrated(url)


async def upgrade_from_0001_keeps_the_data(url: str) -> None:
    """A database made by 0001, with a user, a room and a message, upgraded to the head."""
    engine = create_async_engine(url)
    hex_ids = engine.dialect.name == "sqlite"

    def ident(value: uuid.UUID) -> Any:
        return value.hex if hex_ids else value

    user, room, message = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rows = [
        (
            "INSERT INTO users (id, username, display_name, password_hash, created_at) "
            "VALUES (:id, 'olduser', 'Old User', 'argon2-hash', CURRENT_TIMESTAMP)",
            {"id": ident(user)},
        ),
        (
            "INSERT INTO rooms (id, name, description, is_private, created_by, created_at, last_seq) "
            "VALUES (:id, 'old room', '', false, :user, CURRENT_TIMESTAMP, 1)",
            {"id": ident(room), "user": ident(user)},
        ),
        (
            "INSERT INTO room_participants (room_id, user_id, role, joined_at, last_read_seq) "
            "VALUES (:room, :user, 'owner', CURRENT_TIMESTAMP, 0)",
            {"room": ident(room), "user": ident(user)},
        ),
        (
            "INSERT INTO messages (id, room_id, seq, sender_id, content, client_id, created_at) "
            "VALUES (:id, :room, 1, :user, 'kept across the upgrade', NULL, CURRENT_TIMESTAMP)",
            {"id": ident(message), "room": ident(room), "user": ident(user)},
        ),
    ]
    try:
        await upgrade_engine(engine, "0001")
        async with engine.begin() as conn:
            for statement, values in rows:
                await conn.execute(text(statement), values)
        await upgrade_engine(engine)
        async with engine.begin() as conn:
            content = (await conn.execute(text("SELECT content FROM messages"))).scalar_one()
            owner = (await conn.execute(text("SELECT username FROM users"))).scalar_one()
            role = (await conn.execute(text("SELECT role FROM room_participants"))).scalar_one()
            # The old user can sign in: a session row refers to them.
            await conn.execute(
                text(
                    "INSERT INTO auth_sessions (id, user_id, created_at, last_used_at) "
                    "VALUES (:id, :user, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": ident(uuid.uuid4()), "user": ident(user)},
            )
        assert (content, owner, role) == ("kept across the upgrade", "olduser", "owner")
        # 0005 indexed what was stored before it, and follows the edit made after it.
        assert await found(engine, user, "KEPT across") == ["kept across the upgrade"]
        await old_messages_join_the_event_log(engine, room, user, message)
        assert await found(engine, user, "after the UPG") == ["edited after the upgrade"]
        assert await found(engine, user, "kept across") == []
    finally:
        await engine.dispose()
    await check_migrated(url)


async def old_messages_join_the_event_log(
    engine: AsyncEngine, room: uuid.UUID, user: uuid.UUID, message: uuid.UUID
) -> None:
    """0003: a message stored before it is in the state its creation gave it, and can change."""
    reads = SqlMessageStore(engine)
    (event,) = (await reads.events(room, 0, 10)).events
    assert (event.seq, event.update, event.message.version, event.message.deleted) == (1, None, 1, False)
    assert event.message.as_dict()["reactions"] == [] and event.message.reply_to is None
    batches = batch_store(engine)
    try:
        draft = UpdateDraft(room, user, "olduser", message, EDITED, "edited after the upgrade", None, None, "", 0.0)
        (outcome,) = await batches.commit([draft], False, utcnow())
    finally:
        await batches.close()
    assert isinstance(outcome, UpdateResult) and outcome.update.seq == 2
    (changed,) = (await reads.events(room, 1, 10)).events
    assert (changed.seq, changed.message.content) == (2, "edited after the upgrade")


async def found(engine: AsyncEngine, user: uuid.UUID, term: str) -> list[str]:
    return [m.content for m in (await search_store(engine).search(user, SearchQuery((term,), 10))).results]


async def test_sqlite_upgrade_from_0001_keeps_the_data(tmp_path: Path) -> None:
    await upgrade_from_0001_keeps_the_data(f"sqlite+aiosqlite:///{tmp_path}/old.db")


@pytest.fixture
async def fresh_postgres() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    maintenance = create_async_engine(MAINTENANCE_URL, isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(5), maintenance.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        await maintenance.dispose()
        message = f"PostgreSQL at {make_url(MAINTENANCE_URL).render_as_string()} is unreachable: {exc!r}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)")
        pytest.skip(message + " (set CI=true to make this a failure)")
    name = f"roomcast_migrate_{uuid.uuid4().hex[:12]}"
    async with maintenance.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(MAINTENANCE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with maintenance.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await maintenance.dispose()


@pytest.mark.postgres
async def test_migrate_an_empty_postgres_database(fresh_postgres: str, tmp_path: Path) -> None:
    result = await asyncio.to_thread(run_cli, "migrate", database_url=fresh_postgres, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    await check_migrated(fresh_postgres)
    again = await asyncio.to_thread(run_cli, "migrate", database_url=fresh_postgres, cwd=tmp_path)
    assert again.returncode == 0, again.stderr


@pytest.mark.postgres
async def test_postgres_downgrade_to_base_and_back(fresh_postgres: str) -> None:
    engine = create_async_engine(fresh_postgres)
    try:
        await upgrade_engine(engine)

        def down(sync_conn: Any) -> None:
            config = alembic_config(fresh_postgres)
            config.attributes["connection"] = sync_conn
            downgrade(config, "base")

        async with engine.begin() as conn:
            await conn.run_sync(down)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables <= {"alembic_version"}
        await upgrade_engine(engine)
    finally:
        await engine.dispose()
    await check_migrated(fresh_postgres)


@pytest.mark.postgres
async def test_postgres_upgrade_from_0001_keeps_the_data(fresh_postgres: str) -> None:
    await upgrade_from_0001_keeps_the_data(fresh_postgres)


async def test_migrate_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/nowhere"
    result = await asyncio.to_thread(run_cli, "migrate", database_url=url, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot migrate the database" in result.stderr
    assert "s3cret" not in result.stderr
