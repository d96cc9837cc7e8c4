"""Baseline: the FastAPI tutorial broadcast, one room per path, nothing stored, no token.

The ConnectionManager of the FastAPI WebSocket tutorial, kept as written there (a list of
sockets and an `await send_json` loop, the frame serialised again for each socket), with two
additions so that `roomcast bench` can drive it like roomcast: sockets are grouped by room,
and the sender gets a `message_sent` frame instead of its own copy.

    python -m roomcast.bench.baselines.fastapi_tutorial --port 8001
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: dict[str, list[WebSocket]] = {}

    async def connect(self, room: str, websocket: WebSocket) -> None:
        await websocket.accept()
        self.active_connections.setdefault(room, []).append(websocket)

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        self.active_connections[room].remove(websocket)

    async def broadcast(self, room: str, message: dict[str, Any], sender: WebSocket) -> None:
        for connection in self.active_connections.get(room, []):
            if connection is not sender:
                await connection.send_json(message)


app = FastAPI()
manager = ConnectionManager()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.websocket("/ws/{room}")
async def websocket_endpoint(websocket: WebSocket, room: str) -> None:
    await manager.connect(room, websocket)
    user = websocket.query_params.get("user", "anonymous")
    await websocket.send_json({"type": "connected", "data": {"room_id": room}})
    try:
        while True:
            frame = await websocket.receive_json()
            data = frame.get("data") or {}
            message = {"room_id": room, "sender_username": user, "content": data.get("content")}
            await manager.broadcast(room, {"type": "new_message", "data": {"message": message}}, websocket)
            await websocket.send_json(
                {"type": "message_sent", "data": {"message": message, "client_id": data.get("client_id")}}
            )
    except WebSocketDisconnect:
        manager.disconnect(room, websocket)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m roomcast.bench.baselines.fastapi_tutorial")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws_max_size=64 * 1024)


if __name__ == "__main__":
    main()
