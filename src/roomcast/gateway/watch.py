"""What one user connection knows of one of its user's rooms, subscribed or not (SPEC §4b).

The state starts from the room as `ready` listed it and follows the room's events as the hub
delivers them, in seq order, by the same rules as the database's counts: a message of someone
else after the read mark is unread, and a mention if it names the user; one of the user's own
moves the read mark to it (the commit does the same); a deleted one no longer counts; an edit
that newly names the user adds a mention. So `room_activity` costs no database read, whatever
the room's size. It goes out at most once a second per room, the last state winning;
`read_marker` (any device of the user read the room) resets the state to the database's.

A `room_activity` that must wait for its second waits on `ActivityClock`'s grid: one timer for
every watch due in the same quarter second, whose frames go out in one coalesced write per
socket — a user in 20 busy rooms costs a few writes a second, not 20 timers and 20 writes.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from typing import Any

from roomcast.gateway.connection import Connection, WriteCoalescer
from roomcast.protocol import codec
from roomcast.services.notifications import mentioned_names

ACTIVITY_INTERVAL = 1.0
GRID = 0.25  # seconds: the due room_activity frames of a quarter second go out together


class ActivityClock:
    """Sends the room_activity frames that waited, a grid step at a time."""

    def __init__(self, coalescer: WriteCoalescer) -> None:
        self._coalescer = coalescer
        self._due: dict[int, list[RoomWatch]] = {}

    def at(self, when: float, watch: RoomWatch) -> None:
        """`watch` sends its state at the first grid step at or after `when` (loop time)."""
        step = math.ceil(when / GRID)
        due = self._due.get(step)
        if due is None:
            due = self._due[step] = []
            asyncio.get_running_loop().call_at(step * GRID, self._tick, step)
        due.append(watch)

    def _tick(self, step: int) -> None:
        self._coalescer.hold()
        for watch in self._due.pop(step, ()):
            watch.send_due()


class RoomWatch:
    __slots__ = (
        "_clock",
        "_due",
        "_waiting",
        "connection",
        "last_message",
        "last_seq",
        "mention_count",
        "mentions",
        "read_seq",
        "room_id",
        "seen_seq",
        "stopped",
        "unread_count",
    )

    def __init__(
        self, connection: Connection, room: dict[str, Any], unread_mentions: Iterable[int], clock: ActivityClock
    ) -> None:
        self.connection = connection
        self._clock = clock
        self.room_id: str = room["id"]
        self.last_seq: int = room["last_seq"]
        self.seen_seq = self.last_seq  # events up to here are in the counts already
        self.read_seq: int = room["read_seq"]
        self.unread_count: int = room["unread_count"]
        self.mention_count: int = room["mention_count"]
        self.mentions = {seq for seq in unread_mentions if seq > self.read_seq}  # their seqs, for deletes
        self.last_message: dict[str, Any] | None = room["last_message"]
        self._due = 0.0
        self._waiting = False  # on the clock: the frame then carries the state of that moment
        self.stopped = False

    def apply(self, seq: int, kind: str, data: dict[str, Any]) -> None:
        """A room event (`new_message` or `message_updated` data), in seq order."""
        if seq <= self.seen_seq or self.stopped:
            return
        self.seen_seq = seq
        self.last_seq = max(self.last_seq, seq)
        message = data["message"]
        mine = message["sender_id"] == self.connection.user_id
        if kind == "new_message":
            self.last_message = message
            if mine:
                self.read_seq, self.unread_count, self.mention_count = message["seq"], 0, 0
                self.mentions.clear()
            elif message["seq"] > self.read_seq:
                self.unread_count += 1
                if self._names_me(message["content"]):
                    self._add_mention(message["seq"])
            self._changed()
            return
        changed = self.last_message is not None and self.last_message["id"] == message["id"]
        if changed:
            self.last_message = message
        if not mine and message["seq"] > self.read_seq:
            if data["change"] == "deleted":
                self.unread_count = max(0, self.unread_count - 1)
                if message["seq"] in self.mentions:
                    self.mentions.discard(message["seq"])
                    self.mention_count = max(0, self.mention_count - 1)
                changed = True
            elif (
                data["change"] == "edited"
                and message["seq"] not in self.mentions
                and self._names_me(message["content"])
            ):
                self._add_mention(message["seq"])
                changed = True
        if changed:
            self._changed()

    def read(self, read_seq: int, unread_count: int, mention_count: int) -> None:
        """The database's state after a device of the user read the room."""
        self.read_seq = max(self.read_seq, read_seq)
        self.unread_count, self.mention_count = unread_count, mention_count
        self.mentions = {seq for seq in self.mentions if seq > self.read_seq}

    def stop(self) -> None:
        """Nothing more goes out for this room (the hub lets go of the watch next)."""
        self.stopped = True

    def _names_me(self, content: str) -> bool:
        return self.connection.username.lower() in mentioned_names(content)

    def _add_mention(self, seq: int) -> None:
        self.mentions.add(seq)
        self.mention_count += 1

    def _changed(self) -> None:
        if self._waiting:
            return  # a room_activity is due already: it will carry this state
        now = asyncio.get_running_loop().time()
        if now >= self._due:
            self._send(now)
        else:
            self._waiting = True
            self._clock.at(self._due, self)

    def send_due(self) -> None:
        self._waiting = False
        if not self.stopped:
            self._send(asyncio.get_running_loop().time())

    def _send(self, now: float) -> None:
        self._due = now + ACTIVITY_INTERVAL
        data = {
            "room_id": self.room_id,
            "last_seq": self.last_seq,
            "read_seq": self.read_seq,  # moved by the user's own message from another device
            "unread_count": self.unread_count,
            "mention_count": self.mention_count,
            "last_message": self.last_message,
        }
        self.connection.send(codec.encode_frame("room_activity", data))
