"""The plain ASGI path: a `Peer` over Starlette's WebSocket, for servers other than roomcast's own.

Frames wait in a queue for a writer task that hands each to the server's `send`, and a pump
(the endpoint's own task) reads the server's `receive` for the listener; slower than the own
transport (`roomcast.transport`), which writes finished frames to the socket and reads in its
callbacks, but any ASGI server can carry it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping

from starlette.websockets import WebSocket

from roomcast.gateway.peer import Listener
from roomcast.transport.websocket import CLOSE_TIMEOUT


class AsgiPeer:
    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._headers = {name.lower(): value for name, value in websocket.headers.items()}
        self._query = dict(websocket.query_params)
        self._queue: deque[bytes] = deque()
        self._queued = 0  # bytes in _queue
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._gone = False
        self._closer: asyncio.Future[None] | None = None
        self._listener: Listener | None = None
        self._reading = asyncio.Event()
        self._reading.set()

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def query(self) -> Mapping[str, str]:
        return self._query

    async def accept(self) -> None:
        await self._websocket.accept()
        self._writer = asyncio.create_task(self._write_loop())

    async def refuse(self) -> None:
        await self._websocket.close(1008)  # before the handshake: the client gets HTTP 403

    def listen(self, listener: Listener) -> None:
        self._listener = listener

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    async def pump(self) -> None:
        """Read the client's messages for the listener until it is gone (the endpoint's task):
        returns at once if the gateway never listened (it refused or closed the socket)."""
        listener = self._listener
        if listener is None:
            return
        try:
            # The server's receive may fail instead of answering a disconnect once the socket closed.
            with contextlib.suppress(Exception):
                while not self._gone:
                    await self._reading.wait()
                    message = await self._websocket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    text: str | None = message.get("text")
                    listener.on_message(text if text is not None else message.get("bytes") or b"")
        finally:  # cancelled too: the session must still part
            self._gone = True
            listener.on_gone()

    def write(self, frames: list[tuple[bytes, bytes]]) -> None:
        if self._closing:
            return
        for frame, _ in frames:
            self._queue.append(frame)
            self._queued += len(frame)
        self._wakeup.set()

    @property
    def clear(self) -> bool:
        return not self._closing and self._queued == 0

    def buffered(self) -> int:
        return self._queued

    def is_closing(self) -> bool:
        return self._closing

    async def close(self, code: int, reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        self._wakeup.set()
        if self._writer is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._writer, CLOSE_TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._websocket.close(code, reason), CLOSE_TIMEOUT)

    def abandon(self, code: int, reason: str) -> None:
        self._queue.clear()
        self._queued = 0
        if self._writer is not None:
            self._writer.cancel()  # it may be stuck on a full socket buffer
        self._closer = asyncio.ensure_future(self.close(code, reason))

    async def _write_loop(self) -> None:
        websocket = self._websocket
        with contextlib.suppress(Exception):
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    frame = self._queue.popleft()
                    self._queued -= len(frame)
                    await websocket.send_text(frame.decode())
                if self._closing:
                    return
