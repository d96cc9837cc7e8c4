"""One WebSocket as the gateway sees it, whichever server carries it.

Under `roomcast serve` the peer is roomcast's own protocol (`roomcast.transport`), which
writes whole frames to its socket and hands each frame it parses to its listener from its
`data_received` callback; under any other ASGI server it is `AsgiPeer`, which hands each frame
to the server's `send` from a writer task and reads from a pump task. The gateway and
`Connection` use only this interface: one connection type, one write path, and no task or
coroutine waiting on an idle socket's behalf under the own transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class Listener(Protocol):
    """Who takes a peer's messages: called from the transport's callbacks, so it never blocks."""

    def on_message(self, message: str | bytes) -> None: ...

    def on_gone(self) -> None: ...


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

    def listen(self, listener: Listener) -> None:
        """From now on hand every whole message from the client to `listener`, first those that
        arrived before this call, then `on_gone` once the client is gone (at once if it already
        is). The handshake's headers and query need not be kept after this."""
        ...

    def pause_reading(self) -> None:
        """Read nothing more from the client until `resume_reading` (its listener is behind)."""
        ...

    def resume_reading(self) -> None: ...

    @property
    def clear(self) -> bool:
        """Open, and nothing handed to `write` still waits: asked before every send, so cheap."""
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
