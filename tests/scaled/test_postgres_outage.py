"""PostgreSQL lost while running: retryable message_error, `fail` health, recovery by itself.

The instance reaches PostgreSQL through a TCP relay the test can cut, so the shared
PostgreSQL other tests use is never stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.contract.env import postgres_url, redis_url
from tests.scaled.cluster import Instance, account, create_database, drop_database, environment, migrate, room

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL while `up`; cutting it drops every connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.up = True
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


async def test_database_outage_is_retryable_and_recovers(tmp_path: Path) -> None:
    database = await create_database(postgres_url())
    url = make_url(database)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    relay_port = await relay.start()
    env = environment(url.set(port=relay_port).render_as_string(hide_password=False), redis_url())
    instance = Instance(env, tmp_path)
    try:
        await asyncio.to_thread(migrate, env, tmp_path)
        await instance.start()
        async with httpx.AsyncClient(base_url=instance.base_url, timeout=15) as http:
            alice = await account(http)
            room_id = await room(http, alice)
            client = await instance.connect(room_id, alice.token)
            await client.expect("connected")
            await client.send("send_message", content="before", client_id="m1")
            assert (await client.expect("message_sent"))["message"]["seq"] == 1

            relay.cut()
            await client.send("send_message", content="during", client_id="m2")
            error = await client.expect("message_error", timeout=10)
            assert error["retryable"] is True and error["client_id"] == "m2"
            health = await http.get("/health")
            assert health.status_code == 503 and health.json()["status"] == "fail"

            relay.up = True
            async with asyncio.timeout(20):
                while (await http.get("/health")).status_code != 200:  # noqa: ASYNC110
                    await asyncio.sleep(0.3)
            await client.send("send_message", content="during", client_id="m2")  # the client's retry
            sent = await client.expect("message_sent", timeout=10)
            assert sent["message"]["seq"] == 2 and sent["client_id"] == "m2"
            await client.close()
    finally:
        instance.stop()
        await relay.close()
        await drop_database(database)
