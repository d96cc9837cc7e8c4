"""The HTTP contract beyond the routes: the error handlers and the OpenAPI document.

Every refusal is `{"detail": ...}` with a status the schema documents: validation errors and
bodies that cannot be parsed are 422 (FastAPI would answer the latter 400), a 405 lists in
`Allow` every method of the path (Starlette lists only the first route's), and the schema
carries what depends on the settings (MAX_MESSAGE_LENGTH) or holds for every body (413).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from roomcast.api.middleware import SECURITY_HEADERS
from roomcast.config import Settings
from roomcast.services.errors import DomainError, RateLimited

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
ERROR_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}


def install_error_handlers(app: FastAPI) -> None:
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
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        status = exc.status_code
        if status == 400:  # FastAPI's "error parsing the body": invalid input like any other
            status = 422
        elif status == 405:
            headers["Allow"] = allowed_methods(request, headers.get("Allow", ""))
        return JSONResponse({"detail": str(exc.detail)}, status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def server_error(_: Request, exc: Exception) -> JSONResponse:
        # Answered outside every middleware: the security headers are added here.
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500, headers=SECURITY_HEADERS)


def allowed_methods(request: Request, fallback: str) -> str:
    """The methods the schema documents at this path, else `fallback`: those of the templates
    it matches with the fewest parameters (`/rooms/public` is not `/rooms/{room_id}`)."""
    app = request.app
    table = getattr(app.state, "documented_methods", None)
    if table is None:
        table = app.state.documented_methods = _documented_methods(app.openapi())
    path = request.scope["path"]
    matches = [(parameters, some) for pattern, parameters, some in table if pattern.fullmatch(path)]
    fewest = min((parameters for parameters, _ in matches), default=0)
    methods = sorted({method for parameters, some in matches if parameters == fewest for method in some})
    return ", ".join(methods) if methods else fallback


def _documented_methods(schema: dict[str, Any]) -> list[tuple[re.Pattern[str], int, set[str]]]:
    table = []
    for template, operations in schema.get("paths", {}).items():
        parts = re.split(r"\{[^/}]+\}", template)
        pattern = re.compile("[^/]+".join(re.escape(part) for part in parts))
        table.append((pattern, len(parts) - 1, {method.upper() for method in operations if method in HTTP_METHODS}))
    return table


def install_openapi(app: FastAPI, settings: Settings) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for body in ("MessageIn", "MessageEditIn"):
                schema["components"]["schemas"][body]["properties"]["content"]["maxLength"] = (
                    settings.max_message_length
                )
            for path in schema["paths"].values():
                for operation in path.values():
                    if "requestBody" in operation:
                        operation["responses"].setdefault(
                            "413", {"description": "Body larger than MAX_BODY_BYTES", **ERROR_REF}
                        )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
