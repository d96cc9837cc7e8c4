"""/docs: FastAPI's Swagger UI, under a Content-Security-Policy of its own.

Swagger UI comes from a CDN and starts from an inline script. Rather than allow every inline
script ('unsafe-inline'), the policy names the page's own inline scripts by their SHA-256, so
nothing injected into the page could run. ReDoc is not served: it needs far more (workers from
blob:, injected styles, web fonts) for a second view of the same schema.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(page: bytes) -> str:
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {CDN} {hashes}".rstrip(),
            f"style-src {CDN}",
            "img-src 'self' data: https://fastapi.tiangolo.com",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    body = bytes(page.body)
    return HTMLResponse(body, headers={"Content-Security-Policy": docs_policy(body)})


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs (the app is created with docs_url=None, redoc_url=None)."""
    openapi_url = app.openapi_url or "/openapi.json"

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
        )
        return _with_policy(page)

    async def oauth2_redirect(_: Request) -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
