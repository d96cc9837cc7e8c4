"""One WebSocket as the gateway sees it, whichever server carries it.

Under `roomcast serve` the peer is roomcast's own protocol (`roomcast.transport`), which
writes whole frames to its socket; under any other ASGI server it is `AsgiPeer`, which hands
each frame to the server's `send` from a writer task. The gateway and `Connection` use only
this interface: one connection type, one write path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Peer(Protocol):
    @property
    def headers(self) -> Mapping[str, str]:
        """The handshake's headers, names in lower case."""
        ...

    @property
    def query(self) -> Mapping[str, str]:
        """The handshake URL's query parameters."""
        ...

    async def accept(self) -> None:
        """Complete the handshake."""
        ...

    async def refuse(self) -> None:
        """Answer the handshake with HTTP 403 (before `accept`)."""
        ...

    async def receive(self) -> str | bytes | None:
        """The next whole message from the client, or None once the peer is gone."""
        ...

    def write(self, frames: list[tuple[bytes, bytes]]) -> None:
        """Send text frames, each as (JSON, its RFC 6455 bytes), in order; never waits."""
        ...

    def buffered(self) -> int:
        """Bytes handed to `write` that the client has not taken yet."""
        ...

    def is_closing(self) -> bool: ...

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame behind what is written, wait (bounded) for the client's, hang up."""
        ...

    def abandon(self, code: int, reason: str) -> None:
        """For a client that does not read: drop what waits here, write the close frame behind
        what the socket already holds, and hang up if it is still unread after a linger."""
        ...
