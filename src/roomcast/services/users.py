"""Accounts: registration, credential checks and password changes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from roomcast.services.auth import hash_password, verify_password
from roomcast.services.errors import Conflict, Forbidden, Unauthorized
from roomcast.storage.database import is_storable_text
from roomcast.storage.records import iso_utc
from roomcast.storage.users import UsernameTaken, UserRecord, UserStore


def user_as_dict(user: UserRecord) -> dict[str, Any]:
    """The SPEC's user object: never the password hash."""
    return {
        "id": str(user.id),
        "username": user.username,
        "display_name": user.display_name,
        "created_at": iso_utc(user.created_at),
    }


class UserService:
    def __init__(self, store: UserStore) -> None:
        self._store = store

    async def do_register(self, username: str, password: str, display_name: str | None) -> UserRecord:
        # A taken name is refused before paying for a hash; the unique index settles races.
        if await self._store.find(username) is not None:
            raise Conflict("username already taken")
        password_hash = await asyncio.to_thread(hash_password, password)
        try:
            return await self._store.create(username, display_name or username, password_hash)
        except UsernameTaken:
            raise Conflict("username already taken") from None

    async def check_credentials(self, username: str, password: str) -> UserRecord:
        # the OAuth2 form is not validated by a schema
        user = await self._store.find(username) if is_storable_text(username) else None
        ok = await asyncio.to_thread(verify_password, password, user.password_hash if user else None)
        if user is None or not ok:
            raise Unauthorized("Incorrect username or password")
        return user

    async def do_change_password(self, user_id: uuid.UUID, current_password: str, new_password: str) -> None:
        user = await self.get(user_id)
        if user is None:
            raise Unauthorized("invalid token")
        if not await asyncio.to_thread(verify_password, current_password, user.password_hash):
            raise Forbidden("current password is incorrect")
        password_hash = await asyncio.to_thread(hash_password, new_password)
        await self._store.set_password_hash(user_id, password_hash)

    async def get(self, user_id: uuid.UUID) -> UserRecord | None:
        return await self._store.get(user_id)

    async def search(self, prefix: str, limit: int) -> list[dict[str, Any]]:
        return [user_as_dict(user) for user in await self._store.search(prefix, limit)]

    async def do_rename(self, user_id: uuid.UUID, display_name: str) -> UserRecord:
        user = await self._store.set_display_name(user_id, display_name)
        if user is None:
            raise Unauthorized("invalid token")
        return user
