"""Under a server other than roomcast's own transport, the same protocol through plain ASGI.

`roomcast serve` gives uvicorn roomcast's WebSocket protocol class; any other ASGI server (or
uvicorn with one of its own WebSocket implementations) reaches the same gateway through the
FastAPI endpoint and `gateway.asgi_peer`: slower, the same behaviour.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roomcast.config import Settings
from tests.conftest import LiveServer, reset_database
from tests.integration.test_ws_lifecycle import closed_code


@pytest.mark.parametrize("implementation", ["websockets-sansio", "wsproto"])
async def test_the_plain_asgi_path_carries_the_protocol(
    make_settings: Callable[..., Settings], implementation: str
) -> None:
    settings = make_settings()
    await reset_database(settings.database_url)
    live = await LiveServer(settings, server_options={"ws": implementation}).start()
    try:
        owner, bob = await live.user(), await live.user()
        room = await live.room(owner, bob)
        a = await live.connect(room["id"], owner)
        # bob joins only once alice is in: otherwise his join may precede her subscription and
        # she sees him in her own `connected` instead of a `user_joined`.
        assert (await a.expect("connected"))["user"]["id"] == owner.id
        b = await live.connect(room["id"], bob)
        await b.expect("connected")
        assert (await a.expect("user_joined"))["user_id"] == bob.id
        await a.send("send_message", content="over plain ASGI", client_id="asgi-1")
        assert (await a.expect("message_sent"))["client_id"] == "asgi-1"
        assert (await b.expect("new_message"))["message"]["content"] == "over plain ASGI"
        await b.send("ping")
        await b.expect("pong")
        removed = await live.http.delete(f"/api/rooms/{room['id']}/members/{bob.id}", headers=owner.headers)
        assert removed.status_code == 204
        assert await closed_code(b) == (1008, "removed from room")
        assert (await a.expect("user_left"))["user_id"] == bob.id
    finally:
        await live.stop()
