"""Real roomcast processes (`.venv/bin/roomcast serve`) sharing a Redis and a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PASSWORD, WsClient
from tests.contract.env import free_port

SECRET = "scaled-test-secret-0123456789abcdef"
ROOMCAST = str(Path(sys.executable).with_name("roomcast"))


async def create_database(admin_url: str) -> str:
    """A new, empty database beside the one of `admin_url`; returns its URL."""
    url = make_url(admin_url)
    name = f"roomcast_scaled_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(db_url: str) -> None:
    url = make_url(db_url)
    engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await engine.dispose()


def environment(database_url: str, redis_url: str, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROOMCAST_", "PROMETHEUS_"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, JWT_SECRET=SECRET)
    # Many users and sockets from one address: the abuse limits are raised for the suite.
    env.update(
        LOGIN_RATE_LIMIT="100000/60",
        REGISTER_RATE_LIMIT="100000/60",
        CREATE_RATE_LIMIT="100000/60",
        MAX_CONNECTIONS_PER_USER="1000",
    )
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return env


def migrate(env: dict[str, str], cwd: Path) -> None:
    subprocess.run([ROOMCAST, "migrate"], env=env, cwd=cwd, check=True, capture_output=True, timeout=60)


@dataclass
class Instance:
    env: dict[str, str]
    cwd: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Instance:
        log = (self.cwd / f"roomcast-{self.port}.log").open("wb")
        self.process = subprocess.Popen(  # noqa: ASYNC220 - starting it is instant
            [ROOMCAST, "serve", "--port", str(self.port)], env=self.env, cwd=self.cwd, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"roomcast exited with {self.process.returncode}, see {log.name}")
                try:
                    if (await http.get("/health")).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("roomcast did not become healthy")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    async def connect(self, room_id: str, token: str) -> WsClient:
        ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/ws/{room_id}?token={token}", max_size=None)
        return WsClient(ws)

    async def connect_user(self, token: str) -> WsClient:
        """A user connection (`/ws`, SPEC §4b), before its `ready`."""
        ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/ws?token={token}", max_size=None)
        return WsClient(ws)


@dataclass
class Account:
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def account(http: httpx.AsyncClient) -> Account:
    username = f"u_{uuid.uuid4().hex[:10]}"
    created = await http.post("/api/auth/register", json={"username": username, "password": PASSWORD})
    assert created.status_code == 201, created.text
    login = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    return Account(created.json()["id"], username, login.json()["access_token"])


async def room(http: httpx.AsyncClient, owner: Account, *members: Account) -> str:
    body = {"name": "scaled", "members": [m.username for m in members]}
    response = await http.post("/api/rooms", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
