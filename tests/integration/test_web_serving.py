"""The built web client is served at `/` without shadowing the API (SPEC §7, issue 5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest import LiveServer

INDEX = '<!doctype html><html><body><div id="root"></div><script src="/assets/app-1234.js"></script></body></html>'

StartServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1234.js").write_text("console.log('roomcast')")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside dist")
    return root


async def test_index_and_assets_are_served(start_server: StartServer, dist: Path) -> None:
    server = await start_server(WEB_DIST=str(dist))
    assert server.http is not None
    index = await server.http.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.text == INDEX
    assert index.headers["cache-control"] == "no-cache"

    asset = await server.http.get("/assets/app-1234.js")
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"]

    icon = await server.http.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg")

    head = await server.http.head("/")
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize("path", ["/login", "/register", "/rooms/5d0c3e0e-8d0f-4a58-9b3e-1f7a0e4b6c21", "/browse"])
async def test_client_side_routes_fall_back_to_index(start_server: StartServer, dist: Path, path: str) -> None:
    server = await start_server(WEB_DIST=str(dist))
    assert server.http is not None
    response = await server.http.get(path)
    assert response.status_code == 200
    assert response.text == INDEX


async def test_api_and_operations_are_not_shadowed(start_server: StartServer, dist: Path) -> None:
    server = await start_server(WEB_DIST=str(dist))
    assert server.http is not None
    http = server.http

    for path in ("/api/nope", "/api/rooms/x/nope", "/api", "/ws", "/docs/nope", "/metrics/x"):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}, path
    assert (await http.post("/api/nope", json={})).status_code == 404

    unauthenticated = await http.get("/api/rooms")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["detail"]

    # a known path with a wrong method keeps its 405
    assert (await http.put("/api/rooms")).status_code == 405

    health = await http.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert (await http.get("/openapi.json")).json()["info"]["title"] == "roomcast"
    assert "swagger" in (await http.get("/docs")).text.lower()
    assert (await http.get("/metrics")).headers["content-type"].startswith("text/plain")

    user = await server.user()
    me = await http.get("/api/users/me", headers=user.headers)
    assert me.status_code == 200 and me.json()["username"] == user.username


async def test_websocket_still_works_beside_the_client(start_server: StartServer, dist: Path) -> None:
    server = await start_server(WEB_DIST=str(dist))
    alice = await server.user()
    room = await server.room(alice)
    ws = await server.connect(room["id"], alice)
    assert (await ws.expect("connected"))["room_id"] == room["id"]
    await ws.close()


async def test_missing_files_and_traversal_are_404(start_server: StartServer, dist: Path) -> None:
    server = await start_server(WEB_DIST=str(dist))
    assert server.http is not None
    for path in ("/assets/missing-0000.js", "/missing.png", "/..%2Fsecret.txt", "/assets/../../secret.txt"):
        response = await server.http.get(path)
        assert response.status_code == 404, path
        assert "outside dist" not in response.text
    assert (await server.http.post("/rooms/abc")).status_code in (404, 405)


async def test_without_a_build_a_short_page_says_how_to_build(start_server: StartServer, tmp_path: Path) -> None:
    server = await start_server(WEB_DIST=str(tmp_path / "not-built"))
    assert server.http is not None
    page = await server.http.get("/")
    assert page.status_code == 200
    assert "make web" in page.text
    # served under the client's CSP, so nothing inline that it would block
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "style=" not in page.text and "<script" not in page.text
    assert (await server.http.get("/api/nope")).status_code == 404
    assert (await server.http.get("/health")).status_code == 200
