"""HTTP middleware, pure ASGI: security headers on every response, a cap on request bodies.

`SecurityHeaders` adds SPEC §7's headers to whatever answers (routes, errors, 404s, static
files) without replacing a header a response set itself: /docs brings its own policy.
`BodyLimit` refuses a body over MAX_BODY_BYTES with 413: a declared Content-Length at once,
before the app runs; an undeclared (chunked) one as it streams, the moment it crosses the
limit. Either way the body is never held whole in memory.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The built web client: its own scripts, styles, images and API/WebSocket (CSP 3 lets 'self'
# match ws:/wss: of the page's own host), nothing inline, never framed.
WEB_CLIENT_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": WEB_CLIENT_POLICY,
}
TOO_LARGE = "request body is larger than {limit} bytes (MAX_BODY_BYTES)"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, headers: dict[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = TOO_LARGE.format(limit=self.max_bytes)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            # Answered unread: the server discards what the client still sends.
            await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes an HTTPException raised while reading the body on to the
                    # app's handler (any other error there would become a 400).
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counted_receive, send)
