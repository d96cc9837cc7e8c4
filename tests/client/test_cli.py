"""`roomcast tail` and `roomcast send`, run as real subprocesses against a real server."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from tests.conftest import PASSWORD, LiveServer
from tests.events_helpers import Rest


def environment(live: LiveServer, token: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ROOMCAST_TOKEN", "ROOMCAST_URL")}
    env["ROOMCAST_URL"] = live.base_url
    if token is not None:
        env["ROOMCAST_TOKEN"] = token
    return env


async def roomcast(*args: str, env: dict[str, str], stdin: bytes | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "roomcast",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # no terminal: getpass reads the password from stdin
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_send_prints_the_stored_message(live: LiveServer) -> None:
    alice = await live.user()
    room_id = (await live.room(alice))["id"]
    code, out, err = await roomcast("send", room_id, "from the shell", env=environment(live, alice.token))
    assert code == 0, err
    seq, message_id = out.split()
    assert seq == "#1"
    stored = await Rest(live, room_id).messages(alice)
    assert [(m["id"], m["content"]) for m in stored] == [(message_id, "from the shell")]
    code, out, err = await roomcast(
        "send",
        room_id,
        "with a password",
        "--user",
        alice.username,
        env=environment(live),
        stdin=f"{PASSWORD}\n".encode(),
    )
    assert code == 0, err
    assert out.startswith("#2 ")


async def test_send_refusals_exit_non_zero(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    private = (await live.room(bob, is_private=True))["id"]
    code, _, err = await roomcast("send", private, "not mine", env=environment(live, alice.token))
    assert code == 1 and "not a participant" in err
    code, _, err = await roomcast("send", private, "no token", env=environment(live))
    assert code == 2 and "ROOMCAST_TOKEN" in err
    code, _, err = await roomcast("send", private, "bad token", env=environment(live, "nonsense"))
    assert code == 1 and "invalid token" in err


async def test_tail_shows_the_room_live(live: LiveServer) -> None:
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    rest = Rest(live, room_id)
    await rest.post(bob, "earlier")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "roomcast",
        "tail",
        room_id,
        env=environment(live, alice.token),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        lines: list[str] = []

        async def line_with(text: str) -> str:
            assert process.stdout is not None
            async with asyncio.timeout(30):
                while True:
                    line = (await process.stdout.readline()).decode()
                    assert line, f"tail ended; printed {lines}"
                    lines.append(line.rstrip("\n"))
                    if text in line:
                        return lines[-1]

        first = await line_with("earlier")
        assert first.startswith("#1 ") and f"{bob.username}: earlier" in first
        message: dict[str, Any] = await rest.post(bob, "live one")
        assert (await line_with("live one")).startswith("#2 ")
        assert (await rest.edit(bob, message["id"], "live one, edited")).status_code == 200
        assert await line_with("edited #2") == f"#3 ~ {bob.username} edited #2: live one, edited"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
