"""Everything an app instance runs, built from the settings in one place and closed in reverse."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends import create_backends
from roomcast.backends.base import Backends
from roomcast.config import Settings
from roomcast.services.attempts import AttemptLimits
from roomcast.services.auth import TokenService
from roomcast.services.messages import MessageService
from roomcast.services.notifications import NotificationService, Notifier
from roomcast.services.rooms import RoomService
from roomcast.services.search import SearchService
from roomcast.services.sessions import SessionService
from roomcast.services.users import UserService, user_as_dict
from roomcast.storage.database import create_engine
from roomcast.storage.notifications import SqlNotificationStore
from roomcast.storage.rooms import ReadState, SqlRoomStore
from roomcast.storage.search import search_store
from roomcast.storage.sessions import SqlSessionStore
from roomcast.storage.users import SqlUserStore


@dataclass(slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    backends: Backends
    tokens: TokenService
    sessions: SessionService
    attempts: AttemptLimits
    users: UserService
    rooms: RoomService
    messages: MessageService
    notifications: NotificationService
    notifier: Notifier
    search: SearchService

    @classmethod
    async def build(cls, settings: Settings) -> Services:
        engine = create_engine(settings)
        backends = await create_backends(settings)
        notification_store = SqlNotificationStore(engine)
        user_store = SqlUserStore(engine)
        notifier = Notifier(notification_store, backends.presence)
        tokens = TokenService(settings)
        attempts = AttemptLimits(settings, backends.rate_limiter)
        services = cls(
            settings=settings,
            engine=engine,
            backends=backends,
            tokens=tokens,
            sessions=SessionService(settings, SqlSessionStore(engine), tokens),
            attempts=attempts,
            users=UserService(user_store),
            rooms=RoomService(SqlRoomStore(engine), user_store, backends.presence, attempts),
            messages=MessageService(settings, engine, backends, notifier),
            notifications=NotificationService(notification_store),
            notifier=notifier,
            search=SearchService(search_store(engine), attempts),
        )
        notifier.start()
        services.messages.writer.start()
        return services

    async def mark_read(self, room_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> ReadState:
        """`POST …/read` and the `mark_read` frame: the read mark, and once nothing is unread,
        the room's notifications read too."""
        state = await self.rooms.do_mark_read(room_id, user_id, seq)
        if state.unread_count == 0:
            await self.notifications.do_mark_all_read(user_id, room_id)
        return state

    async def rename(self, user_id: uuid.UUID, display_name: str) -> dict[str, Any]:
        """`PATCH /api/users/me`: the new name, and every room of the user told (`user_updated`)."""
        user = user_as_dict(await self.users.do_rename(user_id, display_name))
        await self.rooms.renamed(user)
        return user

    async def close(self) -> None:
        await self.messages.writer.stop()
        await self.notifier.stop()
        await self.backends.close()
        await self.engine.dispose()
