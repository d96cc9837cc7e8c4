"""Shared fixtures: a real roomcast on a real socket, on a fresh database, and clients for it.

The database is SQLite in a temporary folder, or the PostgreSQL of ROOMCAST_TEST_DATABASE_URL
(CI runs the integration tests a second time that way; each test gets an empty schema).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from uvicorn import Server

from roomcast.app import create_app
from roomcast.config import Settings, load_settings
from roomcast.server import uvicorn_config
from roomcast.storage.database import create_engine
from roomcast.storage.migrate import upgrade_engine

TEST_SECRET = "test-secret-for-roomcast-tests-only"
PASSWORD = "correct horse battery"
# The suite registers and logs in many users from 127.0.0.1 and opens many sockets per user:
# the abuse limits are raised for it; the tests of those limits set them low again themselves.
SUITE_LIMITS: dict[str, Any] = {
    "login_rate_limit": "100000/60",
    "register_rate_limit": "100000/60",
    "create_rate_limit": "100000/60",
    "max_connections_per_user": 1000,
}


def test_database_url(tmp_path: Path) -> str:
    return os.environ.get("ROOMCAST_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/roomcast.db"


async def reset_database(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()


def scaled_test_redis_url() -> str:
    """ROOMCAST_TEST_BACKEND=redis runs a test on the Redis backend, on a flushed database."""
    if os.environ.get("ROOMCAST_TEST_BACKEND", "memory") != "redis":
        return ""
    if not os.environ.get("ROOMCAST_TEST_REDIS_URL", ""):
        pytest.fail("ROOMCAST_TEST_BACKEND=redis needs ROOMCAST_TEST_REDIS_URL", pytrace=False)
    from tests.contract.env import flush_sync, redis_url

    url = redis_url()
    flush_sync(url)
    return url


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    redis_url = scaled_test_redis_url()

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": test_database_url(tmp_path),
            "jwt_secret": TEST_SECRET,
            **SUITE_LIMITS,
        }
        if redis_url:
            values["redis_url"] = redis_url
        values.update(overrides)
        return load_settings(**values)

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class User:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class LiveServer:
    """roomcast under uvicorn on 127.0.0.1:<free port>, in the test's event loop."""

    settings: Settings
    port: int = field(default_factory=free_port)
    app: Any = None
    server: Server | None = None
    task: asyncio.Task[None] | None = None
    http: httpx.AsyncClient | None = None
    # uvicorn settings over roomcast's (e.g. ws="websockets-sansio": the plain ASGI path).
    server_options: dict[str, Any] = field(default_factory=dict)
    _counter: int = 0

    async def start(self, migrate: bool = True) -> LiveServer:
        if migrate:
            engine = create_engine(self.settings)
            await upgrade_engine(engine)
            await engine.dispose()
        self.app = create_app(self.settings)
        self.server = Server(uvicorn_config(self.app, "127.0.0.1", self.port, **self.server_options))
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(500):
            if self.server.started:
                break
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.01)
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10)
        return self

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.aclose()
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await asyncio.wait_for(self.task, 20)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def services(self) -> Any:
        return self.app.state.services

    def ws_url(self, room_id: str, token: str | None, **params: Any) -> str:
        query = "&".join(f"{k}={v}" for k, v in ({"token": token} | params).items() if v is not None)
        return f"ws://127.0.0.1:{self.port}/ws/{room_id}" + (f"?{query}" if query else "")

    async def user(self, name: str | None = None, *, via_login: bool = False) -> User:
        assert self.http is not None
        self._counter += 1
        username = name or f"user{self._counter}_{uuid.uuid4().hex[:6]}"
        response = await self.http.post("/api/auth/register", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        if via_login:
            login = await self.http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            token = login.json()["access_token"]
        else:
            # A real session, as a login makes, without paying for a password check.
            token = (await self.services.sessions.do_start(uuid.UUID(user_id), username)).access_token
        return User(user_id, username, token)

    async def room(
        self, owner: User, *members: User, name: str = "general", is_private: bool = False
    ) -> dict[str, Any]:
        assert self.http is not None
        body = {"name": name, "is_private": is_private, "members": [m.username for m in members]}
        response = await self.http.post("/api/rooms", json=body, headers=owner.headers)
        assert response.status_code == 201, response.text
        return response.json()

    async def joined(self, n: int = 2, **room_kw: Any) -> tuple[list[User], dict[str, Any], list[WsClient]]:
        """n users in one room (the first owns it), each with a connected socket."""
        users = [await self.user() for _ in range(n)]
        room = await self.room(users[0], *users[1:], **room_kw)
        clients = []
        for user in users:
            client = await self.connect(room["id"], user)
            await client.expect("connected")
            clients.append(client)
        return users, room, clients

    async def post(self, user: User, room_id: str, content: str, client_id: str | None = None) -> httpx.Response:
        assert self.http is not None
        body: dict[str, Any] = {"content": content}
        if client_id is not None:
            body["client_id"] = client_id
        return await self.http.post(f"/api/rooms/{room_id}/messages", json=body, headers=user.headers)

    async def connect(self, room_id: str, user: User, **params: Any) -> WsClient:
        ws = await websockets.connect(self.ws_url(room_id, user.token, **params), max_size=None)
        return WsClient(ws)

    async def connect_user(self, user: User, token: str | None = None) -> WsClient:
        """A user connection (SPEC §4b: `/ws`), before its `ready`."""
        url = f"ws://127.0.0.1:{self.port}/ws?token={token if token is not None else user.token}"
        return WsClient(await websockets.connect(url, max_size=None))


class WsClient:
    """A thin JSON client over a real WebSocket, with bounded waits."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, kind: str, **data: Any) -> None:
        await self.ws.send(orjson.dumps({"type": kind, "data": data}).decode())

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        return orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def expect(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of `kind`, skipping others (presence, typing) on the way."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if frame["type"] == kind:
                    return frame["data"]

    async def silent(self, kinds: tuple[str, ...], within: float = 0.3) -> None:
        """Assert no frame of these kinds arrives within `within` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while True:
                    frame = await self.recv(within)
                    assert frame["type"] not in kinds, frame

    async def close(self) -> None:
        await self.ws.close()


def hold_commits(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Every group commit waits until the returned event is set: a database that hangs."""
    writer = live.services.messages.writer
    release = asyncio.Event()
    real_commit = writer._commit

    async def stuck_commit(drafts: Any, lookup: bool = True) -> Any:
        await release.wait()
        return await real_commit(drafts, lookup)

    monkeypatch.setattr(writer, "_commit", stuck_commit)
    return release


@pytest.fixture
async def live(make_settings: Callable[..., Settings]) -> AsyncIterator[LiveServer]:
    settings = make_settings()
    await reset_database(settings.database_url)
    server = await LiveServer(settings).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def start_server(
    make_settings: Callable[..., Settings],
) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """For tests that need their own settings: `server = await start_server(CACHE_SIZE=5)`."""
    servers: list[LiveServer] = []

    async def start(**overrides: Any) -> LiveServer:
        settings = make_settings(**{k.lower(): v for k, v in overrides.items()})
        if not servers:
            await reset_database(settings.database_url)
        server = await LiveServer(settings).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        await server.stop()
