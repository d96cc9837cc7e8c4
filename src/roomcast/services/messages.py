"""Sending and changing messages, and reading the room's log: the one path every transport uses.

`do_send` and `do_change` are validate → rate limit → durable commit (group commit writer) →
cache → publish → answer; notifications are queued after the answer, off the hot path.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from roomcast.backends.base import Backends, RoomPush
from roomcast.config import Settings
from roomcast.observability import metrics
from roomcast.observability.throttle import ThrottledLog
from roomcast.protocol.codec import MESSAGE, UPDATE, Envelope, message_updated_frame, new_message_frame
from roomcast.services.errors import (
    Conflict,
    Forbidden,
    InvalidContent,
    NotFound,
    NotInRoom,
    RateLimited,
    StorageUnavailable,
)
from roomcast.services.notifications import Notifier
from roomcast.services.text import is_reaction, is_visible
from roomcast.storage.database import is_storable_text
from roomcast.storage.errors import MessageDeleted, NotAllowed, Refused, RoomGone, StorageError, TooManyReactions
from roomcast.storage.messages import EventPage, MessageStore, RoomEvent, SqlMessageStore
from roomcast.storage.records import (
    DELETED,
    EDITED,
    CommitResult,
    Draft,
    MessageDraft,
    MessageRecord,
    UpdateDraft,
    UpdateResult,
)
from roomcast.storage.writer import Committed, GroupCommitWriter

log = logging.getLogger("roomcast.messages")

COMMIT_TIMEOUT = 5.0
RECOVERY_LIMIT = 1000
MAX_EMOJI_LENGTH = 32
CacheEntry = tuple[int, int, bytes]


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: uuid.UUID
    username: str


def _who(draft: Draft) -> dict[str, str]:
    """The log fields naming a draft's actor and room."""
    actor_id = draft.sender_id if isinstance(draft, MessageDraft) else draft.actor_id
    return {"user_id": str(actor_id), "room_id": str(draft.room_id)}


def rate_key(user_id: uuid.UUID) -> str:
    return f"message:{user_id}"


def action_rate_key(user_id: uuid.UUID) -> str:
    return f"action:{user_id}"


def check_emoji(emoji: object) -> str:
    if not isinstance(emoji, str) or not 0 < len(emoji) <= MAX_EMOJI_LENGTH:
        raise InvalidContent(f"emoji must be a string of 1-{MAX_EMOJI_LENGTH} characters")
    if not is_storable_text(emoji) or not is_reaction(emoji):
        raise InvalidContent("emoji must not contain white space or control characters")
    return emoji


def event_frame(event: RoomEvent) -> bytes:
    """The live frame of a log entry, as the gap fill and the events feed carry it."""
    if event.update is None:
        return new_message_frame(event.message.json)
    return message_updated_frame(event.update.data())


