"""SPEC §4 isolation in scaled mode: a removal whose kick publication is lost (Redis is down
while the owner removes someone) still ends the removed member's access on every instance."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import websockets

from tests.contract.env import OwnRedis, postgres_url
from tests.scaled.cluster import Instance, account, create_database, drop_database, environment, migrate, room

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


async def test_a_removal_during_a_redis_outage_still_removes(tmp_path: Path) -> None:
    own_redis = OwnRedis(tmp_path).start()
    database = await create_database(postgres_url())
    env = environment(database, own_redis.url)
    migrate(env, tmp_path)
    a, b = Instance(env, tmp_path), Instance(env, tmp_path)
    try:
        await asyncio.gather(a.start(), b.start())
        async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
            owner, sender, member, reader = [await account(http) for _ in range(4)]
            room_id = await room(http, owner, sender, member, reader)
            talker = await b.connect(room_id, member.token)  # the member sends on instance b
            listener = await b.connect(room_id, member.token)  # and listens there too
            for client in (talker, listener):
                await client.expect("connected")

            own_redis.stop()  # the kick, published by instance a, reaches nobody
            removed = await http.delete(f"/api/rooms/{room_id}/members/{member.id}", headers=owner.headers)
            assert removed.status_code == 204

            # Every action after the removal is refused by instance b itself.
            await talker.send("send_message", content="after removal", client_id="late")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        frame = await talker.recv()
                        assert frame["type"] != "message_sent", frame
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008

            own_redis.start()
            # The silent socket is closed too: on the resync after the outage, or by the lease.
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(25):
                    while True:
                        await listener.recv(timeout=25)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            history = await http.get(f"/api/rooms/{room_id}/messages", headers=owner.headers)
            assert [m for m in history.json()["messages"] if m["sender_id"] == member.id] == []
    finally:
        a.stop()
        b.stop()
        own_redis.stop()
        await drop_database(database)


async def test_a_user_connection_catches_up_what_a_redis_outage_hid(tmp_path: Path) -> None:
    """Removed, added and read while Redis is down: after it returns, the user connection is
    told each (`room_removed`, `room_added`, `read_marker`), and hears nothing more of the room
    it was removed from."""
    own_redis = OwnRedis(tmp_path).start()
    database = await create_database(postgres_url())
    env = environment(database, own_redis.url)
    migrate(env, tmp_path)
    a, b = Instance(env, tmp_path), Instance(env, tmp_path)
    try:
        await asyncio.gather(a.start(), b.start())
        async with httpx.AsyncClient(base_url=a.base_url, timeout=10) as http:
            owner, bob = await account(http), await account(http)
            gone, read, joined = await room(http, owner, bob), await room(http, owner, bob), await room(http, owner)
            posted = await http.post(f"/api/rooms/{read}/messages", json={"content": "read me"}, headers=owner.headers)
            assert posted.status_code == 201
            app = await b.connect_user(bob.token)  # bob's app on instance b; his other device uses a
            ready = await app.expect("ready")
            assert {r["id"]: r["unread_count"] for r in ready["rooms"]} == {gone: 0, read: 1}

            own_redis.stop()  # none of the three user events below reaches instance b
            removed = await http.delete(f"/api/rooms/{gone}/members/{bob.id}", headers=owner.headers)
            added = await http.post(
                f"/api/rooms/{joined}/members", json={"username": bob.username}, headers=owner.headers
            )
            marked = await http.post(f"/api/rooms/{read}/read", json={"seq": 1}, headers=bob.headers)
            assert (removed.status_code, added.status_code, marked.status_code) == (204, 201, 200)
            own_redis.start()

            told: dict[str, dict[str, object]] = {}
            async with asyncio.timeout(25):
                while len(told) < 3:
                    frame = await app.recv(timeout=25)
                    if frame["type"] in ("room_removed", "room_added", "read_marker"):
                        told[frame["type"]] = frame["data"]
            assert told["room_removed"] == {"room_id": gone, "reason": "removed"}
            room_added = told["room_added"]["room"]
            assert isinstance(room_added, dict) and room_added["id"] == joined
            assert told["read_marker"] == {"room_id": read, "read_seq": 1, "unread_count": 0, "mention_count": 0}

            for room_id in (gone, joined):
                sent = await http.post(f"/api/rooms/{room_id}/messages", json={"content": "x"}, headers=owner.headers)
                assert sent.status_code == 201
            activity = await app.expect("room_activity")  # the removed room's message says nothing
            assert (activity["room_id"], activity["unread_count"]) == (joined, 1)
            await app.close()
    finally:
        a.stop()
        b.stop()
        own_redis.stop()
        await drop_database(database)
