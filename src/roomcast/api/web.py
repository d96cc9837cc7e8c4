"""Serves the built web client (frontend/dist) at `/`, behind every API route.

It is installed as the router's fallback, so it only sees requests that no route matched
at all: the API, the WebSocket endpoint, the docs, /health and /metrics are never shadowed,
an unknown `/api/...` path still gets the JSON 404, and a known path with the wrong method
still gets its 405. Client-side routes (`/rooms/<id>`, `/login`, ...) get index.html.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger("roomcast.web")

RESERVED_PREFIXES = ("/api", "/ws", "/docs", "/redoc", "/openapi.json", "/health", "/metrics")

# Nothing inline (no style attribute either): the page is served under the client's CSP.
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>roomcast</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>roomcast is running</h1>
<p>The web client is not built. Run <code>make web</code> (or <code>make run</code>),
then reload this page. The API is at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def is_reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


class WebClient:
    """ASGI fallback: a file of `dist`, or index.html for a client-side route, else `not_found`."""

    def __init__(self, dist: Path, not_found: ASGIApp) -> None:
        self.dist = dist.resolve()
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "/")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or is_reserved(path):
            await self.not_found(scope, receive, send)
            return
        response = self.respond(path)
        if response is None:
            await self.not_found(scope, receive, send)
            return
        await response(scope, receive, send)

    def respond(self, path: str) -> Response | None:
        index = self.dist / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, headers={"Cache-Control": "no-store"})
        asset = self.resolve(path)
        if asset is not None:
            # Vite puts a content hash in every name under assets/: they never change.
            immutable = asset.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(asset, headers={"Cache-Control": cache})
        last = path.rsplit("/", 1)[-1]
        if path.startswith("/assets/") or "." in last:
            return None  # a missing file is a 404, not the app shell with the wrong type
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    def resolve(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if not relative:
            return None
        try:
            candidate = (self.dist / relative).resolve()
        except (OSError, ValueError):
            return None
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate


def mount_web_client(app: FastAPI, dist: Path) -> None:
    """Serve `dist` at `/` for whatever no route matched (see the module docstring)."""
    if not (dist / "index.html").is_file():
        log.warning("web client not built (%s missing): run `make web`", dist / "index.html")
    app.router.default = WebClient(dist, app.router.default)
