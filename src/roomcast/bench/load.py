"""The generator's side of the wire: picows connections and the open-loop, stepped sender.

Every message carries `bench <number> <send time ns>` in its content. A receiver finds that
mark in the raw frame (no JSON parse on the hot path), so latency is measured from the
moment the frame was written to the moment each receiver read it, on the same clock.
Sending never waits for an answer (open loop): a slow server shows as latency and loss,
not as a politely lower offered rate.

A socket is a room socket (`Fleet.open`, SPEC §4) or a user connection subscribed to several
rooms (`Fleet.open_users`, SPEC §4b); either way a message is owed to every other live socket
of its room, and a user connection also counts the `room_activity` frames it receives.

With a mix (`Fleet(mix=0.2)`), that share of each client's frames are changes to its own
latest acknowledged message instead (roomcast only): alternately an edit, whose content is a
fresh mark so that its `message_updated` deliveries are timed like new messages, and a 👍
toggle (added, then removed), whose deliveries are only counted. The message's id comes from
the sender's own `message_sent`, the one frame whose JSON is parsed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from roomcast.bench.dialects import ChangeDialect, Dialect, SubscribeDialect

MARK = b"bench "
TEXT = WSMsgType.TEXT
CLOSE = WSMsgType.CLOSE


class Client(WSListener):
    __slots__ = (
        "close_code",
        "credit",
        "edit_next",
        "fleet",
        "last_id",
        "pending",
        "reacted",
        "ready",
        "rooms",
        "transport",
    )

    def __init__(self, fleet: Fleet, rooms: tuple[int, ...], subscribe: bool = False) -> None:
        self.fleet = fleet
        self.rooms = rooms  # the fleet's indices of the rooms this socket follows
        self.pending = len(rooms) if subscribe else 0  # subscriptions to confirm before it is ready
        self.transport: WSTransport | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code = 0
        # --mix: this client's latest acknowledged message, whether it carries our 👍, whether
        # the next change is an edit, and the share of a change accumulated so far.
        self.last_id: str | None = None
        self.reacted = False
        self.edit_next = True
        self.credit = 0.0

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
    # --mix: changes sent (in `sent` too, never acked: there is no message_sent for a change);
    # an edit's deliveries are also in `expected`/`delivered`/`latencies`, a reaction's only here.
    edits: int = 0
    edit_expected: int = 0
    edit_delivered: int = 0
    edit_latencies: list[int] = field(default_factory=list)
    reactions: int = 0
    reaction_expected: int = 0
    reaction_delivered: int = 0
    activity: int = 0  # room_activity frames received (user connections) while this step sent

    @property
    def messages(self) -> int:
        """New messages sent: what `message_sent` answers."""
        return self.sent - self.edits - self.reactions


class Fleet:
    """All sockets of a run, grouped by room, and what was sent and received on them."""

    def __init__(self, dialect: Dialect, expect_acks: bool = True, mix: float = 0.0) -> None:
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be a fraction between 0 and 1, not {mix}")
        if mix and not all(hasattr(dialect, name) for name in ("encode_edit", "encode_reaction", "acked_message_id")):
            raise ValueError(f"{type(dialect).__name__} cannot edit or react: no mixed load against it")
        self.dialect = dialect
        self.expect_acks = expect_acks
        self.mix = mix
        self.changer = cast(ChangeDialect, dialect)
        self.rooms: list[list[Client]] = []
        self.room_ids: list[str | None] = []  # what frames name each room with (user connections)
        self.live_in_room: list[int] = []
        self.sent_at: list[int] = []
        self.step_of: list[int] = []
        self.steps: list[StepCounters] = []
        self.disconnects = 0
        self.closes: dict[int, int] = {}
        self.stray_errors = 0
        self.counting_activity = False  # while a step sends: its room_activity frames per second

    async def open(
        self,
        urls: Sequence[Sequence[str]],
        concurrency: int = 64,
        timeout: float = 30.0,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Connect every url (rooms x members) and wait until each socket is ready."""
        base = len(self.rooms)
        self._add_rooms([None] * len(urls))
        plans = [(url, (base + r,)) for r, room_urls in enumerate(urls) for url in room_urls]
        await self._connect(plans, False, concurrency, timeout, progress)

    async def open_users(
        self,
        room_ids: Sequence[str],
        users: Sequence[tuple[str, Sequence[int]]],
        concurrency: int = 64,
        timeout: float = 120.0,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Connect one user connection per (url, rooms) of `users`, each subscribing to its rooms
        (indices into `room_ids`), and wait until every subscription is confirmed."""
        if self.mix or not hasattr(self.dialect, "encode_subscribe"):
            raise ValueError(f"no user connections with {type(self.dialect).__name__} (mix {self.mix:g})")
        base = len(self.rooms)
        self._add_rooms(list(room_ids))
        plans = [(url, tuple(base + r for r in rooms)) for url, rooms in users]
        await self._connect(plans, True, concurrency, timeout, progress)

    def _add_rooms(self, room_ids: Sequence[str | None]) -> None:
        self.rooms.extend([] for _ in room_ids)
        self.room_ids.extend(room_ids)
        self.live_in_room.extend(0 for _ in room_ids)

    async def _connect(
        self,
        plans: Sequence[tuple[str, tuple[int, ...]]],
        subscribe: bool,
        concurrency: int,
        timeout: float,
        progress: Callable[[int], None] | None,
    ) -> None:
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one(url: str, rooms: tuple[int, ...]) -> Client:
            nonlocal done
            async with gate:
                factory = lambda: Client(self, rooms, subscribe)  # noqa: E731 - picows wants a factory
                _, client = await ws_connect(factory, url, max_frame_size=16 * 1024 * 1024)
                assert isinstance(client, Client)
                await asyncio.wait_for(client.ready, timeout)
            done += 1
            if progress is not None:
                progress(done)
            return client

        tasks = [asyncio.ensure_future(one(url, rooms)) for url, rooms in plans]
        try:
            clients = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise
        for client in clients:
            for room in client.rooms:
                self.rooms[room].append(client)
                self.live_in_room[room] += 1

    def clients(self) -> list[Client]:
        return list({id(client): client for room in self.rooms for client in room}.values())

    def senders(self) -> list[tuple[Client, int]]:
        """(socket, room) in round-robin order that visits every room before a room's next member."""
        width = max((len(room) for room in self.rooms), default=0)
        return [(room[i], r) for i in range(width) for r, room in enumerate(self.rooms) if i < len(room)]

    # -- receiving -------------------------------------------------------------------------

    def on_text(self, client: Client, payload: bytes) -> None:
        i = payload.find(MARK)
        if i >= 0:
            now = time.monotonic_ns()
            head = payload[:48]
            start = i + 6
            j = payload.find(b" ", start)
            k = payload.find(b" ", j + 1)
            if b"new_message" in head:
                step = self.steps[self.step_of[int(payload[start:j])]]
                step.delivered += 1
                step.latencies.append(now - int(payload[j + 1 : k]))
                return
            if b"message_sent" in head:
                self.steps[self.step_of[int(payload[start:j])]].acked += 1
                if self.mix:
                    message_id = self.changer.acked_message_id(payload)
                    if message_id is not None and message_id != client.last_id:
                        client.last_id = message_id
                        client.reacted = False
                return
            if b"message_updated" in head:
                self._on_updated(payload, now, self.steps[self.step_of[int(payload[start:j])]], j, k)
                return
            # Another frame quoting a message (`room_activity` carries the room's last one).
        self._on_other(client, payload)

    def _on_other(self, client: Client, payload: bytes) -> None:
        outcome = self.dialect.on_other(client, payload)
        if outcome is None:
            return
        if outcome == "activity":
            if self.counting_activity:
                self.steps[-1].activity += 1
        elif outcome == "ready":
            if client.pending:
                encode = cast(SubscribeDialect, self.dialect).encode_subscribe
                for room in client.rooms:
                    client.send(encode(cast(str, self.room_ids[room])))
            else:
                client.mark_ready()
        elif outcome == "subscribed":
            client.pending -= 1
            if client.pending == 0:
                client.mark_ready()
        elif outcome == "refused":
            if not client.ready.done():
                reason = payload[:300].decode(errors="replace")
                client.ready.set_exception(ConnectionError(f"subscription refused: {reason}"))
        elif self.steps:
            self.steps[-1].errors += 1
        else:
            self.stray_errors += 1

    def _on_updated(self, payload: bytes, now: int, step: StepCounters, j: int, k: int) -> None:
        """A change's delivery. An edit's mark is its own (its step, its send time); a reaction
        carries the message's content, so its mark says nothing: it counts for the current step."""
        c = payload.find(b'"change":"', 0, 96)
        if c < 0 or b'"seq":null' in payload[:c]:
            return  # a change that changed nothing: the actor's answer, not a broadcast
        kind = payload[c + 10 : c + 11]
        if kind == b"e":
            step.delivered += 1
            step.edit_delivered += 1
            latency = now - int(payload[j + 1 : k])
            step.latencies.append(latency)
            step.edit_latencies.append(latency)
        elif kind == b"r" and self.steps:
            self.steps[-1].reaction_delivered += 1

    def on_disconnected(self, client: Client) -> None:
        if client.ready.done():
            for room in client.rooms:
                self.live_in_room[room] -= 1
        self.disconnects += 1
        self.closes[client.close_code] = self.closes.get(client.close_code, 0) + 1
        if self.steps:
            self.steps[-1].errors += 1
        if not client.ready.done():
            client.ready.set_exception(ConnectionError(f"closed before ready ({client.close_code})"))

    # -- sending ---------------------------------------------------------------------------

    def _send_one(self, client: Client, room: int, step_index: int, step: StepCounters) -> None:
        if self.mix:
            credit = client.credit + self.mix
            if credit > 0.999999 and client.last_id is not None:
                client.credit = credit - 1.0
                self._send_change(client, room, client.last_id, step_index, step)
                return
            client.credit = min(credit, 1.0)  # nothing acknowledged yet: a message instead, no debt
        number = len(self.sent_at)
        now = time.monotonic_ns()
        self.sent_at.append(now)
        self.step_of.append(step_index)
        step.sent += 1
        step.expected += self.live_in_room[room] - 1
        client.send(self.dialect.encode_send(f"bench {number} {now} hello", f"c{number}", self.room_ids[room]))

    def _send_change(self, client: Client, room: int, message_id: str, step_index: int, step: StepCounters) -> None:
        """An edit of `message_id` or a 👍 toggle on it, every live member of the room (the
        actor too) being owed its `message_updated`."""
        dialect = self.changer
        number = len(self.sent_at)
        now = time.monotonic_ns()
        self.sent_at.append(now)
        self.step_of.append(step_index)
        step.sent += 1
        members = self.live_in_room[room]
        if client.edit_next:
            step.edits += 1
            step.expected += members
            step.edit_expected += members
            payload = dialect.encode_edit(message_id, f"bench {number} {now} edit", f"e{number}")
        else:
            step.reactions += 1
            step.reaction_expected += members
            payload = dialect.encode_reaction(message_id, "\N{THUMBS UP SIGN}", not client.reacted, f"r{number}")
            client.reacted = not client.reacted
        client.edit_next = not client.edit_next
        client.send(payload)

    async def run_step(
        self,
        rate: float,
        duration: float,
        drain: float,
        progress: Callable[[StepCounters, float], None] | None = None,
        settle: float = 0.0,
    ) -> StepCounters:
        """Send at `rate` msg/s for `duration` s, then wait up to `drain` s for what is owed, then
        `settle` s more: the coalesced `room_activity` still due (counted only while sending)."""
        step = StepCounters(offered=rate)
        self.steps.append(step)
        index = len(self.steps) - 1
        senders = self.senders()
        cursor = 0
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + duration
        next_report = start
        self.counting_activity = True
        while True:
            now = loop.time()
            due = int((min(now, end) - start) * rate)  # at the end: every message of the step
            while step.sent < due:
                client, room = senders[cursor]
                self._send_one(client, room, index, step)
                cursor = (cursor + 1) % len(senders)
            if now >= end:
                break
            if progress is not None and now >= next_report:
                progress(step, now - start)
                next_report = now + 0.5
            await asyncio.sleep(0.001)
        self.counting_activity = False
        deadline = loop.time() + drain
        while loop.time() < deadline:
            owed = (
                step.delivered < step.expected
                or (self.expect_acks and step.acked < step.messages)
                or step.reaction_delivered < step.reaction_expected
            )
            if not owed:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(settle)
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
