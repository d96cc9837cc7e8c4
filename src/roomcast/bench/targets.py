"""The servers under test: how to start one pinned to a core, watch it, and set it up.

roomcast is set up over its REST API (users registered and logged in, rooms created and
joined, or created with their members for user connections; S4's accounts and sessions go
straight into the database of a roomcast started here, see `seed`); the baselines
(`roomcast.bench.baselines`) persist nothing and check no token, so their set-up is only a URL
per socket. Each kind has a small `Dialect` (`roomcast.bench.dialects`) for the frames on an
open socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from roomcast.bench.dialects import RoomcastDialect, SocketIODialect, UserConnectionDialect
from roomcast.bench.scenarios import ROOMCAST_KINDS, memberships

PASSWORD = "bench-password-123"
KINDS = (*ROOMCAST_KINDS, "fastapi", "socketio")
LABELS = {
    "roomcast": "roomcast",
    "roomcast-previous": "roomcast, previous build",
    "roomcast-scaled": "roomcast, scaled (PostgreSQL + Redis)",
    "roomcast-scaled-previous": "roomcast, scaled, previous build",
    "fastapi": "FastAPI tutorial",
    "socketio": "python-socketio",
}
SCALED_DATABASE = "roomcast_bench_scaled"
BASELINES = {  # kind -> the module run as `python -m <module> --port N`
    "fastapi": "roomcast.bench.baselines.fastapi_tutorial",
    "socketio": "roomcast.bench.baselines.socketio_asgi",
}
MAX_MEMBERS = 500  # members a room may be created with (POST /api/rooms)
SERVER_CORE = 0
LOAD_CORE = 1


# -- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2


def pin_process(pid: int, cores: set[int]) -> None:
    """Move every thread of `pid` (not only its main thread) to `cores`."""
    tasks = Path(f"/proc/{pid}/task")
    for tid in (int(p.name) for p in tasks.iterdir()) if tasks.exists() else [pid]:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(tid, cores)


@dataclass
class Probe:
    """CPU (share of one core) and RSS of the server, if it is known: the process and its workers."""

    pid: int | None
    _process: psutil.Process | None = None
    _cpu: float = 0.0
    _at: float = 0.0

    def __post_init__(self) -> None:
        if self.pid is not None:
            self._process = psutil.Process(self.pid)

    def _tree(self) -> list[psutil.Process]:
        assert self._process is not None
        return [self._process, *self._process.children(recursive=True)]

    def _cpu_seconds(self) -> float:
        total = 0.0
        for process in self._tree():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def mark(self) -> None:
        if self._process is not None:
            self._cpu, self._at = self._cpu_seconds(), time.monotonic()

    def cpu_since_mark(self) -> float | None:
        if self._process is None:
            return None
        elapsed = time.monotonic() - self._at
        return 100.0 * (self._cpu_seconds() - self._cpu) / elapsed if elapsed > 0 else None

    def rss(self) -> int | None:
        if self._process is None:
            return None
        total = 0
        for process in self._tree():
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        return total


@dataclass
class Target:
    """One server under test: its kind, its URL and (when known) its process."""

    kind: str
    base_url: str
    pid: int | None = None
    process: subprocess.Popen[bytes] | None = None
    workdir: tempfile.TemporaryDirectory[str] | None = None
    log_path: Path | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    env: dict[str, str] = field(default_factory=dict)  # the settings of a roomcast started here

    @property
    def dialect(self) -> RoomcastDialect | SocketIODialect:
        return SocketIODialect() if self.kind == "socketio" else RoomcastDialect()

    @property
    def is_roomcast(self) -> bool:
        return self.kind in ROOMCAST_KINDS

    @property
    def user_dialect(self) -> UserConnectionDialect:
        if not self.is_roomcast:
            raise RuntimeError(f"{self.label} has no user connections (/ws?token=): only roomcast has")
        return UserConnectionDialect()

    @property
    def ws_base(self) -> str:
        return "ws" + self.base_url.removeprefix("http")

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    def probe(self) -> Probe:
        return Probe(self.pid)

    def widen(self, wide: bool) -> None:
        """Let the server use every core during set-up (argon2), one core under load."""
        if self.process is not None and can_pin():
            pin_process(self.process.pid, set(range(os.cpu_count() or 1)) if wide else {SERVER_CORE})

    async def prepare(
        self,
        rooms: int,
        users_per_room: int,
        pool: int,
        sockets_per_member: int = 1,
        concurrency: int = 8,
        progress: Callable[[str], None] | None = None,
    ) -> list[list[str]]:
        """The socket URLs of every room (rooms x users_per_room x sockets_per_member)."""
        pool = max(pool, users_per_room)
        if not self.is_roomcast:
            return [
                [
                    f"{self.ws_url_for(f'room{r}', f'user{(r + u) % pool}')}"
                    for u in range(users_per_room)
                    for _ in range(sockets_per_member)
                ]
                for r in range(rooms)
            ]
        async with httpx.AsyncClient(base_url=self.base_url, timeout=120) as http:
            tokens = await self._accounts(http, pool, concurrency, progress)
            room_ids = await self._make_rooms(http, tokens, rooms, users_per_room, concurrency, progress)
        return [
            [
                f"{self.ws_base}/ws/{room_id}?token={tokens[(r + u) % pool][1]}"
                for u in range(users_per_room)
                for _ in range(sockets_per_member)
            ]
            for r, room_id in enumerate(room_ids)
        ]

    async def prepare_users(
        self,
        rooms: int,
        users: int,
        per_user: int,
        concurrency: int = 8,
        progress: Callable[[str], None] | None = None,
    ) -> tuple[list[str], list[tuple[str, tuple[int, ...]]]]:
        """roomcast for user connections: `users` users, each a member of `per_user` of `rooms`
        rooms (`memberships`). The room ids, and per user its `/ws?token=` URL and its rooms."""
        if not self.is_roomcast:
            raise RuntimeError(f"{self.label} has no user connections (/ws?token=): only roomcast has")
        layout = memberships(users, rooms, per_user)
        members: list[list[int]] = [[] for _ in range(rooms)]
        for u, own in enumerate(layout):
            for r in own:
                members[r].append(u)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=120) as http:
            tokens = await self._accounts(http, users, concurrency, progress)
            gate = asyncio.Semaphore(concurrency)

            async def make(r: int) -> str:
                owner, *others = members[r]
                async with gate:
                    # Members come with the room (one request, at most MAX_MEMBERS); any more join.
                    body = {
                        "name": f"bench-{self.run_id}-{r}",
                        "is_private": False,
                        "members": [tokens[u][0] for u in others[:MAX_MEMBERS]],
                    }
                    response = await http.post("/api/rooms", json=body, headers=_bearer(tokens[owner][1]))
                    response.raise_for_status()
                    room_id = str(response.json()["id"])
                    for u in others[MAX_MEMBERS:]:
                        joined = await http.post(f"/api/rooms/{room_id}/join", headers=_bearer(tokens[u][1]))
                        joined.raise_for_status()
                return room_id

            room_ids = list(await asyncio.gather(*(make(r) for r in range(rooms))))
        if progress is not None:
            progress(f"created {rooms} rooms with {sum(map(len, members))} memberships")
        return room_ids, [(f"{self.ws_base}/ws?token={tokens[u][1]}", own) for u, own in enumerate(layout)]

    def ws_url_for(self, room: str, user: str) -> str:
        if self.kind == "socketio":
            return f"{self.ws_base}/socket.io/?EIO=4&transport=websocket&room={room}&user={user}"
        return f"{self.ws_base}/ws/{room}?user={user}"

    async def _accounts(
        self, http: httpx.AsyncClient, count: int, concurrency: int, progress: Callable[[str], None] | None
    ) -> list[tuple[str, str]]:
        """(username, access token) of `count` new users: for a server started here straight into
        its database (`seed`: no argon2 per user), else registered and logged in over REST."""
        if self.env:
            from roomcast.bench.seed import seed_users

            names = [f"b{self.run_id}_{u}" for u in range(count)]
            return await seed_users(self.env, names, PASSWORD, progress)
        return await self._register(http, count, concurrency, progress)

    async def _register(
        self, http: httpx.AsyncClient, count: int, concurrency: int, progress: Callable[[str], None] | None
    ) -> list[tuple[str, str]]:
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one(i: int) -> tuple[str, str]:
            nonlocal done
            username = f"b{self.run_id}_{i}"
            async with gate:
                body = {"username": username, "password": PASSWORD}
                response = await http.post("/api/auth/register", json=body)
                if response.status_code != 201:
                    raise RuntimeError(f"register {username}: {response.status_code} {response.text}")
                response = await http.post("/api/auth/login", json=body)
                response.raise_for_status()
            done += 1
            if progress is not None:
                progress(f"registered {done}/{count} users")
            return username, str(response.json()["access_token"])

        return list(await asyncio.gather(*(one(i) for i in range(count))))

    async def _make_rooms(
        self,
        http: httpx.AsyncClient,
        tokens: Sequence[tuple[str, str]],
        rooms: int,
        users_per_room: int,
        concurrency: int,
        progress: Callable[[str], None] | None,
    ) -> list[str]:
        gate = asyncio.Semaphore(concurrency * 4)
        pool = len(tokens)

        def auth(i: int) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[i % pool][1]}"}

        async def make(r: int) -> str:
            async with gate:
                body = {"name": f"bench-{self.run_id}-{r}", "is_private": False}
                response = await http.post("/api/rooms", json=body, headers=auth(r))
                response.raise_for_status()
                return str(response.json()["id"])

        room_ids = list(await asyncio.gather(*(make(r) for r in range(rooms))))

        async def join(r: int, u: int) -> None:
            async with gate:
                response = await http.post(f"/api/rooms/{room_ids[r]}/join", headers=auth(r + u))
                response.raise_for_status()

        await asyncio.gather(*(join(r, u) for r in range(rooms) for u in range(1, users_per_room)))
        if progress is not None:
            progress(f"created {rooms} rooms")
        return room_ids

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.workdir is not None:
            self.workdir.cleanup()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def roomcast_env(workdir: str) -> dict[str, str]:
    """The settings of a roomcast under load: a fresh SQLite file in `workdir`, limits out of the way."""
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bench.db",
        "JWT_SECRET": "bench-secret-" + uuid.uuid4().hex,
        "MESSAGE_RATE_LIMIT": "1000000000",
        "ACTION_RATE_LIMIT": "1000000000/60",  # edits and reactions of --mix
        "ACCESS_TOKEN_TTL": "86400",
        # Thousands of users register and connect from one address.
        "LOGIN_RATE_LIMIT": "1000000000/60",
        "REGISTER_RATE_LIMIT": "1000000000/60",
        "CREATE_RATE_LIMIT": "1000000000/60",
        "MAX_CONNECTIONS_PER_USER": "1000000",
    }


def launch_target(kind: str, pin: bool, send_queue_limit: int | None = None, previous: str | None = None) -> Target:
    """Start `kind` on 127.0.0.1:<free port> in a fresh temporary folder, pinned to one core;
    a `-previous` kind runs the roomcast package found in the source folder `previous`."""
    workdir = tempfile.TemporaryDirectory(prefix=f"roomcast-bench-{kind}-")
    port = free_port()
    env = dict(os.environ)
    settings: dict[str, str] = {}
    if kind in ROOMCAST_KINDS:
        command = [sys.executable, "-m", "roomcast", "serve", "--host", "127.0.0.1", "--port", str(port)]
        settings = roomcast_env(workdir.name)
        if send_queue_limit is not None:
            settings["SEND_QUEUE_LIMIT"] = str(send_queue_limit)
        env.update(settings)
        env.pop("REDIS_URL", None)
        if kind.endswith("-previous"):
            if not previous:
                raise RuntimeError(f"{kind} needs the previous build's source folder (--previous)")
            env["PYTHONPATH"] = previous
        if kind.startswith("roomcast-scaled"):
            from roomcast.bench.stores import fresh_stores

            settings.update(asyncio.run(fresh_stores(SCALED_DATABASE)))
            env.update(settings)
            migrate = [sys.executable, "-m", "roomcast", "migrate"]
            subprocess.run(migrate, cwd=workdir.name, env=env, check=True, capture_output=True)
    else:
        command = [sys.executable, "-m", BASELINES[kind], "--port", str(port)]
    if pin and can_pin() and shutil.which("taskset"):
        command = ["taskset", "-c", str(SERVER_CORE), *command]
    log_path = Path(workdir.name) / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=workdir.name, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_raise_nofile
        )
    target = Target(kind, f"http://127.0.0.1:{port}", process.pid, process, workdir, log_path, env=settings)
    try:
        _wait_ready(target)
    except BaseException:
        target.stop()
        raise
    return target


def _raise_nofile() -> None:
    raise_nofile()


def raise_nofile() -> None:
    """Sockets are file descriptors: lift the soft limit to the hard one."""
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def _wait_ready(target: Target, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert target.process is not None
        if target.process.poll() is not None:
            log = target.log_path.read_text(errors="replace")[-2000:] if target.log_path else ""
            raise RuntimeError(f"{target.kind} server exited with {target.process.returncode}:\n{log}")
        try:
            if httpx.get(target.base_url + "/health", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{target.kind} server did not answer /health within {timeout:.0f} s")


def guess_kind(url: str) -> str:
    """A running server at `url`: roomcast answers /api/users/me with 401."""
    try:
        status = httpx.get(url.rstrip("/") + "/api/users/me", timeout=3).status_code
    except httpx.HTTPError as exc:
        raise RuntimeError(f"cannot reach {url}: {exc}") from None
    return "roomcast" if status == 401 else "fastapi"
