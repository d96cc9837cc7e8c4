"""SessionStore contract, on SQLite and PostgreSQL: a refresh token is spent at most once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.storage.models import utcnow
from roomcast.storage.sessions import Rejected, Reused, Rotated, SqlSessionStore
from tests.contract.seed import add_user

TTL = timedelta(hours=1)


async def started(engine: AsyncEngine, token: str = "t0") -> tuple[SqlSessionStore, uuid.UUID, uuid.UUID]:
    store = SqlSessionStore(engine)
    user_id = await add_user(engine, f"user_{uuid.uuid4().hex[:8]}")
    session_id = uuid.uuid4()
    now = utcnow()
    await store.start(user_id, session_id, token, now, now - TTL)
    return store, user_id, session_id


async def test_a_started_session_is_active_until_its_cutoff(engine: AsyncEngine) -> None:
    store, _, session_id = await started(engine)
    now = utcnow()
    assert await store.is_active(session_id, now - TTL) is True
    assert await store.is_active(session_id, now + timedelta(seconds=1)) is False
    assert await store.is_active(uuid.uuid4(), now - TTL) is False


async def test_a_refresh_rotates_once_and_a_reuse_revokes(engine: AsyncEngine) -> None:
    store, user_id, session_id = await started(engine)
    now = utcnow()
    rotated = await store.refresh("t0", "t1", now, now - TTL)
    assert isinstance(rotated, Rotated)
    assert (rotated.session_id, rotated.user_id, rotated.username.startswith("user_")) == (session_id, user_id, True)
    assert isinstance(await store.refresh("t1", "t2", now, now - TTL), Rotated)
    assert await store.refresh("t0", "t9", now, now - TTL) == Reused(session_id)
    assert await store.is_active(session_id, now - TTL) is False
    # the revoked session's tokens, current or spent, are refused and change nothing
    assert await store.refresh("t2", "t3", now, now - TTL) == Rejected("unknown")
    assert await store.refresh("t0", "t3", now, now - TTL) == Rejected("unknown")
    assert await store.refresh("nope", "t3", now, now - TTL) == Rejected("unknown")


async def test_of_concurrent_refreshes_with_one_token_exactly_one_rotates(engine: AsyncEngine) -> None:
    store, _, session_id = await started(engine)
    now = utcnow()
    results = await asyncio.gather(*(store.refresh("t0", f"fresh{i}", now, now - TTL) for i in range(5)))
    assert sum(isinstance(result, Rotated) for result in results) == 1
    assert all(isinstance(result, Rotated | Reused | Rejected) for result in results)
    assert any(isinstance(result, Reused) for result in results)
    assert await store.is_active(session_id, now - TTL) is False


async def test_an_expired_session_refuses_to_refresh_and_spends_nothing(engine: AsyncEngine) -> None:
    store, _, session_id = await started(engine)
    now = utcnow()
    late = now + TTL + timedelta(seconds=1)
    assert await store.refresh("t0", "t1", late, late - TTL) == Rejected("expired")
    assert isinstance(await store.refresh("t0", "t1", now, now - TTL), Rotated)
    assert await store.is_active(session_id, now - TTL) is True


async def test_logout_revokes_the_session_of_a_current_or_spent_token(engine: AsyncEngine) -> None:
    store, _, session_id = await started(engine)
    now = utcnow()
    await store.refresh("t0", "t1", now, now - TTL)
    assert await store.revoke_by_token("t0", now) == [session_id]
    assert await store.is_active(session_id, now - TTL) is False
    assert await store.revoke_by_token("t1", now) == [session_id]
    assert await store.revoke_by_token("unknown", now) == []


async def test_revoke_others_keeps_one_session(engine: AsyncEngine) -> None:
    store, user_id, first = await started(engine)
    now = utcnow()
    second, third = uuid.uuid4(), uuid.uuid4()
    await store.start(user_id, second, "s2", now, now - TTL)
    await store.start(user_id, third, "s3", now, now - TTL)
    _, _, stranger = await started(engine, "x0")
    assert sorted(await store.revoke_others(user_id, second, now)) == sorted([first, third])
    assert await store.revoke_others(user_id, second, now) == []
    assert [await store.is_active(s, now - TTL) for s in (first, second, third, stranger)] == [False, True, False, True]
    assert await store.revoke_others(user_id, None, now) == [second]


async def test_starting_a_session_forgets_the_users_ended_ones(engine: AsyncEngine) -> None:
    store, user_id, old = await started(engine)
    later = utcnow() + TTL + timedelta(seconds=1)
    await store.start(user_id, uuid.uuid4(), "t1", later, later - TTL)
    # the ended session and its token are gone: the token is unknown, not reused
    assert await store.refresh("t0", "t2", later, later - TTL) == Rejected("unknown")
    assert await store.revoke_by_token("t0", later) == []
    assert await store.is_active(old, utcnow() - TTL) is False
