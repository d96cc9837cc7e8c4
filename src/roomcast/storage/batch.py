"""One group-commit batch: who gets which seq (pure), and the SQLite way to store it.

`BatchPlan` decides, without I/O, which drafts are new, which repeat a stored `client_id`
and which repeat another draft of the same batch; the writer then refuses the drafts of
senders who are no longer participants (read in the same transaction, so a removal and a
send are strictly ordered), bumps each room's `last_seq` and lets the plan hand out the seqs.
`SqliteBatchStore` writes a whole batch on a plain `sqlite3` connection (the same rows
SQLAlchemy would write) and commits it in one hop to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy.engine import URL

from roomcast.storage.errors import NotParticipant, RoomGone
from roomcast.storage.ids import uuid7
from roomcast.storage.records import CommitResult, MessageDraft, MessageRecord

ClientKey = tuple[uuid.UUID, uuid.UUID, str]
log = logging.getLogger("roomcast.storage.batch")
Outcome = CommitResult | Exception


class BatchPlan:
    def __init__(self, drafts: Sequence[MessageDraft], existing: Mapping[ClientKey, MessageRecord]) -> None:
        self.drafts = drafts
        self.outcomes: list[Outcome | None] = [None] * len(drafts)
        self.first_of_key: dict[ClientKey, int] = {}
        self.by_room: dict[uuid.UUID, list[int]] = {}
        self.read_marks: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        # (room, sender) of every new draft: whose participation the commit checks.
        self.senders: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for index, draft in enumerate(drafts):
            key = (draft.room_id, draft.sender_id, draft.client_id) if draft.client_id else None
            if key is not None and key in existing:
                self.outcomes[index] = CommitResult(existing[key], True, draft)
            elif key is not None and key in self.first_of_key:
                continue  # resolved in results(), once the first copy has its seq
            else:
                if key is not None:
                    self.first_of_key[key] = index
                self.by_room.setdefault(draft.room_id, []).append(index)
                self.senders.add((draft.room_id, draft.sender_id))

    def refuse_outsiders(self, participants: set[tuple[uuid.UUID, uuid.UUID]]) -> None:
        """Drafts whose sender is not (any longer) a participant of their room get NotParticipant, no seq."""
        if len(participants) == len(self.senders):
            return  # every sender participates: the common case costs nothing more
        for room_id in list(self.by_room):
            kept = []
            for index in self.by_room[room_id]:
                if (room_id, self.drafts[index].sender_id) in participants:
                    kept.append(index)
                else:
                    self.outcomes[index] = NotParticipant("not a participant")
            if kept:
                self.by_room[room_id] = kept
            else:
                del self.by_room[room_id]

    def rooms(self) -> list[tuple[uuid.UUID, int]]:
        """(room, new messages) in a fixed order: the lock order, so writers cannot deadlock."""
        return [(room_id, len(self.by_room[room_id])) for room_id in sorted(self.by_room)]

    def assign(self, room_id: uuid.UUID, last_seq: int | None, now: datetime) -> list[MessageRecord]:
        """The room's last_seq after the bump (None: the room is gone) -> its new records."""
        indexes = self.by_room[room_id]
        if last_seq is None:
            for index in indexes:
                self.outcomes[index] = RoomGone("room no longer exists")
            return []
        records = []
        for offset, index in enumerate(indexes):
            draft = self.drafts[index]
            record = MessageRecord(
                id=uuid7(),
                room_id=room_id,
                seq=last_seq - len(indexes) + 1 + offset,
                sender_id=draft.sender_id,
                sender_username=draft.sender_username,
                content=draft.content,
                client_id=draft.client_id,
                created_at=now,
            )
            self.outcomes[index] = CommitResult(record, False, draft)
            records.append(record)
            # A sender has read their own messages: stored in the same transaction.
            self.read_marks[(room_id, record.sender_id)] = record.seq
        return records

    def results(self) -> list[Outcome]:
        for index, draft in enumerate(self.drafts):
            if self.outcomes[index] is None and draft.client_id:
                first = self.outcomes[self.first_of_key[(draft.room_id, draft.sender_id, draft.client_id)]]
                self.outcomes[index] = (
                    CommitResult(first.message, True, draft) if isinstance(first, CommitResult) else first
                )
        return [o for o in self.outcomes if o is not None]


def sqlite_file(url: URL) -> str | None:
    """The file of a plain file-backed SQLite URL, else None (in-memory, URI options...)."""
    if url.get_backend_name() != "sqlite" or url.query:
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


