"""The OpenAPI document says exactly what the server does: `schemathesis run --checks all` finds nothing.

The CLI runs every phase (examples, coverage, fuzzing, stateful) against a live server, with
every check: no 5xx, only documented statuses, headers and bodies, schema-valid requests
accepted and schema-violating ones refused, `Allow` on 405, auth not ignored, deleted
resources gone. It is authenticated, and half of the time it uses the id of a real room,
member and notification, so that it gets past 401 and the 404 of an unknown id. Bounded for
CI: ROOMCAST_FUZZ_EXAMPLES cases per operation and phase (default 25), no shrinking.

One check is off for the operations that name a second resource: after `POST /api/rooms`,
`ensure_resource_availability` takes any 404 of `POST /api/rooms/{room_id}/members` for the
new room being missing, while that 404 names the unknown *username* of the body (documented,
SPEC §3); likewise the 404 of an unknown *message* id in the routes under
`/api/rooms/{room_id}/messages/{message_id}`.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest import LiveServer

MAX_EXAMPLES = int(os.environ.get("ROOMCAST_FUZZ_EXAMPLES", "25"))
TIME_LIMIT = 300
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

CONFIG = """
[dictionaries.rooms]
values = ["{room_id}"]
[dictionaries.users]
values = ["{user_id}"]
[dictionaries.notifications]
values = ["{notification_id}"]

[parameters]
"path.room_id" = {{ dictionary = "rooms", probability = 0.5 }}
"path.user_id" = {{ dictionary = "users", probability = 0.5 }}
"path.notification_id" = {{ dictionary = "notifications", probability = 0.5 }}

# A member named who does not exist is a 404 for the user, not for the room just created.
[[operations]]
include-method = "POST"
include-path = "/api/rooms/{{room_id}}/members"
checks.ensure_resource_availability.enabled = false
phases.stateful.checks.ensure_resource_availability.enabled = false

[[operations]]
include-path-regex = '^/api/rooms/\\{{room_id\\}}/messages/\\{{message_id\\}}'
checks.ensure_resource_availability.enabled = false
"""


async def test_schemathesis_with_every_check_finds_nothing(
    start_server: Callable[..., Awaitable[LiveServer]], tmp_path: Path
) -> None:
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: pip install -e '.[test]'")
    server = await start_server(MESSAGE_RATE_LIMIT=100_000)
    assert server.http is not None
    alice, bob = await server.user(via_login=True), await server.user()
    room = await server.room(alice, bob, is_private=True)
    for i in range(3):
        assert (await server.post(bob, room["id"], f"@{alice.username} message {i}")).status_code == 201
    await asyncio.wait_for(server.services.notifier.flush(), 5)
    notification = (await server.http.get("/api/notifications", headers=alice.headers)).json()[0]
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(room_id=room["id"], user_id=bob.id, notification_id=notification["id"]))

    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{server.base_url}/openapi.json",
        # Every check is on by default; `--checks all` on the command line would also override
        # the per-operation exceptions of the configuration above.
        "--header",
        f"Authorization: Bearer {alice.token}",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--no-shrink",
        "--generation-deterministic",
        "--request-timeout",
        "15",
    ]
    # A subprocess, so that this event loop goes on serving the requests it sends.
    process = await asyncio.create_subprocess_exec(
        *command, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), TIME_LIMIT)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"schemathesis did not finish within {TIME_LIMIT} s")
    report = output.decode(errors="replace")

    assert process.returncode == 0, report[-12_000:]
    schema = (await server.http.get("/openapi.json")).json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    assert operations >= 20
    assert re.search(rf"Selected: {operations}/{operations}\s+Tested: {operations}\b", report), report[-3000:]
    health = await server.http.get("/health")
    assert health.json()["status"] == "ok"
