"""`Client`: one user of a roomcast server, signed in, on one user connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

import httpx

from roomcast.client.backoff import Backoff
from roomcast.client.connection import Connection
from roomcast.client.events import UserEvent
from roomcast.client.records import Room, User
from roomcast.client.rest import Rest
from roomcast.client.subscription import Subscription
from roomcast.client.tokens import TokenProvider, Tokens


class Client:
    """`async with Client(url, username=..., password=...) as client:` (or `token=`, or
    `token_provider=` an async function returning a fresh access token).

    - `backoff`: the reconnect delays (full jitter, capped); the client reconnects for as long
      as it is open, and stops only on a refusal that retrying cannot cure (close 1008).
    - `open_timeout`: seconds `open()` waits for the first connection.
    - `buffer_limit`: room events a subscription holds for a slow reader; past it, the
      subscription reads the room's log (`GET …/events`) when the reader comes back, so nothing
      is lost and memory stays bounded.
    - `gap_timeout`: seconds a live event waits for a missing seq before the log is read instead.
    - `user_events_limit`: user events kept for `events()`; the oldest go first.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        token_provider: TokenProvider | None = None,
        backoff: Backoff | None = None,
        open_timeout: float = 30.0,
        buffer_limit: int = 10_000,
        gap_timeout: float = 3.0,
        user_events_limit: int = 1_000,
        http_timeout: float = 15.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.url, timeout=http_timeout)
        self._tokens = Tokens(
            self._http, username=username, password=password, token=token, token_provider=token_provider
        )
        self.rest = Rest(self._http, self._tokens)
        self._open_timeout = open_timeout
        self._connection = Connection(
            self.url,
            self._tokens,
            self.rest,
            backoff=backoff or Backoff(),
            buffer_limit=buffer_limit,
            gap_timeout=gap_timeout,
            user_events_limit=user_events_limit,
        )

    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Sign in and connect; returns once the server said `ready`."""
        try:
            await self._tokens.current()
            await self._connection.open(self._open_timeout)
        except BaseException:
            await self._http.aclose()
            raise

    async def close(self) -> None:
        """Disconnect; a session this client logged in to is logged out."""
        await self._connection.close()
        await self._tokens.logout()
        await self._http.aclose()

    @property
    def user(self) -> User:
        """The signed-in user (of the latest `ready`)."""
        if self._connection.user is None:
            raise RuntimeError("the client is not open")
        return self._connection.user

    @property
    def sockets_opened(self) -> int:
        """How many sockets the client has opened and been greeted on: 1 until it first reconnects."""
        return self._connection.generation

    async def rooms(self) -> list[Room]:
        """The user's rooms with their unread state: those of `ready`, kept current by the user events."""
        return list(self._connection.rooms.values())

    async def subscribe(self, room_id: str, since_seq: int | None = None) -> Subscription:
        """Follow a room. `since_seq=None`: from now (`subscription.recent_messages` holds the
        latest messages); an int: every event after it first (resume where you left off)."""
        return await self._connection.subscribe(room_id, since_seq)

    def events(self) -> AsyncIterator[UserEvent]:
        """The user events (`RoomActivity`, `ReadMarker`, `RoomAdded`, `RoomRemoved`) as they come."""
        return self._connection.user_events()

    async def mark_read(self, room_id: str, seq: int) -> None:
        await self._connection.transmit("mark_read", {"room_id": room_id, "seq": seq})

    async def create_room(
        self, name: str, *, description: str = "", is_private: bool = False, members: tuple[str, ...] = ()
    ) -> Room:
        return await self.rest.create_room(name, description=description, is_private=is_private, members=members)

    async def join(self, room_id: str) -> None:
        """Join a public room (then subscribe to it)."""
        await self.rest.join(room_id)

    async def leave(self, room_id: str) -> None:
        await self.rest.leave(room_id)
