"""Running the app under uvicorn, with roomcast's own WebSocket protocol and its limits."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from roomcast.app import create_app
from roomcast.config import Settings
from roomcast.observability.logging import configure_logging
from roomcast.transport.websocket import WebSocketProtocol

MAX_FRAME_BYTES = 64 * 1024


def uvicorn_config(app: Any, host: str, port: int, **overrides: Any) -> uvicorn.Config:
    options: dict[str, Any] = {
        # roomcast's own protocol (roomcast.transport): whole frames go straight to the socket;
        # no per-message deflate: compressing every frame once per socket costs more than it saves.
        "ws": WebSocketProtocol,
        "ws_per_message_deflate": False,
        "ws_max_size": MAX_FRAME_BYTES,
        # X-Forwarded-For is believed only from TRUSTED_PROXIES, by roomcast itself (the rate
        # limits' client address); uvicorn's own handling would trust 127.0.0.1 by default.
        "proxy_headers": False,
        "ws_ping_interval": 20,
        "ws_ping_timeout": 20,
        "timeout_graceful_shutdown": 10,
        "log_level": "warning",
    }
    return uvicorn.Config(app, host=host, port=port, **(options | overrides))


def create_worker_app() -> FastAPI:
    """The app of one `--workers` process: a process of its own, which logs like `roomcast serve`."""
    configure_logging()
    return create_app()


def run(settings: Settings, host: str, port: int, workers: int) -> int:
    if workers > 1:
        # Each worker builds the app from the same environment (`create_app()` reads it); the
        # cluster is held together by Redis. On SIGTERM uvicorn asks each worker's connections
        # to shut down, and the WebSocket protocol drains that worker's gateway.
        config = uvicorn_config("roomcast.server:create_worker_app", host, port, factory=True, workers=workers)
        sock = config.bind_socket()
        print(f"roomcast: serving on http://{host}:{port} with {workers} workers", flush=True)
        Multiprocess(config, sockets=[sock]).run()
        return 0
    app = create_app(settings)
    print(f"roomcast: serving on http://{host}:{port}", flush=True)
    server = uvicorn.Server(uvicorn_config(app, host, port))
    server.run()
    return 0 if server.started else 1
