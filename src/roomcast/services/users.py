"""Accounts: registration, credential checks and password changes."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from roomcast.services.auth import hash_password, verify_password
from roomcast.services.errors import Conflict, Forbidden, Unauthorized
from roomcast.storage.database import is_storable_text
from roomcast.storage.models import User


class UserService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def do_register(self, username: str, password: str, display_name: str | None) -> User:
        # A taken name is refused before paying for a hash; the unique index settles races.
        async with self._sessions() as session:
            if await self._find(session, username) is not None:
                raise Conflict("username already taken")
        password_hash = await asyncio.to_thread(hash_password, password)
        user = User(username=username, display_name=display_name or username, password_hash=password_hash)
        async with self._sessions() as session:
            session.add(user)
            try:
                await session.commit()
            except IntegrityError:
                raise Conflict("username already taken") from None
        return user

    async def check_credentials(self, username: str, password: str) -> User:
        user = None
        if is_storable_text(username):  # the OAuth2 form is not validated by a schema
            async with self._sessions() as session:
                user = await self._find(session, username)
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
        async with self._sessions() as session:
            await session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
            await session.commit()

    async def get(self, user_id: uuid.UUID) -> User | None:
        async with self._sessions() as session:
            return await session.get(User, user_id)

    @staticmethod
    async def _find(session: AsyncSession, username: str) -> User | None:
        query = select(User).where(func.lower(User.username) == username.lower())
        return (await session.execute(query)).scalar_one_or_none()
