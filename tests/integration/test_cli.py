"""The command line (SPEC §7), run as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOMCAST = shutil.which("roomcast", path=str(Path(sys.executable).parent)) or "roomcast"


def run(*command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "JWT_SECRET", "DATABASE_URL", "MESSAGE_RATE_LIMIT")
    }
    base |= {"ROOMCAST_SECRET_FILE": str(cwd / "secret"), "DATABASE_URL": f"sqlite+aiosqlite:///{cwd}/cli.db"}
    return subprocess.run(
        list(command), cwd=cwd, env=base | env, capture_output=True, text=True, timeout=120, check=False
    )


async def arun(*command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run, *command, cwd=cwd, **env)


async def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = await arun(ROOMCAST, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for word in ("serve", "migrate", "bench", "DATABASE_URL"):
        assert word in result.stdout
    serve = await arun(ROOMCAST, "serve", "--help", cwd=tmp_path)
    assert serve.returncode == 0
    for option in ("--host", "--port", "--workers"):
        assert option in serve.stdout
    assert not (tmp_path / "cli.db").exists()  # help has no side effects


async def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    result = await arun(ROOMCAST, cwd=tmp_path)
    assert result.returncode == 2
    assert "usage" in result.stderr.lower()


async def test_python_dash_m_migrate(tmp_path: Path) -> None:
    result = await arun(sys.executable, "-m", "roomcast", "migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    with sqlite3.connect(tmp_path / "cli.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "rooms", "room_participants", "messages", "notifications"} <= tables


async def test_roomcast_migrate_uses_the_default_database_and_generates_a_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JWT_SECRET", "REDIS_URL")}
    env["ROOMCAST_SECRET_FILE"] = str(tmp_path / "secret")
    result = await asyncio.to_thread(
        subprocess.run,
        [ROOMCAST, "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "roomcast.db").exists()  # sqlite+aiosqlite:///./roomcast.db
    assert (tmp_path / "secret").read_text().strip()
    assert "JWT_SECRET is not set" in result.stderr + result.stdout


async def test_serve_with_several_workers_needs_redis(tmp_path: Path) -> None:
    result = await arun(ROOMCAST, "serve", "--workers", "2", "--port", "1", cwd=tmp_path)
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
    assert "workers" in result.stderr


async def test_serve_refuses_zero_workers(tmp_path: Path) -> None:
    result = await arun(ROOMCAST, "serve", "--workers", "0", cwd=tmp_path)
    assert result.returncode != 0
    assert "--workers" in result.stderr


@pytest.mark.parametrize(
    ("env", "mentioned"),
    [
        ({"MESSAGE_RATE_LIMIT": "abc"}, "MESSAGE_RATE_LIMIT"),
        ({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "JWT_SECRET"),
    ],
)
async def test_bad_settings_stop_every_command_with_a_clear_message(
    tmp_path: Path, env: dict[str, str], mentioned: str
) -> None:
    for command in ("migrate", "serve"):
        result = await arun(ROOMCAST, command, cwd=tmp_path, **env)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.startswith("roomcast: invalid configuration")
        assert mentioned in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists()
