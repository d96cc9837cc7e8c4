"""Running the app under uvicorn, with roomcast's WebSocket limits and graceful SIGTERM."""

from __future__ import annotations

import os
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import multiprocess

from roomcast.app import create_app
from roomcast.config import Settings

MAX_FRAME_BYTES = 64 * 1024


def uvicorn_config(app: Any, host: str, port: int, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # sans-I/O websockets: whole frames go straight to the transport (see gateway.connection);
        # no per-message deflate: compressing every frame once per socket costs more than it saves.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        # X-Forwarded-For is believed only from TRUSTED_PROXIES, by roomcast itself (the rate
        # limits' client address); uvicorn's own handling would trust 127.0.0.1 by default.
        proxy_headers=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=10,
        log_level="warning",
        **extra,
    )


class Server(uvicorn.Server):
    """On SIGTERM, first let the gateway commit, deliver and close sockets with 1001."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.loaded_app
        target: Any = app
        while target is not None and not isinstance(target, FastAPI):
            target = getattr(target, "app", None)
        gateway = getattr(getattr(target, "state", None), "gateway", None) if target else None
        if gateway is not None:
            await gateway.drain()
        await super().shutdown(sockets)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess as prometheus_multiprocess

            prometheus_multiprocess.mark_process_dead(os.getpid())  # its live gauges stop counting


class DrainingProcess(multiprocess.Process):
    """A uvicorn worker process that serves with `Server`, so SIGTERM drains it too."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = Server(config=self.config)
        return self._server


def run(settings: Settings, host: str, port: int, workers: int) -> int:
    if workers > 1:
        # Each worker builds the app from the same environment (`create_app()` reads it); the
        # cluster is held together by Redis. Each worker drains on SIGTERM like a single one.
        config = uvicorn_config("roomcast.app:create_app", host, port, factory=True, workers=workers)
        # uvicorn's supervisor builds each worker from this name: make it our draining Server.
        multiprocess.Process = DrainingProcess  # type: ignore[misc]
        sock = config.bind_socket()
        print(f"roomcast: serving on http://{host}:{port} with {workers} workers", flush=True)
        multiprocess.Multiprocess(config, sockets=[sock]).run()
        return 0
    app = create_app(settings)
    print(f"roomcast: serving on http://{host}:{port}", flush=True)
    server = Server(uvicorn_config(app, host, port))
    server.run()
    return 0 if server.started else 1
