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
