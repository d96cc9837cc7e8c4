"""Storing and reading messages: the one path every transport uses to send.

`do_send` is validate → rate limit → durable commit (group commit writer) → cache →
publish → answer; notifications are queued after the answer, off the hot path.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends.base import Backends
from roomcast.config import Settings
from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol.codec import Envelope, new_message_frame
from roomcast.services.errors import InvalidContent, NotFound, RateLimited, StorageUnavailable
from roomcast.services.notifications import Notifier
from roomcast.services.text import is_visible
from roomcast.storage.database import is_storable_text
from roomcast.storage.errors import RoomGone, StorageError
from roomcast.storage.models import Message, User
from roomcast.storage.records import CommitResult, MessageDraft, MessageRecord
from roomcast.storage.writer import GroupCommitWriter, record_from_row

log = logging.getLogger("roomcast.messages")

COMMIT_TIMEOUT = 5.0
RECOVERY_LIMIT = 1000
STORED_SEQ_MAX = 2**31 - 1  # seq columns are INTEGER: 32 bits on PostgreSQL

messages = Message.__table__
users = User.__table__


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str


def rate_key(user_id: uuid.UUID) -> str:
    return f"message:{user_id}"


class MessageService:
    def __init__(self, settings: Settings, engine: AsyncEngine, backends: Backends, notifier: Notifier) -> None:
        self._settings = settings
        self._engine = engine
        self._backends = backends
        self._notifier = notifier
        # Refusals a client can cause at will: a line per kind and interval, with a count.
        self._refused_log = ThrottledLog(log)
        self._failed_log = ThrottledLog(log, level=logging.WARNING)
        self.writer = GroupCommitWriter(engine, self._after_commit, timeout=COMMIT_TIMEOUT)

    def check_content(self, content: object) -> str:
        if not isinstance(content, str):
            raise InvalidContent("content must be a string")
        if not is_visible(content):
            raise InvalidContent("content must not be empty, nor only white space or invisible characters")
        if not is_storable_text(content):
            raise InvalidContent("content must be UTF-8 text without NUL characters")
        if len(content) > self._settings.max_message_length:
            raise InvalidContent(f"content is longer than {self._settings.max_message_length} characters")
        return content

    async def do_send(
        self,
        actor: Actor,
        room_id: uuid.UUID,
        content: object,
        client_id: str | None,
        origin: str = "",
        received_at: float | None = None,
    ) -> CommitResult:
        received_at = received_at if received_at is not None else time.perf_counter()
        text = self.check_content(content)
        if client_id is not None and not is_storable_text(client_id):
            raise InvalidContent("client_id must be UTF-8 text without NUL characters")
        limiter = self._backends.rate_limiter
        key = rate_key(actor.user_id)
        decision = await limiter.acquire(key, self._settings.message_rate_limit, self._settings.rate_limit_window)
        if not decision.allowed:
            metrics.RATE_LIMITED.inc()
            self._refused_log.log("rate limit", "rate limit refused", user_id=str(actor.user_id), room_id=str(room_id))
            raise RateLimited(decision)
        draft = MessageDraft(room_id, actor.user_id, actor.username, text, client_id, origin, received_at)
        try:
            # A timeout ends only this wait: the writer still commits (or skips) the draft.
            result = await self.writer.submit(draft)
        except RoomGone:
            await limiter.release(key, decision.token)
            raise NotFound("Room not found") from None
        except (TimeoutError, StorageError) as exc:
            await limiter.release(key, decision.token)
            metrics.ERRORS.labels(type="storage").inc()
            self._failed_log.log(
                "not stored",
                "message not stored",
                user_id=str(actor.user_id),
                room_id=str(room_id),
                error=repr(exc),
            )
            raise StorageUnavailable("message could not be stored, retry with the same client_id") from None
        if result.duplicate:
            await limiter.release(key, decision.token)
        return result

    async def _after_commit(self, results: Sequence[CommitResult]) -> None:
        by_room: dict[uuid.UUID, list[tuple[int, bytes]]] = {}
        publications: list[tuple[str, bytes]] = []
        for result in results:
            record = result.message
            by_room.setdefault(record.room_id, []).append((record.seq, record.json))
            envelope = Envelope("message", new_message_frame(record.json), result.draft.origin, record.seq)
            publications.append((str(record.room_id), envelope.encode()))
        metrics.MESSAGES_STORED.inc(len(results))
        cache = self._backends.cache
        for room_id, entries in by_room.items():
            await cache.push(str(room_id), entries, self._settings.cache_size, self._settings.cache_ttl)
        await self._backends.pubsub.publish_many(publications)
        self._notifier.enqueue([result.message for result in results])

    async def recent(self, room_id: uuid.UUID, known_last_seq: int = 0) -> list[tuple[int, bytes]]:
        """The room's last CACHE_SIZE messages (encoded), from the cache, completed from the database.

        `known_last_seq` is a seq the room is known to have reached: a cache whose newest entry
        is older missed pushes (an instance lost Redis for a while) and is not trusted.
        """
        size = self._settings.cache_size
        entries = sorted(dict(await self._backends.cache.get(str(room_id))).items())
        run: list[tuple[int, bytes]] = []
        for seq, payload in reversed(entries):  # trust only the contiguous run ending at the newest
            if run and seq != run[-1][0] - 1:
                break
            run.append((seq, payload))
        run.reverse()
        run = run[-size:]
        if run and run[-1][0] < known_last_seq:
            run = []
        oldest = run[0][0] if run else None
        if len(run) < size and (oldest is None or oldest > 1):
            metrics.CACHE.labels(result="miss").inc()
            older = await self.read(room_id, limit=size - len(run), before_seq=oldest)
            run = [(m.seq, m.json) for m in older[0]] + run
            if run:
                await self._backends.cache.replace(str(room_id), run, self._settings.cache_ttl)
        else:
            metrics.CACHE.labels(result="hit").inc()
        return run

    async def read(
        self,
        room_id: uuid.UUID,
        limit: int,
        before_seq: int | None = None,
        after_seq: int | None = None,
    ) -> tuple[list[MessageRecord], bool]:
        """History in ascending seq, and whether more lies beyond the page in its direction.

        Bounds may lie beyond every stored seq (clients send up to 2^53-1, the column holds
        32 bits): nothing lies above such an `after_seq`, and such a `before_seq` bounds nothing.
        """
        if after_seq is not None and after_seq >= STORED_SEQ_MAX:
            return [], False
        if before_seq is not None and before_seq > STORED_SEQ_MAX:
            before_seq = None
        query = (
            select(messages, users.c.username)
            .join(users, users.c.id == messages.c.sender_id)
            .where(messages.c.room_id == room_id)
        )
        if before_seq is not None:
            query = query.where(messages.c.seq < before_seq)
        if after_seq is not None:
            query = query.where(messages.c.seq > after_seq)
        oldest_first = after_seq is not None
        order = messages.c.seq.asc() if oldest_first else messages.c.seq.desc()
        query = query.order_by(order).limit(limit + 1)
        async with self._engine.connect() as conn:
            rows = list((await conn.execute(query)).mappings())
        has_more = len(rows) > limit
        records = [record_from_row(row) for row in rows[:limit]]
        if not oldest_first:
            records.reverse()
        return records, has_more