class MessageService:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        backends: Backends,
        notifier: Notifier,
        store: MessageStore | None = None,
    ) -> None:
        self._settings = settings
        self.store = store if store is not None else SqlMessageStore(engine)
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
        reply_to: uuid.UUID | None = None,
    ) -> CommitResult:
        received_at = received_at if received_at is not None else time.perf_counter()
        text = self.check_content(content)
        self._check_client_id(client_id)
        draft = MessageDraft(room_id, actor.user_id, actor.username, text, client_id, origin, received_at, reply_to)
        limit, window = self._settings.message_rate_limit, self._settings.rate_limit_window
        result = await self._commit(draft, rate_key(actor.user_id), limit, window)
        assert isinstance(result, CommitResult)
        return result

    async def do_change(
        self,
        actor: Actor,
        room_id: uuid.UUID,
        message_id: uuid.UUID,
        change: str,
        *,
        content: object = None,
        emoji: object = None,
        client_id: str | None = None,
        origin: str = "",
        received_at: float | None = None,
    ) -> UpdateResult:
        """Edit, delete or react (`change` is a `records.CHANGES` value)."""
        received_at = received_at if received_at is not None else time.perf_counter()
        text = self.check_content(content) if change == EDITED else None
        mark = check_emoji(emoji) if change not in (EDITED, DELETED) else None
        self._check_client_id(client_id)
        draft = UpdateDraft(
            room_id, actor.user_id, actor.username, message_id, change, text, mark, client_id, origin, received_at
        )
        spec = self._settings.action_rate
        result = await self._commit(draft, action_rate_key(actor.user_id), spec.limit, spec.window)
        assert isinstance(result, UpdateResult)
        return result

    @staticmethod
    def _check_client_id(client_id: str | None) -> None:
        if client_id is not None and not is_storable_text(client_id):
            raise InvalidContent("client_id must be UTF-8 text without NUL characters")

    async def _commit(self, draft: Draft, key: str, limit: int, window: int) -> CommitResult | UpdateResult:
        limiter = self._backends.rate_limiter
        decision = await limiter.acquire(key, limit, window)
        if not decision.allowed:
            metrics.RATE_LIMITED.inc()
            self._refused_log.log("rate limit", "rate limit refused", **_who(draft))
            raise RateLimited(decision)
        try:
            # A timeout ends only this wait: the writer still commits (or skips) the draft.
            outcome = await self.writer.submit(draft)
            if isinstance(outcome, BaseException):
                raise outcome
        except RoomGone:
            await limiter.release(key, decision.token)
            raise NotInRoom("Room not found") from None
        except Refused as refusal:
            await limiter.release(key, decision.token)
            raise _domain_error(refusal) from None
        except (TimeoutError, StorageError) as exc:
            await limiter.release(key, decision.token)
            metrics.ERRORS.labels(type="storage").inc()
            self._failed_log.log("not stored", "not stored", error=repr(exc), **_who(draft))
            raise StorageUnavailable("could not be stored, retry with the same client_id") from None
        if (isinstance(outcome, CommitResult) and outcome.duplicate) or (
            isinstance(outcome, UpdateResult) and outcome.update.seq is None
        ):
            await limiter.release(key, decision.token)
        return outcome

    async def _after_commit(self, results: Sequence[Committed]) -> None:
        by_room: dict[uuid.UUID, list[CacheEntry]] = {}
        seqs: dict[uuid.UUID, tuple[int, int]] = {}
        names: dict[uuid.UUID, str] = {}  # each room's id as text, made once per batch
        publications: list[tuple[str, bytes]] = []
        created: list[MessageRecord] = []
        edits: list[UpdateResult] = []
        for result in results:
            entries: list[CacheEntry] = []
            if isinstance(result, CommitResult):
                record, seq = result.message, result.message.seq
                created.append(record)
                envelope = Envelope(MESSAGE, new_message_frame(record.json), result.draft.origin, seq)
            else:
                update = result.update
                record, seq = update.message, update.seq or 0
                frame = message_updated_frame(update.data())
                envelope = Envelope(UPDATE, frame, result.draft.origin, seq, client_id=result.draft.client_id)
                # The replies quoting it read differently now: cached as of this change.
                entries.extend((r.seq, max(r.version, seq), r.json) for r in result.replies)
                if update.change == EDITED:
                    edits.append(result)
            entries.append((record.seq, record.version, record.json))
            by_room.setdefault(record.room_id, []).extend(entries)
            first, _ = seqs.get(record.room_id, (seq, seq))
            seqs[record.room_id] = (first, seq)
            name = names.get(record.room_id)
            if name is None:
                name = names[record.room_id] = str(record.room_id)
            publications.append((name, envelope.encode()))
        metrics.MESSAGES_STORED.inc(len(created))
        pushes = [RoomPush(names[room_id], entries, *seqs[room_id]) for room_id, entries in by_room.items()]
        await self._backends.announce(pushes, publications, self._settings.cache_size, self._settings.cache_ttl)
        if created:
            self._notifier.enqueue(created)
        if edits:
            self._notifier.enqueue_edits([(r.update.message, r.previous.content if r.previous else "") for r in edits])

    async def recent(self, room_id: uuid.UUID, known_last_seq: int = 0) -> list[tuple[int, bytes]]:
        """The room's last CACHE_SIZE messages (encoded, current), from the cache or the database.

        `known_last_seq` is a seq the room is known to have reached: a cache that has not
        applied every event up to it (it missed a push: an instance lost Redis, or crashed
        between commit and push) is not trusted.
        """
        size = self._settings.cache_size
        as_of, entries = await self._backends.cache.get(str(room_id))
        run: list[tuple[int, bytes]] = []
        for seq, payload in sorted(entries, reverse=True):  # only the contiguous run ending at the newest
            if run and seq != run[-1][0] - 1:
                break
            run.append((seq, payload))
        run.reverse()
        run = run[-size:]
        if as_of >= known_last_seq and run and (len(run) == size or run[0][0] == 1):
            metrics.CACHE.labels(result="hit").inc()
            return run
        metrics.CACHE.labels(result="miss").inc()
        snapshot = await self.store.recent(room_id, size)
        if snapshot.messages:
            rebuilt = [(m.seq, m.version, m.json) for m in snapshot.messages]
            await self._backends.cache.replace(str(room_id), rebuilt, snapshot.as_of, self._settings.cache_ttl)
        return [(m.seq, m.json) for m in snapshot.messages]

    async def read(
        self, room_id: uuid.UUID, limit: int, before_seq: int | None = None, after_seq: int | None = None
    ) -> tuple[list[MessageRecord], bool]:
        """History in ascending seq, and whether more lies beyond the page in its direction."""
        return await self.store.page(room_id, limit, before_seq, after_seq)

    async def events(self, room_id: uuid.UUID, after_seq: int, limit: int, upto: int | None = None) -> EventPage:
        return await self.store.events(room_id, after_seq, limit, upto)


def _domain_error(refusal: Exception) -> Exception:
    if isinstance(refusal, NotAllowed):
        return Forbidden(str(refusal))
    if isinstance(refusal, MessageDeleted | TooManyReactions):
        return Conflict(str(refusal))
    return NotFound(str(refusal) or "Message not found")
