"""Running the app under uvicorn, with roomcast's WebSocket limits and graceful SIGTERM."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from fastapi import FastAPI

from roomcast.app import create_app
from roomcast.config import Settings

MAX_FRAME_BYTES = 64 * 1024


def uvicorn_config(app: Any, host: str, port: int, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        ws_max_size=MAX_FRAME_BYTES,
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


def run(settings: Settings, host: str, port: int, workers: int) -> int:
    if workers > 1:
        # Each worker reads the same environment; the cluster is held together by Redis.
        config = uvicorn_config("roomcast.app:create_app", host, port, factory=True, workers=workers)
        uvicorn.Server(config).run()
        return 0
    app = create_app(settings)
    print(f"roomcast: serving on http://{host}:{port}", flush=True)
    Server(uvicorn_config(app, host, port)).run()
    return 0
