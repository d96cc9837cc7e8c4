"""The five shared concerns of a roomcast cluster, as narrow async interfaces.

Services and the gateway depend only on these protocols. Each has an in-process
implementation (`backends.memory`) and a Redis one (`backends.redis`); both pass the same
contract suite in `tests/contract/`. Nothing but bytes, strings and plain numbers crosses
these interfaces, so a Redis implementation can behave exactly like the memory one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

ChannelHandler = Callable[[bytes], Awaitable[None] | None]


class PubSub(Protocol):
    """Fan-out of opaque payloads to every instance subscribed to a room.

    Delivery is at most once and in publish order per publisher; there is no replay. Callers
    that need completeness (messages) carry a sequence number and fill gaps from the database.
    One handler per instance is registered with `start`; `subscribe` only says which rooms this
    instance wants. `publish` reaches this instance's own handler exactly once, even while
    the shared transport is down. `on_reconnect` runs after an outage of the transport, once
    subscriptions are back: publications may have been lost, so the caller catches up.
    """

    async def start(
        self,
        handler: Callable[[str, bytes], Awaitable[None]],
        on_reconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> None: ...

    async def subscribe(self, room_id: str) -> None: ...

    async def unsubscribe(self, room_id: str) -> None: ...

    async def publish(self, room_id: str, payload: bytes) -> None: ...

    async def publish_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Publish several payloads, keeping their order (one round trip where possible)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PresenceMember:
    user_id: str
    username: str


class Presence(Protocol):
    """Who is online in a room, counted per user across all their connections and instances.

    `join` answers True when this is the user's first live connection in the room (so the
    caller announces `user_joined`), `leave` True when it was the last one (`user_left`).
    Entries of a crashed instance expire within 30 s; the backend then reports those users to
    the handler given to `start`, so that someone announces their departure.
    """

    async def start(self, on_expired: Callable[[str, PresenceMember], Awaitable[None]]) -> None: ...

    async def join(self, room_id: str, member: PresenceMember, connection_id: str) -> bool: ...

    async def leave(self, room_id: str, user_id: str, connection_id: str) -> bool: ...

    async def online(self, room_id: str) -> list[PresenceMember]: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    messages_sent: int
    max_messages: int
    time_until_reset: int
    token: str = ""


class RateLimiter(Protocol):
    """A true sliding window: at most `limit` acquisitions per key in any `window` seconds.

    `acquire` is atomic; a refused attempt is not counted. `release` gives back a token whose
    message was refused later (invalid, storage failure) so it does not count either.
    `time_until_reset` is the whole seconds until one more acquisition would succeed.
    """

    async def acquire(self, key: str, limit: int, window: float) -> RateDecision: ...

    async def release(self, key: str, token: str) -> None: ...

    async def close(self) -> None: ...


# (seq, version, encoded message): of two entries for one seq, the higher version is newer.
CacheEntry = tuple[int, int, bytes]


class RecentCache(Protocol):
    """Each room's last messages as encoded JSON, each in its newest known state.

    Entries are keyed by seq and carry a version (the seq of the room event that produced that
    state); an entry never replaces one of a higher version, whatever order pushes arrive in.
    `push` stores the entries of a commit whose room events are `first_seq..last_seq`, trims to
    the `size` highest seqs and refreshes the TTL; `first_seq` 0 stores entries without
    touching the room's position. `get` answers `(as_of, [(seq, json)])`: `as_of` is the room
    event up to which every change has been applied — it advances on a push only when that
    push follows on without a hole (`first_seq == as_of + 1`), and `replace` (a rebuild from the
    database, current as of `as_of`) raises it to that. Readers trust the cache only when
    `as_of` reaches the room's `last_seq` they know, and use only the contiguous run of seqs
    that ends at the newest.
    """

    async def push(
        self, room_id: str, entries: Sequence[CacheEntry], first_seq: int, last_seq: int, size: int, ttl: int
    ) -> None: ...

    async def get(self, room_id: str) -> tuple[int, list[tuple[int, bytes]]]: ...

    async def replace(self, room_id: str, entries: Sequence[CacheEntry], as_of: int, ttl: int) -> None: ...

    async def close(self) -> None: ...


class ConnectionRegistry(Protocol):
    """The live WebSocket connections of each user, counted across endpoints and instances.

    `acquire` is atomic across instances: it registers `connection_id` and answers True when
    the user has fewer than `limit` live connections, else answers False and registers
    nothing; of N concurrent acquires for a user with `limit` L and no connection, exactly
    min(N, L) succeed. Acquiring a connection already registered answers True and changes
    nothing. `release` is idempotent. `count` is the user's live connections.
    Connection ids need only be unique within an instance.

    Entries of a crashed instance stop counting within 30 s, so a crash never locks a user
    out for longer. While the shared store is unreachable, an instance keeps admitting and
    enforces `limit` over its own connections only; when the store returns, the instance
    registers the connections it holds then and drops those it released meanwhile, even if
    that puts a user over the limit for a while (nobody is closed; new acquires are refused
    until the count falls below it). `start` is idempotent, `create_backends` calls it.
    """

    async def start(self) -> None: ...

    async def acquire(self, user_id: str, connection_id: str, limit: int) -> bool: ...

    async def release(self, user_id: str, connection_id: str) -> None: ...

    async def count(self, user_id: str) -> int: ...

    async def close(self) -> None: ...


class DrainBarrier(Protocol):
    """Instances shutting down together wait for each other's in-flight sends (SPEC §4).

    A draining instance says so (`begin`), commits and publishes what it took in, then says it
    is done (`end`) and waits (`wait_for_peers`, bounded) until no other instance that began
    draining is still at it; after that, everything those instances took in is in the
    database, for the gateway to deliver before it closes its sockets with 1001. An instance
    that dies while draining stops counting after a TTL. Peers signalled at the same moment
    begin within `SETTLE` seconds of each other (uvicorn looks at its exit flag every 0.1 s),
    so the wait never ends sooner than that. In one process there is nobody to wait for.
    """

    async def begin(self) -> None: ...

    async def end(self) -> None: ...

    async def wait_for_peers(self, timeout: float) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RoomPush:
    """One room's share of a committed batch for its recent cache (`RecentCache.push`)."""

    room_id: str
    entries: Sequence[CacheEntry]
    first_seq: int
    last_seq: int


@dataclass(slots=True)
class Backends:
    pubsub: PubSub
    presence: Presence
    rate_limiter: RateLimiter
    cache: RecentCache
    connections: ConnectionRegistry
    drain: DrainBarrier
    kind: str
    health: Callable[[], Awaitable[dict[str, object]]]

    async def announce(
        self, pushes: Sequence[RoomPush], publications: Sequence[tuple[str, bytes]], size: int, ttl: int
    ) -> None:
        """What a committed batch leaves in the shared state: every room's cache push, then
        every publication (as `PubSub.publish_many`). Another instance that receives one of the
        publications finds the batch's cache entries already applied. A backend with a shared
        store does it all in one round trip (the Redis backends pipeline it)."""
        for push in pushes:
            await self.cache.push(push.room_id, push.entries, push.first_seq, push.last_seq, size, ttl)
        await self.pubsub.publish_many(publications)

    async def close(self) -> None:
        for part in (self.pubsub, self.presence, self.rate_limiter, self.cache, self.connections, self.drain):
            await part.close()
