"""The HTTP surface under abuse (issue 10): body limits, security headers, range-checked
parameters, and refusals that are always a documented 4xx — over a real socket."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest

from tests.conftest import LiveServer

StartServer = Callable[..., Awaitable[LiveServer]]
MIB = 1024 * 1024
CHUNK = b"x" * 65_536


async def raw_response(reader: asyncio.StreamReader, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response with a Content-Length."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    status_line, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines if line)}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), timeout)
    return int(status_line.split()[1]), headers, body


# --- MAX_BODY_BYTES ---------------------------------------------------------------------------


async def test_a_2_mib_body_is_refused_with_413_quickly(live: LiveServer) -> None:
    assert live.http is not None
    body = b'{"username": "alice", "password": "' + b"p" * (2 * MIB) + b'"}'
    started = time.perf_counter()
    response = await live.http.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert time.perf_counter() - started < 3
    assert response.status_code == 413
    assert "MAX_BODY_BYTES" in response.json()["detail"]
    assert response.headers["x-content-type-options"] == "nosniff"
    # the connection stays usable, and a body under the limit is read as usual
    small = await live.http.post("/api/auth/login", json={"username": "alice", "password": "p" * 4000})
    assert small.status_code == 422


async def test_a_declared_length_over_the_limit_is_answered_before_the_body_is_sent(live: LiveServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    try:
        writer.write(
            b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {2 * MIB}\r\n\r\n".encode()
            + b'{"name": "'
        )
        await writer.drain()
        status, headers, body = await raw_response(reader)  # the other 2 MiB were never sent
        assert status == 413
        assert "detail" in orjson.loads(body)
        assert headers["referrer-policy"] == "no-referrer"
    finally:
        writer.close()


async def test_a_chunked_body_is_refused_as_it_crosses_the_limit(start_server: StartServer) -> None:
    server = await start_server(MAX_BODY_BYTES=256 * 1024)
    user = await server.user()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {user.token}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(5):  # 320 KiB, never finished with the last chunk
            writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
        await writer.drain()
        status, _, body = await raw_response(reader)
        assert status == 413
        assert "262144" in orjson.loads(body)["detail"]
    finally:
        writer.close()
    assert server.http is not None
    assert (await server.http.get("/api/rooms", headers=user.headers)).json() == []


async def test_a_30_mb_body_does_not_grow_the_servers_memory(live: LiveServer) -> None:
    """The server runs in this process: its RSS is ours. Unbounded, each upload costs 30+ MB."""
    assert live.http is not None

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(30 * MIB // len(CHUNK)):
            yield CHUNK

    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    chunked = await live.http.post("/api/auth/login", content=upload(), headers={"content-type": "application/json"})
    declared = await live.http.post(
        "/api/auth/register",
        content=upload(),
        headers={"content-type": "application/json", "content-length": str(30 * MIB)},
    )
    gc.collect()
    grown = process.memory_info().rss - before
    assert chunked.status_code == declared.status_code == 413
    assert grown < 15 * MIB, f"RSS grew by {grown / MIB:.1f} MiB"


# --- security headers ------------------------------------------------------------------------


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/assets/app-1.js"></script>')
    (root / "assets" / "app-1.js").write_text("console.log('roomcast')")
    return root


def assert_security_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} → {response.status_code}"
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("referrer-policy") == "no-referrer", where
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, where
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where


async def test_every_response_carries_the_security_headers(start_server: StartServer, dist: Path) -> None:
    server = await start_server(WEB_DIST=str(dist))
    assert server.http is not None
    http = server.http
    user = await server.user()
    room = await server.room(user)
    responses = [
        await http.get("/"),
        await http.get("/rooms/somewhere"),
        await http.get("/assets/app-1.js"),
        await http.get("/assets/missing.js"),
        await http.get("/health"),
        await http.get("/metrics"),
        await http.get("/openapi.json"),
        await http.get("/docs"),
        await http.get("/api/nope"),
        await http.get("/api/rooms"),
        await http.get("/api/rooms", headers=user.headers),
        await http.get(f"/api/rooms/{room['id']}/messages", params={"limit": 0}, headers=user.headers),
        await http.put("/api/rooms", headers=user.headers),
        await http.post("/api/rooms", content=b"{", headers={**user.headers, "content-type": "application/json"}),
        await http.head("/"),
    ]
    for response in responses:
        assert_security_headers(response)
    page = responses[0].headers["content-security-policy"]
    assert "default-src 'self'" in page and "script-src 'self'" in page
    # /docs (Swagger UI from its CDN) allows its own inline scripts by hash, nothing else inline
    docs = responses[7].headers["content-security-policy"]
    assert "'sha256-" in docs and "https://cdn.jsdelivr.net" in docs
    assert (await http.get("/redoc")).status_code == 404


# --- documented refusals ---------------------------------------------------------------------


async def test_a_body_that_is_not_json_is_a_422(live: LiveServer) -> None:
    user = await live.user()
    assert live.http is not None
    headers = {**user.headers, "content-type": "application/json"}
    for body in (b"\xff\xfe\x00", b"{", b"[1, 2", b'{"name": "x"'):
        response = await live.http.post("/api/rooms", content=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["detail"]
    assert (await live.http.get("/api/rooms", headers=user.headers)).json() == []


async def test_405_allows_every_method_of_the_path(live: LiveServer) -> None:
    assert live.http is not None
    room, user = uuid.uuid4(), uuid.uuid4()
    expected = {
        "/api/rooms": "GET, POST",
        f"/api/rooms/{room}/members": "GET, POST",
        f"/api/rooms/{room}/members/{user}": "DELETE, PATCH",
        f"/api/rooms/{room}/messages": "GET, POST",
        "/api/notifications/read-all": "POST",
    }
    for path, allow in expected.items():
        for method in ("OPTIONS", "PUT"):
            response = await live.http.request(method, path)
            assert response.status_code == 405, (method, path)
            assert response.headers["allow"] == allow, (method, path)


# --- range-checked parameters ----------------------------------------------------------------


async def test_huge_or_malformed_parameters_are_422_never_500(live: LiveServer) -> None:
    alice = await live.user()
    room = await live.room(alice)
    assert live.http is not None
    http, rid = live.http, room["id"]
    thirty_digits = "1" * 30
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/rooms/{rid}/messages", {"params": {"limit": 0}}),
        ("GET", f"/api/rooms/{rid}/messages", {"params": {"limit": 201}}),
        ("GET", f"/api/rooms/{rid}/messages", {"params": {"before_seq": thirty_digits}}),
        ("GET", f"/api/rooms/{rid}/messages", {"params": {"after_seq": thirty_digits}}),
        ("GET", f"/api/rooms/{rid}/messages", {"params": {"after_seq": -1}}),
        ("POST", f"/api/rooms/{rid}/read", {"json": {"seq": int(thirty_digits)}}),
        ("POST", f"/api/rooms/{rid}/read", {"json": {"seq": -1}}),
        ("POST", f"/api/rooms/{rid}/read", {"json": {"seq": "5"}}),
        ("POST", f"/api/rooms/{rid}/read", {"json": {"seq": True}}),
        ("POST", "/api/rooms", {"json": {"name": "x", "is_private": 0}}),
        ("GET", "/api/rooms/public", {"params": {"q": "a\x00b"}}),
        ("GET", "/api/rooms/not-a-uuid", {}),
        ("GET", "/api/rooms/not-a-uuid/messages", {}),
        ("POST", "/api/rooms/not-a-uuid/messages", {"json": {"content": "hi"}}),
        ("DELETE", f"/api/rooms/{rid}/members/not-a-uuid", {}),
        ("PATCH", f"/api/rooms/{rid}/members/{'f' * 40}", {"json": {"role": "admin"}}),
        ("POST", "/api/notifications/not-a-uuid/read", {}),
        ("POST", f"/api/rooms/{rid}-0/join", {}),
    ]
    for method, path, kwargs in bad:
        response = await http.request(method, path, headers=alice.headers, **kwargs)
        assert response.status_code == 422, (method, path, kwargs, response.text)
        assert isinstance(response.json()["detail"], str)
    assert (await http.get(f"/api/rooms/{rid}/messages", headers=alice.headers)).json()["messages"] == []


async def test_seq_bounds_beyond_every_stored_seq_are_answered(live: LiveServer) -> None:
    """Valid JSON-safe integers larger than the 32-bit column: no database overflow."""
    alice = await live.user()
    room = await live.room(alice)
    rid = room["id"]
    for i in range(3):
        assert (await live.post(alice, rid, f"m{i}")).status_code == 201
    assert live.http is not None

    async def page(**params: Any) -> list[int]:
        response = await live.http.get(f"/api/rooms/{rid}/messages", params=params, headers=alice.headers)  # type: ignore[union-attr]
        assert response.status_code == 200, response.text
        return [m["seq"] for m in response.json()["messages"]]

    assert await page(before_seq=2**53 - 1) == [1, 2, 3]
    assert await page(before_seq=2**31) == [1, 2, 3]
    assert await page(before_seq=0) == []
    assert await page(after_seq=2**53 - 1) == []
    assert await page(after_seq=2**31 - 1) == []
    read = await live.http.post(f"/api/rooms/{rid}/read", json={"seq": 2**53 - 1}, headers=alice.headers)
    assert read.status_code == 200 and read.json()["unread_count"] == 0
