"""UserStore contract, on SQLite and PostgreSQL: usernames are unique whatever their case."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.users import SqlUserStore, UsernameTaken


async def test_a_created_user_is_found_by_id_and_by_any_case_of_its_name(engine: AsyncEngine) -> None:
    store = SqlUserStore(engine)
    user = await store.create("Alice", "Alice A.", "hash-1")
    assert (user.username, user.display_name, user.password_hash) == ("Alice", "Alice A.", "hash-1")
    assert user.created_at.utcoffset() == timedelta(0)
    assert await store.get(user.id) == user
    assert await store.find("alice") == user
    assert await store.find("ALICE") == user
    assert await store.find("alic") is None
    assert await store.get(uuid.uuid4()) is None


async def test_a_name_is_taken_whatever_its_case(engine: AsyncEngine) -> None:
    store = SqlUserStore(engine)
    await store.create("alice", "alice", "hash")
    with pytest.raises(UsernameTaken):
        await store.create("ALICE", "other", "hash")
    assert (await store.find("Alice")) is not None and (await store.find("Alice")).display_name == "alice"


async def test_of_concurrent_creations_of_one_name_exactly_one_succeeds(engine: AsyncEngine) -> None:
    store = SqlUserStore(engine)
    results = await asyncio.gather(
        *(store.create(name, name, "hash") for name in ("bob", "Bob", "BOB", "bOb")), return_exceptions=True
    )
    assert sum(not isinstance(result, BaseException) for result in results) == 1
    assert all(isinstance(result, UsernameTaken) for result in results if isinstance(result, BaseException))


async def test_the_password_hash_changes(engine: AsyncEngine) -> None:
    store = SqlUserStore(engine)
    user = await store.create("carol", "carol", "old")
    assert await store.set_password_hash(user.id, "new") is True
    found = await store.get(user.id)
    assert found is not None and found.password_hash == "new"
    assert await store.set_password_hash(uuid.uuid4(), "new") is False
