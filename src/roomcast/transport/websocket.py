"""roomcast's own WebSocket protocol, given to uvicorn through its `ws` setting.

uvicorn parses the HTTP request, sees the upgrade, and hands the socket to this protocol
(`ws=WebSocketProtocol`): from then on the bytes are ours. The RFC 6455 parsing, the
handshake, pings, the close handshake and the limits (1009 past `ws_max_size`, 1002 on an
unmasked or malformed frame) are websockets' sans-I/O `ServerProtocol`; this class joins
fragments, checks UTF-8 (1007), hands whole messages to the gateway's listener from
`data_received`, and writes the gateway's finished frames to the transport as they are. The
gateway is found in the ASGI lifespan state, which uvicorn passes to every protocol
(`app_state`).

No task waits on an idle socket's behalf: a task runs the handshake's admission, the
listener starts one only while a frame's work awaits, and keepalive pings are timers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from roomcast.gateway.peer import Listener, Peer

log = logging.getLogger("roomcast.transport")

# Where the app puts its gateway in the lifespan state (`app.create_app`).
GATEWAY_STATE_KEY = "roomcast.gateway"
CLOSE_TIMEOUT = 2.0
# How long an abandoned (slow) socket may take to read its close frame before it is cut.
CLOSE_LINGER = 10.0
# /ws/{room_id}: a room socket; /ws: a user connection.
_WS_PATH = re.compile(r"^/ws(?:/([^/]+))?$")


class Gateway(Protocol):
    """What the protocol needs of `roomcast.gateway.Gateway`."""

    async def serve(self, peer: Peer, room_id: str | None) -> None: ...

    def start_drain(self) -> None: ...


class WebSocketProtocol(asyncio.Protocol):
    # Slots: every open socket holds one, and a dict would be most of its size.
    __slots__ = (
        "_backed_up",
        "_config",
        "_fragment_opcode",
        "_fragments",
        "_gone",
        "_headers",
        "_inbox",
        "_lifespan_state",
        "_linger",
        "_listener",
        "_lost",
        "_open",
        "_paused",
        "_ping_timer",
        "_pong_timer",
        "_query",
        "_response",
        "_served",
        "_state",
        "_told_gone",
        "_transport",
        "_ws",
        "clear",
    )

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._config = config
        self._state = server_state
        self._lifespan_state = app_state
        self._ws = ServerProtocol(max_size=config.ws_max_size)
        self._transport: asyncio.Transport | None = None
        self._response: Response | None = None
        self._headers: dict[str, str] = {}
        self._query: dict[str, str] = {}
        # Messages that arrive before the gateway listens (during admission).
        self._inbox: list[str | bytes] = []
        self._listener: Listener | None = None
        self._fragments: list[bytes] = []
        self._fragment_opcode: Opcode | None = None
        self._gone = False
        self._told_gone = False
        self._paused = False
        # Bytes wait in the transport (the kernel's buffer is full): told by pause_writing.
        self._backed_up = False
        # The handshake is done and no close has begun: what every write checks, kept as a plain
        # attribute (the protocol's `state` is a property).
        self._open = False
        self.clear = False  # open and nothing waiting: what every send asks first (Peer.clear)
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._served = False  # the gateway took this socket (a session began)
        self._ping_timer: asyncio.TimerHandle | None = None
        self._pong_timer: asyncio.TimerHandle | None = None
        self._linger: asyncio.TimerHandle | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport; uvloop's do not derive from asyncio's classes, so no isinstance.
        self._transport = cast(asyncio.Transport, transport)
        # Told of the first byte that waits and of the moment none does: the connection's
        # slow-consumer limits ask the buffer's size only while something waits.
        self._transport.set_write_buffer_limits(high=0, low=0)
        self._state.connections.add(self)  # type: ignore[arg-type]  # uvicorn drains what is here

    def data_received(self, data: bytes) -> None:
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Request):
                self._on_request(event)
            elif isinstance(event, Frame):
                self._on_frame(event)
        if self._ws.state in (State.CLOSING, State.CLOSED):
            self._set_gone()
        self._flush()

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        self._set_gone()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._state.connections.discard(self)
        for timer in (self._ping_timer, self._pong_timer, self._linger):
            if timer is not None:
                timer.cancel()
        self._set_gone()
        if not self._lost.done():
            self._lost.set_result(None)

    def pause_writing(self) -> None:
        self._backed_up = True
        self.clear = False

    def resume_writing(self) -> None:
        self._backed_up = False
        self.clear = self._open

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown: the gateway drains (commits, delivers, closes with 1001)."""
        gateway = self._gateway()
        if self._served and gateway is not None:
            gateway.start_drain()
        elif self._transport is not None:
            self._transport.close()

    # Peer

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def query(self) -> Mapping[str, str]:
        return self._query

    async def accept(self) -> None:
        if self._response is not None and self._ws.state is State.CONNECTING:
            self._ws.send_response(self._response)
            self._response = None
            self._open = True
            self.clear = not self._backed_up
            self._flush()
            self._schedule_ping()

    async def refuse(self) -> None:
        if self._ws.state is State.CONNECTING:
            self._ws.send_response(self._ws.reject(403, "Forbidden\n"))
            self._flush()

    def listen(self, listener: Listener) -> None:
        self._listener = listener
        self._headers, self._query, self._response = {}, {}, None
        inbox, self._inbox = self._inbox, []
        for message in inbox:
            listener.on_message(message)
        if self._gone:
            self._tell_gone()

    def pause_reading(self) -> None:
        if not self._paused and self._transport is not None and not self._transport.is_closing():
            self._paused = True
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._paused and self._transport is not None and not self._transport.is_closing():
            self._paused = False
            self._transport.resume_reading()

    def write(self, frames: list[tuple[bytes, bytes]]) -> None:
        if self._open and self._transport is not None:
            self._transport.write(frames[0][1] if len(frames) == 1 else b"".join([wire for _, wire in frames]))

    def buffered(self) -> int:
        if not self._backed_up or self._transport is None:
            return 0
        return self._transport.get_write_buffer_size()

    def is_closing(self) -> bool:
        return not self._open or self._transport is None or self._transport.is_closing()

    async def close(self, code: int, reason: str) -> None:
        self._shut()
        if self._ws.state is State.OPEN:
            self._ws.send_close(code, reason)
            self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._lost), CLOSE_TIMEOUT)
        self._hang_up()

    def abandon(self, code: int, reason: str) -> None:
        self._shut()
        if self._ws.state is State.OPEN:
            self._ws.send_close(code, reason)
            self._flush()
            self._linger = asyncio.get_running_loop().call_later(CLOSE_LINGER, self._hang_up)
        self._set_gone()

    # The handshake and frames

    def _on_request(self, request: Request) -> None:
        target = urlsplit(request.path)
        match = _WS_PATH.match(target.path)
        gateway = self._gateway()
        if match is None or gateway is None:
            status, text = (404, "Not Found\n") if match is None else (503, "Service Unavailable\n")
            self._ws.send_response(self._ws.reject(status, text))
            return
        response = self._ws.accept(request)
        if response.status_code != 101:  # not a valid WebSocket handshake
            self._ws.send_response(response)
            return
        self._response = response
        self._headers = {name.lower(): value for name, value in request.headers.raw_items()}
        self._query = dict(parse_qsl(target.query, keep_blank_values=True))
        room = match.group(1)
        admission = asyncio.ensure_future(gateway.serve(self, None if room is None else unquote(room)))
        self._served = True
        self._state.tasks.add(admission)
        admission.add_done_callback(self._on_admission_done)

    def _on_admission_done(self, admission: asyncio.Task[None]) -> None:
        self._state.tasks.discard(admission)
        if not admission.cancelled() and admission.exception() is not None:
            log.error("session failed", exc_info=admission.exception())
        # Refused or closed during admission: the gateway never listened, so nobody else will
        # hang up.
        if self._listener is None and self._linger is None:
            self._hang_up()

    def _on_frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(opcode, frame.data)
            else:
                self._fragment_opcode, self._fragments = opcode, [bytes(frame.data)]
        elif opcode is Opcode.CONT and self._fragment_opcode is not None:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                whole = b"".join(self._fragments)
                opcode, self._fragment_opcode, self._fragments = self._fragment_opcode, None, []
                self._deliver(opcode, whole)
        elif opcode is Opcode.PONG and self._pong_timer is not None:
            self._pong_timer.cancel()
            self._pong_timer = None
        # PING is answered by ServerProtocol; CLOSE is echoed by it and ends the session.

    def _deliver(self, opcode: Opcode, data: bytes | bytearray | memoryview) -> None:
        if opcode is Opcode.BINARY:
            self._push(bytes(data))
            return
        try:
            text = bytes(data).decode()
        except UnicodeDecodeError:
            self._ws.fail(1007, "invalid UTF-8")
            self._set_gone()
            return
        self._push(text)

    def _push(self, message: str | bytes) -> None:
        listener = self._listener
        if listener is not None:
            listener.on_message(message)
        else:
            self._inbox.append(message)

    def _shut(self) -> None:
        self._open = self.clear = False

    def _set_gone(self) -> None:
        self._shut()
        if not self._gone:
            self._gone = True
            self._tell_gone()

    def _tell_gone(self) -> None:
        if self._listener is not None and not self._told_gone:
            self._told_gone = True
            self._listener.on_gone()

    def _flush(self) -> None:
        transport = self._transport
        for data in self._ws.data_to_send():
            if transport is None or transport.is_closing():
                return
            if data:
                transport.write(data)
            else:  # the protocol is done with the connection: FIN after what is written
                transport.close()

    def _hang_up(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > 0:
            transport.abort()
        else:
            transport.close()

    # Keepalive: a ping every ws_ping_interval, the socket cut if no pong within ws_ping_timeout.

    def _schedule_ping(self) -> None:
        interval = self._config.ws_ping_interval
        if interval:
            self._ping_timer = asyncio.get_running_loop().call_later(interval, self._ping)

    def _ping(self) -> None:
        if self._ws.state is not State.OPEN:
            return
        self._ws.send_ping(b"")
        self._flush()
        timeout = self._config.ws_ping_timeout
        if timeout and self._pong_timer is None:
            self._pong_timer = asyncio.get_running_loop().call_later(timeout, self._pong_missed)
        self._schedule_ping()

    def _pong_missed(self) -> None:
        self._pong_timer = None
        log.info("no pong within the keepalive timeout: connection cut")
        self._shut()
        if self._transport is not None:
            self._transport.abort()

    def _gateway(self) -> Gateway | None:
        gateway: Gateway | None = self._lifespan_state.get(GATEWAY_STATE_KEY)
        return gateway
