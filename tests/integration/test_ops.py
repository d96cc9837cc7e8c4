"""Operations endpoints: /health, /docs, /openapi.json and /metrics."""

from __future__ import annotations

from collections.abc import Callable

from roomcast.config import Settings
from tests.conftest import LiveServer


async def test_health_is_ok_with_database_latency(live: LiveServer) -> None:
    assert live.http is not None
    response = await live.http.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], int | float) and 0 <= database["latency_ms"] < 5000
    assert database["dialect"] in ("sqlite", "postgresql")
    assert all(check["status"] == "ok" for check in body["checks"].values())


async def test_health_fails_with_503_when_the_database_is_unreachable(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    server = await LiveServer(settings).start(migrate=False)
    try:
        assert server.http is not None
        response = await server.http.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "fail"
        assert body["checks"]["database"]["status"] == "fail"
        assert "error" in body["checks"]["database"]
        assert "postgres@" not in response.text
    finally:
        await server.stop()


async def test_docs_and_openapi(live: LiveServer) -> None:
    assert live.http is not None
    docs = await live.http.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert "swagger" in docs.text.lower()
    schema = (await live.http.get("/openapi.json")).json()
    assert schema["info"]["title"] == "roomcast"
    paths = schema["paths"]
    expected = {
        ("post", "/api/auth/register"),
        ("post", "/api/auth/login"),
        ("post", "/api/auth/token"),
        ("get", "/api/users/me"),
        ("post", "/api/rooms"),
        ("get", "/api/rooms"),
        ("get", "/api/rooms/public"),
        ("get", "/api/rooms/{room_id}"),
        ("post", "/api/rooms/{room_id}/join"),
        ("post", "/api/rooms/{room_id}/leave"),
        ("get", "/api/rooms/{room_id}/members"),
        ("post", "/api/rooms/{room_id}/members"),
        ("patch", "/api/rooms/{room_id}/members/{user_id}"),
        ("delete", "/api/rooms/{room_id}/members/{user_id}"),
        ("get", "/api/rooms/{room_id}/messages"),
        ("post", "/api/rooms/{room_id}/messages"),
        ("post", "/api/rooms/{room_id}/read"),
        ("get", "/api/notifications"),
        ("post", "/api/notifications/{notification_id}/read"),
        ("post", "/api/notifications/read-all"),
        ("get", "/health"),
        ("get", "/metrics"),
    }
    documented = {(method, path) for path, item in paths.items() for method in item}
    assert expected <= documented, expected - documented
    # the Authorize button of /docs uses the OAuth2 password flow of /api/auth/token
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("flows", {}).get("password", {}).get("tokenUrl") == "/api/auth/token" for s in schemes.values())


async def test_metrics_are_prometheus_text(live: LiveServer) -> None:
    assert live.http is not None
    alice = await live.user()
    room = await live.room(alice)
    assert (await live.post(alice, room["id"], "counted")).status_code == 201
    response = await live.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "version=" in response.headers["content-type"]
    text = response.text
    assert "# TYPE roomcast_messages_stored_total counter" in text
    stored = [line for line in text.splitlines() if line.startswith("roomcast_messages_stored_total ")]
    assert stored and float(stored[0].split()[1]) >= 1
    for line in text.splitlines():  # every sample line is `name{labels} value`
        if line and not line.startswith("#"):
            float(line.rsplit(" ", 1)[1])
