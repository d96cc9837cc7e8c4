"""Baseline: python-socketio (ASGI) under uvicorn, one Socket.IO room per room, nothing stored.

Clients connect with `?room=<name>&user=<name>` in the Engine.IO URL; `send_message` is
emitted to the room (skipping the sender), and the sender gets `message_sent`.

    python -m roomcast.bench.baselines.socketio_asgi --port 8002   # needs python-socketio
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import parse_qs

import socketio  # type: ignore[import-untyped]  # python-socketio ships no type information
import uvicorn
from fastapi import FastAPI

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[])
health = FastAPI()
app = socketio.ASGIApp(sio, other_asgi_app=health)


@health.get("/health")
async def health_check() -> dict[str, str]:
    return {"status": "ok"}


async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    room = query.get("room", ["lobby"])[0]
    user = query.get("user", ["anonymous"])[0]
    await sio.save_session(sid, {"room": room, "user": user})
    await sio.enter_room(sid, room)


async def send_message(sid: str, data: dict[str, Any]) -> None:
    session = await sio.get_session(sid)
    message = {"room_id": session["room"], "sender_username": session["user"], "content": data.get("content")}
    await sio.emit("new_message", {"message": message}, room=session["room"], skip_sid=sid)
    await sio.emit("message_sent", {"message": message, "client_id": data.get("client_id")}, to=sid)


# `sio.on(name, handler)` is `@sio.event` without an untyped decorator.
sio.on("connect", connect)
sio.on("send_message", send_message)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m roomcast.bench.baselines.socketio_asgi")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws_max_size=64 * 1024)


if __name__ == "__main__":
    main()
