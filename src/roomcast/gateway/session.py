"""One admitted socket's frames, handled as they arrive: no task while the socket is idle.

The peer calls `on_message` from its transport callback. A frame whose answer needs nothing
but this process (a ping, a bad frame, a refusal) is answered there and then; one whose work
awaits (a send waiting for its commit, a publication, a session check) becomes a task, and
until that task ends the frames behind it wait here, in order, so a client's frames are
handled one after the other as the SPEC's ordering needs. When more than BACKLOG_LIMIT wait,
the peer stops reading until they are done: a client cannot queue unbounded work.

`on_gone` ends the session once what the client sent before it left has been handled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from roomcast.gateway.connection import Connection
from roomcast.observability import metrics
from roomcast.services.messages import Actor

log = logging.getLogger("roomcast.gateway")

BACKLOG_LIMIT = 32

Work = Coroutine[Any, Any, None]


class Session:
    __slots__ = ("_backlog", "_busy", "_end", "_gone", "_handle", "_paused", "actor", "connection")

    def __init__(
        self,
        connection: Connection,
        actor: Actor,
        handle: Callable[[Session, str | bytes], Work | None],
        end: Callable[[Session], None],
    ) -> None:
        self.connection = connection
        self.actor = actor  # replaced when the client sends a fresh token (`auth`)
        self._handle = handle
        self._end = end
        self._backlog: list[str | bytes] = []  # short: reading pauses at BACKLOG_LIMIT
        self._busy = False
        self._gone = False
        self._paused = False

    def on_message(self, message: str | bytes) -> None:
        if self.connection.is_closing:
            return  # the server is closing it (kick, expiry, drain): nothing more is taken in
        if self._busy:
            self._backlog.append(message)
            if len(self._backlog) >= BACKLOG_LIMIT and not self._paused:
                self._paused = True
                self.connection.peer.pause_reading()
            return
        self._run(message)

    def on_gone(self) -> None:
        if self._gone:
            return
        self._gone = True
        if not self._busy:
            self._end(self)

    def _run(self, message: str | bytes) -> None:
        """Handle `message`, then what waits behind it, until one awaits or none is left."""
        backlog = self._backlog
        while True:
            try:
                work = self._handle(self, message)
            except Exception:
                self._failed()
                return
            if work is not None:
                self._busy = True
                asyncio.ensure_future(work).add_done_callback(self._resume)
                return
            if not backlog or self.connection.is_closing:
                break
            message = backlog.pop(0)
        self._run_out()

    def _resume(self, task: asyncio.Future[None]) -> None:
        self._busy = False
        if not task.cancelled() and task.exception() is not None:
            self._failed(task.exception())
        elif self._backlog and not self.connection.is_closing:
            self._run(self._backlog.pop(0))
        else:
            self._run_out()
        if self._gone and not self._busy:
            self._end(self)

    def _run_out(self) -> None:
        self._backlog.clear()
        if self._paused:
            self._paused = False
            self.connection.peer.resume_reading()

    def _failed(self, error: BaseException | None = None) -> None:
        connection = self.connection
        log.error(
            "connection handler failed",
            exc_info=error if error is not None else True,
            extra={"user_id": connection.user_id, "connection": connection.id},
        )
        metrics.ERRORS.labels(type="handler").inc()
        self._run_out()
        connection.close(1011, "internal error")
