"""The app factory: `create_app(settings)` builds everything in the lifespan and closes it after."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from roomcast.api import routes_auth, routes_notifications, routes_ops, routes_rooms
from roomcast.config import Settings, load_settings
from roomcast.gateway.connection import SERVER_CHANNEL_KEY
from roomcast.gateway.gateway import Gateway
from roomcast.services.errors import DomainError, RateLimited
from roomcast.services.registry import Services

log = logging.getLogger("roomcast.app")

GC_THRESHOLD = 5_000


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.build(settings)
        gateway = Gateway(services)
        await gateway.start()
        app.state.services = services
        app.state.gateway = gateway
        tune_garbage_collector()
        try:
            yield
        finally:
            await gateway.drain()
            await services.close()

    app = FastAPI(
        title="roomcast",
        version="0.1.0",
        summary="Real-time rooms, history, typing and presence over WebSocket.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(routes_auth.router, prefix="/api")
    app.include_router(routes_rooms.router, prefix="/api")
    app.include_router(routes_notifications.router, prefix="/api")
    app.include_router(routes_ops.router)

    @app.websocket("/ws/{room_id}")
    async def websocket_endpoint(websocket: WebSocket, room_id: str) -> None:
        await websocket.app.state.gateway.serve(websocket, room_id)

    app.add_middleware(CaptureServerChannel)
    _install_error_handlers(app)
    _mount_web_client(app, settings)
    return app


class CaptureServerChannel:
    """Keeps the server's own `send` in a WebSocket scope, for `gateway.connection`'s fast path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_CHANNEL_KEY] = send
        await self.app(scope, receive, send)


def tune_garbage_collector() -> None:
    """Keep full collections from pausing the event loop for 100+ ms under load.

    Everything alive after start-up (modules, the app, its services) lives as long as the
    process: freezing it takes it out of every later collection, and a larger first threshold
    makes collections rarer. Measured with `roomcast bench` (docs/performance.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 100)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        body: dict[str, object] = {"detail": exc.detail}
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited):
            body["rate_limit_info"] = exc.info
            headers["Retry-After"] = str(exc.info["time_until_reset"])
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


def _mount_web_client(app: FastAPI, settings: Settings) -> None:
    dist = Path(settings.web_dist) if settings.web_dist else Path(__file__).resolve().parents[2] / "frontend" / "dist"
    try:
        from roomcast.api.web import mount_web_client
    except ImportError:
        return
    mount_web_client(app, dist)
