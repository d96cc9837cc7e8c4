"""Accounts and sessions written into the database of a roomcast this bench started itself.

Registering and logging in over REST costs two argon2 computations per user on the server
(about 0.15 s each here): 1,000 users take minutes. For a server it started (so it knows the
database and JWT_SECRET), the bench instead goes through roomcast's own account store and
session service, as `POST /api/auth/register` and `/login` do after their password work: one
argon2 hash shared by every account (each can still log in with the bench's password), one
session per user, and its access token signed with the server's secret. A running server
(`--url`) is set up over REST.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from roomcast.config import load_settings
from roomcast.services.auth import TokenService, hash_password
from roomcast.services.sessions import SessionService
from roomcast.storage.database import create_engine
from roomcast.storage.sessions import SqlSessionStore
from roomcast.storage.users import SqlUserStore


async def seed_users(
    env: Mapping[str, str], usernames: Sequence[str], password: str, progress: Callable[[str], None] | None = None
) -> list[tuple[str, str]]:
    """(username, access token) of each new account, in order; `env` is the server's settings."""
    settings = load_settings(
        database_url=env["DATABASE_URL"],
        redis_url="",
        jwt_secret=env["JWT_SECRET"],
        access_token_ttl=int(env.get("ACCESS_TOKEN_TTL", "3600")),
    )
    engine = create_engine(settings)
    try:
        accounts = SqlUserStore(engine)
        sessions = SessionService(settings, SqlSessionStore(engine), TokenService(settings))
        password_hash = hash_password(password)
        out: list[tuple[str, str]] = []
        for username in usernames:
            user = await accounts.create(username, username, password_hash)
            issued = await sessions.do_start(user.id, user.username)
            out.append((username, issued.access_token))
            if progress is not None and len(out) % 50 == 0:
                progress(f"seeded {len(out)}/{len(usernames)} users")
        return out
    finally:
        await engine.dispose()
