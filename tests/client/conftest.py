"""Fixtures for the client library's tests: clients of the in-process server of tests.conftest,
and a real `python -m roomcast serve` subprocess that can be SIGKILLed and restarted in place."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from roomcast.client import Backoff, Client, LogEvent, MessageUpdated, NewMessage, Subscription, UserEvent
from tests.conftest import PASSWORD, LiveServer, User, free_port

SECRET = "client-tests-secret-for-roomcast-only"
E = TypeVar("E")
U = TypeVar("U", bound=UserEvent)
# Quick reconnects: the tests restart servers and wait for the client to come back.
FAST = Backoff(initial=0.1, maximum=1.0)


def client_for(live: LiveServer | ServerProcess, user: User | None = None, **options: Any) -> Client:
    """A Client of `user` (by token), or with the options given (username=..., password=...)."""
    if user is not None:
        options.setdefault("username", user.username)
        options.setdefault("password", PASSWORD)
    options.setdefault("backoff", FAST)
    return Client(live.base_url, **options)


async def next_event(subscription: Subscription, kind: type[E], timeout: float = 10) -> E:
    """The next event of `kind`, skipping others (presence, typing)."""
    async with asyncio.timeout(timeout):
        async for event in subscription:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"the subscription ended before a {kind.__name__}")


async def collect(subscription: Subscription, count: int, timeout: float = 15) -> list[LogEvent]:
    """The next `count` log events (NewMessage, MessageUpdated), skipping the others."""
    out: list[LogEvent] = []
    async with asyncio.timeout(timeout):
        async for event in subscription:
            if isinstance(event, NewMessage | MessageUpdated):
                out.append(event)
                if len(out) == count:
                    return out
    raise AssertionError(f"the subscription ended after {len(out)} of {count} events")


async def next_user_event(client: Client, kind: type[U], timeout: float = 10) -> U:
    async with asyncio.timeout(timeout):
        async for event in client.events():
            if isinstance(event, kind):
                return event
    raise AssertionError("the user events ended")


class ServerProcess:
    """`python -m roomcast serve` on a fixed port and SQLite file, so that it can be killed and
    started again on the same database."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "JWT_SECRET")},
            "JWT_SECRET": SECRET,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'client.db'}",
            "LOGIN_RATE_LIMIT": "100000/60",
            "REGISTER_RATE_LIMIT": "100000/60",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        command = [sys.executable, "-m", "roomcast", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"roomcast serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"roomcast serve did not become healthy:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no drain, no close frames; the sockets just die."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-4000:] for path in sorted(self.workdir.glob("server-*.log")))

    async def register(self, username: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=15) as http:
            response = await http.post("/api/auth/register", json={"username": username, "password": PASSWORD})
            assert response.status_code == 201, response.text
            return dict(response.json())


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """`server_process(MESSAGE_RATE_LIMIT="1000")`: a started `roomcast serve` with these settings."""
    processes: list[ServerProcess] = []

    def start(**env: str) -> ServerProcess:
        workdir = tmp_path / f"server{len(processes)}"
        workdir.mkdir()
        process = ServerProcess(workdir, **env)
        processes.append(process)
        process.start()
        return process

    yield start
    for process in processes:
        process.stop()


@pytest.fixture
async def open_clients() -> AsyncIterator[list[Client]]:
    """Clients appended here are closed after the test, whatever happened."""
    clients: list[Client] = []
    yield clients
    for client in clients:
        await client.close()