_INSERT = (
    "INSERT INTO messages (id, room_id, seq, sender_id, content, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_BUMP = "UPDATE rooms SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq"
_PARTICIPANTS = "SELECT room_id, user_id FROM room_participants WHERE (room_id, user_id) IN (VALUES {})"
_READ_MARK = "UPDATE room_participants SET last_read_seq = ? WHERE room_id = ? AND user_id = ? AND last_read_seq < ?"


def _stamp(moment: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text form (UTC, no offset), so both read the same rows.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteBatchStore:
    """Commits batches on one sqlite3 connection: the statements on the event loop, the COMMIT off it.

    A batch's statements take tens of microseconds of CPU, but run in a worker thread they hand
    the GIL back and forth once per statement (a context switch each, measured as ~30% of the
    server's CPU under load). So the statements run on the loop and only the COMMIT goes to the
    worker thread, under `synchronous=FULL`: SQLite syncs the WAL *before* it publishes the
    commit in the WAL index, so no other connection (a REST read, a recovering socket) can see
    a message that a power loss could still take back. One thread hop per batch. The loop never
    waits for a lock: when another connection holds the write lock, that batch runs in the
    worker thread. Checkpoints, which fsync the database file, run in a thread of their own.
    """

    CHECKPOINT_BYTES = 8 * 1024 * 1024
    LOCK_TIMEOUT = 5.0

    def __init__(self, path: str, pragmas: Any) -> None:
        self._path = path
        self._wal_path = path + "-wal"
        self._pragmas = pragmas
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-writer")
        # Checkpoints take tens of milliseconds: in a thread of their own, so no fsync waits behind one.
        self._checkpoints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="roomcast-sqlite-checkpoint")
        self._checkpointing = False
        self._db: sqlite3.Connection | None = None
        self._checkpointer: sqlite3.Connection | None = None
        self._directory_synced = False
        self._closed = False

    async def commit(self, drafts: Sequence[MessageDraft], lookup: bool, now: datetime) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        try:
            plan = self._write(drafts, lookup, now)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            plan = await loop.run_in_executor(self._executor, self._write_waiting, drafts, lookup, now)
        await loop.run_in_executor(self._executor, self._commit)
        return plan.results()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._checkpoints, self._close_checkpointer)
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=False)
        self._checkpoints.shutdown(wait=False)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._pragmas(db, None)
            for pragma in ("PRAGMA busy_timeout=0", "PRAGMA synchronous=FULL", "PRAGMA wal_autocheckpoint=0"):
                db.execute(pragma)
            self._db = db
        return self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _close_checkpointer(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

    def _write_waiting(self, drafts: Sequence[MessageDraft], lookup: bool, now: datetime) -> BatchPlan:
        """The same batch in the worker thread, waiting up to LOCK_TIMEOUT for the write lock."""
        db = self._connection()
        db.execute(f"PRAGMA busy_timeout={int(self.LOCK_TIMEOUT * 1000)}")
        try:
            return self._write(drafts, lookup, now)
        finally:
            db.execute("PRAGMA busy_timeout=0")

    def _commit(self) -> None:
        """COMMIT (synced before it is visible, see the class), then checkpoint if due."""
        db = self._connection()
        if not self._directory_synced and os.path.exists(self._wal_path):
            # The WAL file's own directory entry, once: a crash must not lose the file itself.
            _sync_file(os.path.dirname(os.path.abspath(self._wal_path)), os.fsync)
            self._directory_synced = True
        try:
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        if not self._checkpointing and os.path.getsize(self._wal_path) > self.CHECKPOINT_BYTES:
            self._checkpointing = True
            self._checkpoints.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self._path, timeout=0, isolation_level=None)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed", extra={"error": repr(exc)})
        finally:
            self._checkpointing = False

    def _write(self, drafts: Sequence[MessageDraft], lookup: bool, now: datetime) -> BatchPlan:
        """BEGIN and every statement of the batch; the transaction stays open for `_commit`."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            plan = BatchPlan(drafts, self._existing(db, drafts) if lookup else {})
            plan.refuse_outsiders(self._participants(db, plan.senders))
            stamp = _stamp(now)
            rows = []
            for room_id, count in plan.rooms():
                found = db.execute(_BUMP, (count, room_id.hex)).fetchone()
                for r in plan.assign(room_id, found[0] if found else None, now):
                    rows.append((r.id.hex, room_id.hex, r.seq, r.sender_id.hex, r.content, r.client_id, stamp))
            if rows:
                db.executemany(_INSERT, rows)
                db.executemany(
                    _READ_MARK,
                    [(seq, room.hex, user.hex, seq) for (room, user), seq in plan.read_marks.items()],
                )
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        return plan

    @staticmethod
    def _participants(
        db: sqlite3.Connection, senders: set[tuple[uuid.UUID, uuid.UUID]]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """Which senders participate, in one statement (rows store UUIDs as hex)."""
        if not senders:
            return set()
        by_hex = {(room_id.hex, user_id.hex): (room_id, user_id) for room_id, user_id in senders}
        query = _PARTICIPANTS.format(", ".join(["(?, ?)"] * len(by_hex)))
        found = db.execute(query, [part for pair in by_hex for part in pair]).fetchall()
        return {by_hex[(room_hex, user_hex)] for room_hex, user_hex in found}

    @staticmethod
    def _existing(db: sqlite3.Connection, drafts: Sequence[MessageDraft]) -> dict[ClientKey, MessageRecord]:
        client_ids = sorted({d.client_id for d in drafts if d.client_id})
        if not client_ids:
            return {}
        room_ids = sorted({d.room_id.hex for d in drafts if d.client_id})
        query = (
            "SELECT m.id, m.room_id, m.seq, m.sender_id, u.username, m.content, m.client_id, m.created_at "
            "FROM messages m JOIN users u ON u.id = m.sender_id "
            f"WHERE m.client_id IN ({', '.join('?' * len(client_ids))}) "
            f"AND m.room_id IN ({', '.join('?' * len(room_ids))})"
        )
        found: dict[ClientKey, MessageRecord] = {}
        for row in db.execute(query, [*client_ids, *room_ids]):
            record = MessageRecord(
                id=uuid.UUID(row[0]),
                room_id=uuid.UUID(row[1]),
                seq=row[2],
                sender_id=uuid.UUID(row[3]),
                sender_username=row[4],
                content=row[5],
                client_id=row[6],
                created_at=datetime.fromisoformat(row[7]),
            )
            found[(record.room_id, record.sender_id, row[6])] = record
        return found


def _sync_file(path: str, sync: Callable[[int], None]) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        sync(fd)
    finally:
        os.close(fd)
