"""The generator's side of the wire: picows connections and the open-loop, stepped sender.

Every message carries `bench <number> <send time ns>` in its content. A receiver finds that
mark in the raw frame (no JSON parse on the hot path), so latency is measured from the
moment the frame was written to the moment each receiver read it, on the same clock.
Sending never waits for an answer (open loop): a slow server shows as latency and loss,
not as a politely lower offered rate.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

MARK = b"bench "
TEXT = WSMsgType.TEXT
CLOSE = WSMsgType.CLOSE


class Dialect(Protocol):
    """How one kind of server is spoken to once a socket is open (see `targets`)."""

    hello: bytes | None

    def encode_send(self, content: str, client_id: str) -> bytes: ...

    def on_other(self, client: Client, payload: bytes) -> str | None:
        """A frame without a bench mark: "ready", "error" or None (ignored)."""
        ...


class Client(WSListener):
    __slots__ = ("close_code", "fleet", "ready", "room", "transport")

    def __init__(self, fleet: Fleet, room: int) -> None:
        self.fleet = fleet
        self.room = room
        self.transport: WSTransport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code = 0

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        hello = self.fleet.dialect.hello
        if hello is not None:
            transport.send(TEXT, hello)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is TEXT:
            self.fleet.on_text(self, frame.get_payload_as_bytes())
        elif kind is CLOSE:
            self.close_code = frame.get_close_code().value
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.fleet.on_disconnected(self)

    def send(self, payload: bytes) -> None:
        if self.transport is not None:
            self.transport.send(TEXT, payload)

    def mark_ready(self) -> None:
        if not self.ready.done():
            self.ready.set_result(None)


@dataclass
class StepCounters:
    offered: float
    sent: int = 0
    expected: int = 0
    delivered: int = 0
    acked: int = 0
    errors: int = 0
    latencies: list[int] = field(default_factory=list)


class Fleet:
    """All sockets of a run, grouped by room, and what was sent and received on them."""

    def __init__(self, dialect: Dialect, expect_acks: bool = True) -> None:
        self.dialect = dialect
        self.expect_acks = expect_acks
        self.rooms: list[list[Client]] = []
        self.live_in_room: list[int] = []
        self.sent_at: list[int] = []
        self.step_of: list[int] = []
        self.steps: list[StepCounters] = []
        self.disconnects = 0
        self.closes: dict[int, int] = {}
        self.stray_errors = 0

    async def open(
        self,
        urls: Sequence[Sequence[str]],
        concurrency: int = 64,
        timeout: float = 30.0,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Connect every url (rooms x members) and wait until each socket is ready."""
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one(room: int, url: str) -> Client:
            nonlocal done
            async with gate:
                _, client = await ws_connect(lambda: Client(self, room), url, max_frame_size=16 * 1024 * 1024)
                assert isinstance(client, Client)
                await asyncio.wait_for(client.ready, timeout)
            done += 1
            if progress is not None:
                progress(done)
            return client

        base = len(self.rooms)
        self.rooms.extend([] for _ in urls)
        self.live_in_room.extend(0 for _ in urls)
        tasks = [asyncio.ensure_future(one(base + r, url)) for r, room_urls in enumerate(urls) for url in room_urls]
        try:
            clients = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        for client in clients:
            self.rooms[client.room].append(client)
            self.live_in_room[client.room] += 1

    def clients(self) -> list[Client]:
        return [client for room in self.rooms for client in room]

    def senders(self) -> list[Client]:
        """Round-robin order that visits every room before a room's next member."""
        width = max((len(room) for room in self.rooms), default=0)
        return [room[i] for i in range(width) for room in self.rooms if i < len(room)]

    # -- receiving -------------------------------------------------------------------------

    def on_text(self, client: Client, payload: bytes) -> None:
        i = payload.find(MARK)
        if i < 0:
            outcome = self.dialect.on_other(client, payload)
            if outcome == "ready":
                client.mark_ready()
            elif outcome == "error":
                if self.steps:
                    self.steps[-1].errors += 1
                else:
                    self.stray_errors += 1
            return
        now = time.monotonic_ns()
        start = i + 6
        j = payload.find(b" ", start)
        k = payload.find(b" ", j + 1)
        number = int(payload[start:j])
        step = self.steps[self.step_of[number]]
        head = payload[:48]
        if b"new_message" in head:
            step.delivered += 1
            step.latencies.append(now - int(payload[j + 1 : k]))
        elif b"message_sent" in head:
            step.acked += 1

    def on_disconnected(self, client: Client) -> None:
        if client.ready.done():
            self.live_in_room[client.room] -= 1
        self.disconnects += 1
        self.closes[client.close_code] = self.closes.get(client.close_code, 0) + 1
        if self.steps:
            self.steps[-1].errors += 1
        if not client.ready.done():
            client.ready.set_exception(ConnectionError(f"closed before ready ({client.close_code})"))

    # -- sending ---------------------------------------------------------------------------

    def _send_one(self, client: Client, step_index: int, step: StepCounters) -> None:
        number = len(self.sent_at)
        now = time.monotonic_ns()
        self.sent_at.append(now)
        self.step_of.append(step_index)
        step.sent += 1
        step.expected += self.live_in_room[client.room] - 1
        client.send(self.dialect.encode_send(f"bench {number} {now} hello", f"c{number}"))

    async def run_step(
        self,
        rate: float,
        duration: float,
        drain: float,
        progress: Callable[[StepCounters, float], None] | None = None,
    ) -> StepCounters:
        """Send at `rate` msg/s for `duration` s, then wait up to `drain` s for what is owed."""
        step = StepCounters(offered=rate)
        self.steps.append(step)
        index = len(self.steps) - 1
        senders = self.senders()
        cursor = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + duration
        next_report = start
        while True:
            now = loop.time()
            if now >= end:
                break
            due = int((now - start) * rate)
            while step.sent < due:
                self._send_one(senders[cursor], index, step)
                cursor = (cursor + 1) % len(senders)
            if progress is not None and now >= next_report:
                progress(step, now - start)
                next_report = now + 0.5
            await asyncio.sleep(0.001)
        while step.sent < int(duration * rate):
            self._send_one(senders[cursor], index, step)
            cursor = (cursor + 1) % len(senders)
        deadline = loop.time() + drain
        while loop.time() < deadline:
            owed = step.delivered < step.expected or (self.expect_acks and step.acked < step.sent)
            if not owed:
                break
            await asyncio.sleep(0.02)
        return step

    async def close(self) -> None:
        for client in self.clients():
            if client.transport is not None and not client.transport.is_disconnected:
                try:
                    client.transport.send_close(WSCloseCode.OK)
                    client.transport.disconnect()
                except Exception as exc:  # pragma: no cover - best effort at the end of a run
                    print(f"bench: close failed: {exc!r}", file=sys.stderr)
        await asyncio.sleep(0.2)
