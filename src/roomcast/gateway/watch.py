"""What one user connection knows of one of its user's rooms, subscribed or not (SPEC §4b).

The state starts from the room as `ready` listed it and follows the room's events as the hub
delivers them, in seq order, by the same rules as the database's counts: a message of someone
else after the read mark is unread, and a mention if it names the user; one of the user's own
moves the read mark to it (the commit does the same); a deleted one no longer counts; an edit
that newly names the user adds a mention. So `room_activity` costs no database read, whatever
the room's size. It goes out at most once a second per room, the last state winning;
`read_marker` (any device of the user read the room) resets the state to the database's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from roomcast.gateway.connection import Connection
from roomcast.protocol import codec
from roomcast.services.notifications import mentioned_names

ACTIVITY_INTERVAL = 1.0


class RoomWatch:
    __slots__ = (
        "_due",
        "_timer",
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

    def __init__(self, connection: Connection, room: dict[str, Any], unread_mentions: Iterable[int]) -> None:
        self.connection = connection
        self.room_id: str = room["id"]
        self.last_seq: int = room["last_seq"]
        self.seen_seq = self.last_seq  # events up to here are in the counts already
        self.read_seq: int = room["read_seq"]
        self.unread_count: int = room["unread_count"]
        self.mention_count: int = room["mention_count"]
        self.mentions = {seq for seq in unread_mentions if seq > self.read_seq}  # their seqs, for deletes
        self.last_message: dict[str, Any] | None = room["last_message"]
        self._due = 0.0
        self._timer: asyncio.TimerHandle | None = None
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _names_me(self, content: str) -> bool:
        return self.connection.username.lower() in mentioned_names(content)

    def _add_mention(self, seq: int) -> None:
        self.mentions.add(seq)
        self.mention_count += 1

    def _changed(self) -> None:
        if self._timer is not None:
            return  # a room_activity is due already: it will carry this state
        loop = asyncio.get_running_loop()
        wait = self._due - loop.time()
        if wait <= 0:
            self._send()
        else:
            self._timer = loop.call_later(wait, self._send)

    def _send(self) -> None:
        self._timer = None
        self._due = asyncio.get_running_loop().time() + ACTIVITY_INTERVAL
        data = {
            "room_id": self.room_id,
            "last_seq": self.last_seq,
            "unread_count": self.unread_count,
            "mention_count": self.mention_count,
            "last_message": self.last_message,
        }
        self.connection.send(codec.encode_frame("room_activity", data))
