from __future__ import annotations

from tests.conftest import LiveServer


async def test_chat_round_trip(live: LiveServer) -> None:
    alice, bob = await live.user(via_login=True), await live.user()
    room = await live.room(alice, bob)
    a = await live.connect(room["id"], alice)
    assert (await a.recv())["type"] == "connected"
    b = await live.connect(room["id"], bob)
    await b.expect("connected")
    await a.expect("user_joined")
    await b.send("send_message", content="hello", client_id="m1")
    sent = await b.expect("message_sent")
    got = await a.expect("new_message")
    assert got["message"] == sent["message"]
    assert sent["message"]["seq"] == 1
    await a.close()
    await b.close()
