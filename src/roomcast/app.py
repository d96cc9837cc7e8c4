"""The app factory: `create_app(settings)` builds everything in the lifespan and closes it after."""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket

from roomcast.api import routes_auth, routes_messages, routes_notifications, routes_ops, routes_rooms, routes_search
from roomcast.api.contract import install_error_handlers, install_openapi
from roomcast.api.docs import install_docs
from roomcast.api.middleware import BodyLimit, SecurityHeaders
from roomcast.config import Settings, load_settings
from roomcast.gateway.asgi_peer import AsgiPeer
from roomcast.gateway.gateway import Gateway
from roomcast.services.registry import Services
from roomcast.transport.websocket import GATEWAY_STATE_KEY

log = logging.getLogger("roomcast.app")

GC_THRESHOLD = 5_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        services = await Services.build(settings)
        gateway = Gateway(services)
        await gateway.start()
        app.state.services = services
        app.state.gateway = gateway
        tune_garbage_collector()
        try:
            # The lifespan state reaches roomcast's own WebSocket protocol (`roomcast.transport`).
            yield {GATEWAY_STATE_KEY: gateway}
        finally:
            await gateway.drain()
            await services.close()
            if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(os.getpid())  # its live gauges stop counting

    app = FastAPI(
        title="roomcast",
        version="0.1.0",
        summary="Real-time rooms, history, typing and presence over WebSocket.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(routes_auth.router, prefix="/api")
    app.include_router(routes_rooms.router, prefix="/api")
    app.include_router(routes_rooms.dms_router, prefix="/api")
    app.include_router(routes_messages.router, prefix="/api")
    app.include_router(routes_notifications.router, prefix="/api")
    app.include_router(routes_search.router, prefix="/api")
    app.include_router(routes_ops.router)

    # Only under servers other than roomcast's own transport, which serves /ws itself.
    @app.websocket("/ws/{room_id}")
    async def room_socket(websocket: WebSocket, room_id: str) -> None:
        await _serve_asgi(websocket, room_id)

    @app.websocket("/ws")
    async def user_connection(websocket: WebSocket) -> None:
        await _serve_asgi(websocket, None)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    install_docs(app)
    install_openapi(app, settings)
    _mount_web_client(app, settings)
    return app


async def _serve_asgi(websocket: WebSocket, room_id: str | None) -> None:
    peer = AsgiPeer(websocket)
    await websocket.app.state.gateway.serve(peer, room_id)
    await peer.pump()


def tune_garbage_collector() -> None:
    """Keep full collections from pausing the event loop for 100+ ms under load.

    Everything alive after start-up (modules, the app, its services) lives as long as the
    process: freezing it takes it out of every later collection, and a larger first threshold
    makes collections rarer. Measured with `roomcast bench` (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 100)


def _mount_web_client(app: FastAPI, settings: Settings) -> None:
    dist = Path(settings.web_dist) if settings.web_dist else Path(__file__).resolve().parents[2] / "frontend" / "dist"
    try:
        from roomcast.api.web import mount_web_client
    except ImportError:
        return
    mount_web_client(app, dist)
