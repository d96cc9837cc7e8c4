"""The lookups by composite key use the key's index on SQLite (its `IN (VALUES ...)` scans).

The group commit reads the actors' participations on every batch, the gateway rechecks a
participation on every connection, and the notifier reads notifications by key: a scan of
`room_participants` or `notifications` there costs time proportional to the whole table.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, create_engine, insert, select
from sqlalchemy.dialects import sqlite

from roomcast.storage.models import Base, Notification
from roomcast.storage.queries import key_match, participants

notifications = Notification.__table__


@pytest.fixture
def database(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    path = tmp_path / "plans.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    db = sqlite3.connect(path)
    yield db
    db.close()


def _plan(db: sqlite3.Connection, columns: Sequence[ColumnElement[Any]], keys: list[tuple[Any, ...]]) -> list[str]:
    query = select(*columns).where(key_match(columns, keys))
    compiled = query.compile(dialect=sqlite.dialect(paramstyle="qmark"))
    values = [value.hex if isinstance(value, uuid.UUID) else value for value in compiled.params.values()]
    return [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + compiled.string, values)]


@pytest.mark.parametrize("count", [1, 3, 50])
def test_participation_lookups_search_the_primary_key(database: sqlite3.Connection, count: int) -> None:
    keys = [(uuid.uuid4(), uuid.uuid4()) for _ in range(count)]
    plan = _plan(database, (participants.c.room_id, participants.c.user_id), keys)
    assert plan and all("SCAN room_participants" not in step for step in plan), plan
    assert any("SEARCH room_participants USING" in step for step in plan), plan


def test_notification_lookups_search_an_index(database: sqlite3.Connection) -> None:
    keys = [(uuid.uuid4(), uuid.uuid4(), "mention") for _ in range(5)]
    columns = (notifications.c.user_id, notifications.c.room_id, notifications.c.type)
    plan = _plan(database, columns, keys)
    assert plan and all("SCAN notifications" not in step for step in plan), plan


def test_key_match_finds_exactly_the_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'match.db'}")
    Base.metadata.create_all(engine)
    rooms = [uuid.uuid4() for _ in range(3)]
    people = [uuid.uuid4() for _ in range(3)]
    rows = [{"room_id": room, "user_id": user, "role": "member"} for room in rooms for user in people]
    wanted = [(rooms[0], people[1]), (rooms[2], people[0]), (uuid.uuid4(), people[0])]
    columns = (participants.c.room_id, participants.c.user_id)
    with engine.begin() as conn:
        conn.execute(insert(participants), rows)
        found = {tuple(row) for row in conn.execute(select(*columns).where(key_match(columns, wanted)))}
    engine.dispose()
    assert found == set(wanted[:2])
