"""The rows of the search benchmark's database, as plain Python values, the same for the same
seed: users, rooms, who is in which room (the layout of S4, `scenarios.memberships`), and a
stream of messages in `corpus` text, each in a room from one of its members, seq gap-free per
room, ids from `storage.ids.uuid7` and `created_at` increasing in the order written.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from roomcast.bench.corpus import Corpus
from roomcast.bench.scenarios import memberships
from roomcast.storage.ids import uuid7

USER_COLUMNS = ("id", "username", "display_name", "password_hash", "created_at")
ROOM_COLUMNS = ("id", "name", "description", "is_private", "created_by", "created_at", "last_seq", "kind")
PARTICIPANT_COLUMNS = ("room_id", "user_id", "role", "joined_at", "last_read_seq")
MESSAGE_COLUMNS = (
    "id",
    "room_id",
    "seq",
    "sender_id",
    "content",
    "client_id",
    "created_at",
    "deleted",
    "reply_to_id",
    "updated_seq",
)
Row = tuple[object, ...]

REPLY_SHARE = 0.05  # messages that quote one of the last few of their room
SAMPLES = 20_000  # about so many messages are kept (room and text) to draw query terms from
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Sample:
    room_id: uuid.UUID
    language: str
    text: str


@dataclass
class World:
    """Who is where, and what the messages written so far left behind for the queries."""

    users: int = 1_000
    rooms: int = 200
    rooms_per_user: int = 20
    seed: int = 15
    user_ids: list[uuid.UUID] = field(default_factory=list)
    room_ids: list[uuid.UUID] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)  # room -> its users
    rooms_of: list[tuple[int, ...]] = field(default_factory=list)  # user -> its rooms
    last_seq: list[int] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    written: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self.user_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(self.users)]
        self.room_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(self.rooms)]
        self.rooms_of = memberships(self.users, self.rooms, self.rooms_per_user)
        self.members = [[] for _ in range(self.rooms)]
        for user, its_rooms in enumerate(self.rooms_of):
            for room in its_rooms:
                self.members[room].append(user)
        self.last_seq = [0] * self.rooms

    @property
    def searcher(self) -> uuid.UUID:
        """The user whose searches are measured: in `rooms_per_user` rooms, as every user."""
        return self.user_ids[0]

    def searcher_rooms(self) -> set[uuid.UUID]:
        return {self.room_ids[room] for room in self.rooms_of[0]}

    def user_rows(self) -> list[Row]:
        return [
            (user_id, f"user{number:04d}", f"User {number}", "x", START) for number, user_id in enumerate(self.user_ids)
        ]

    def room_rows(self) -> list[Row]:
        """The rooms with `last_seq` 0: `last_seq_rows` sets it once the messages are written."""
        return [
            (room_id, f"room {number:03d}", "", False, self.user_ids[self.members[number][0]], START, 0, "room")
            for number, room_id in enumerate(self.room_ids)
        ]

    def participant_rows(self) -> list[Row]:
        return [
            (self.room_ids[room], self.user_ids[user], "owner" if user == self.members[room][0] else "member", START, 0)
            for user, its_rooms in enumerate(self.rooms_of)
            for room in its_rooms
        ]

    def last_seq_rows(self) -> list[tuple[int, uuid.UUID]]:
        return [(seq, room_id) for seq, room_id in zip(self.last_seq, self.room_ids, strict=True)]

    def message_rows(self, corpus: Corpus, count: int, chunk: int) -> Iterator[list[Row]]:
        """`count` new messages in lists of `chunk` rows, after those written before."""
        rng = random.Random(self.seed * 7919 + self.written)
        sample_every = max(1, count // SAMPLES)
        recent: list[list[uuid.UUID]] = [[] for _ in range(self.rooms)]
        rows: list[Row] = []
        for _ in range(count):
            room = rng.randrange(self.rooms)
            seq = self.last_seq[room] = self.last_seq[room] + 1
            language, text = corpus.message(rng)
            message_id = uuid7()
            quoted = recent[room]
            reply_to = rng.choice(quoted) if quoted and rng.random() < REPLY_SHARE else None
            quoted.append(message_id)
            if len(quoted) > 20:
                del quoted[0]
            sender = self.user_ids[rng.choice(self.members[room])]
            created_at = START + timedelta(seconds=self.written * 3)
            client_id = f"b{self.written:x}"
            row = (message_id, self.room_ids[room], seq, sender, text, client_id, created_at, False, reply_to, seq)
            rows.append(row)
            if self.written % sample_every == 0:
                self.samples.append(Sample(self.room_ids[room], language, text))
            self.written += 1
            if len(rows) == chunk:
                yield rows
                rows = []
        if rows:
            yield rows
