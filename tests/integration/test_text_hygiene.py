"""Content that shows nothing is no message (SPEC §7): refused alike by REST and the WebSocket,
through `MessageService.check_content`, and nothing is stored or broadcast."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import LiveServer, User

StartServer = Callable[..., Awaitable[LiveServer]]

INVISIBLE = [
    "\u200b",  # zero-width space, the case of issue 10
    "\u200b\u200c\u200d\u2060\ufeff",
    " \u200b\n\t\u00a0\u3000",
    "\u202e\u2066\u2069",  # bidi controls alone
    "\U000e0020\U000e0041",  # tag characters
    "\u3164\u115f",  # Hangul fillers
]


async def history(live: LiveServer, user: User, room_id: str) -> list[dict[str, Any]]:
    assert live.http is not None
    response = await live.http.get(f"/api/rooms/{room_id}/messages", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


@pytest.mark.parametrize("content", INVISIBLE)
async def test_rest_refuses_invisible_content_with_422(live: LiveServer, content: str) -> None:
    alice = await live.user()
    room = await live.room(alice)
    response = await live.post(alice, room["id"], content, client_id="c-1")
    assert response.status_code == 422, response.text
    assert "invisible" in response.json()["detail"]
    assert await history(live, alice, room["id"]) == []


async def test_visible_text_among_invisible_characters_is_kept_as_sent(live: LiveServer) -> None:
    alice = await live.user()
    room = await live.room(alice)
    for content in ("\u200bhi\u200b", "👍🏽", "x\u202e", "\u0301"):
        response = await live.post(alice, room["id"], content)
        assert response.status_code == 201, (content, response.text)
        assert response.json()["content"] == content


async def test_the_websocket_answers_a_non_retryable_message_error(live: LiveServer) -> None:
    users, room, (a, b) = await live.joined(2)
    for n, content in enumerate(INVISIBLE):
        await a.send("send_message", content=content, client_id=f"inv-{n}")
        error = await a.expect("message_error")
        assert error["client_id"] == f"inv-{n}" and error["retryable"] is False, error
        assert "invisible" in error["error"]
    await b.silent(("new_message",))
    await a.send("send_message", content="\u200bvisible", client_id="ok")
    assert (await a.expect("message_sent"))["client_id"] == "ok"
    assert [m["content"] for m in await history(live, users[0], room["id"])] == ["\u200bvisible"]


async def test_the_schema_states_the_rule(live: LiveServer) -> None:
    """A generated client (or schemathesis) learns the rule from /openapi.json."""
    assert live.http is not None
    schema = (await live.http.get("/openapi.json")).json()
    content = schema["components"]["schemas"]["MessageIn"]["properties"]["content"]
    assert content["minLength"] == 1 and content["maxLength"] == live.settings.max_message_length
    pattern = re.compile(content["pattern"])
    for invisible in INVISIBLE:
        assert not pattern.search(invisible), invisible
    for visible in ("a", "\u200bhi", "x\u202e", "line\n"):
        assert pattern.search(visible), visible
    assert not pattern.search("a\x00b")


async def test_repeated_refusals_write_one_line_per_interval(
    start_server: StartServer, caplog: pytest.LogCaptureFixture
) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=1)
    alice = await live.user()
    room = await live.room(alice)
    assert (await live.post(alice, room["id"], "first")).status_code == 201
    caplog.set_level(logging.INFO, logger="roomcast.messages")
    for _ in range(20):
        assert (await live.post(alice, room["id"], "again")).status_code == 429
    lines = [r for r in caplog.records if r.name == "roomcast.messages" and r.getMessage() == "rate limit refused"]
    assert len(lines) == 1
