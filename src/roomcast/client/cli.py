"""`roomcast tail ROOM_ID` and `roomcast send ROOM_ID TEXT`: a room from a terminal.

Credentials: `--user NAME` (the password is prompted) or ROOMCAST_TOKEN; the server: `--url` or
ROOMCAST_URL (default http://127.0.0.1:8000).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import sys

from roomcast.client.client import Client
from roomcast.client.errors import ClientError
from roomcast.client.events import (
    MemberChanged,
    MessageUpdated,
    NewMessage,
    RoomEvent,
    UserJoined,
    UserLeft,
)
from roomcast.client.records import Message

DEFAULT_URL = "http://127.0.0.1:8000"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roomcast", description="Talk to a running roomcast server.")
    commands = parser.add_subparsers(dest="command", required=True)
    tail = commands.add_parser("tail", help="print a room live (resumes by itself after a drop)")
    tail.add_argument("room_id")
    tail.add_argument("--since", type=int, default=None, help="start after this seq (default: now)")
    tail.add_argument("--history", type=int, default=10, help="recent messages to show first (default 10)")
    send = commands.add_parser("send", help="send one message to a room")
    send.add_argument("room_id")
    send.add_argument("text")
    for command in (tail, send):
        command.add_argument("--url", default=os.environ.get("ROOMCAST_URL", DEFAULT_URL), help="or ROOMCAST_URL")
        command.add_argument("--user", default=None, help="username (password prompted); or ROOMCAST_TOKEN")
    args = parser.parse_args(argv)
    try:
        client = _client(args.url, args.user)
    except ValueError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 2
    if args.command == "tail":
        work = _tail(client, args.room_id, args.since, args.history)
    else:
        work = _send(client, args.room_id, args.text)
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        return 130


def _client(url: str, user: str | None) -> Client:
    if user is not None:
        return Client(url, username=user, password=getpass.getpass(f"password for {user}: "))
    token = os.environ.get("ROOMCAST_TOKEN")
    if not token:
        raise ValueError("give --user NAME (the password is prompted) or set ROOMCAST_TOKEN")
    return Client(url, token=token)


async def _tail(client: Client, room_id: str, since: int | None, history: int) -> int:
    try:
        async with client:
            subscription = await client.subscribe(room_id, since_seq=since)
            for message in subscription.recent_messages[-history:] if history > 0 else ():
                _print(_message_line(message))
            async for event in subscription:
                line = event_line(event)
                if line is not None:
                    _print(line)
    except ClientError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 1
    return 0


async def _send(client: Client, room_id: str, text: str) -> int:
    try:
        async with client:
            subscription = await client.subscribe(room_id)
            message = await subscription.send(text)
    except ClientError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 1
    print(f"#{message.seq} {message.id}")
    return 0


def event_line(event: RoomEvent) -> str | None:
    """One terminal line for a room event (None: not worth a line, such as typing)."""
    if isinstance(event, NewMessage):
        return _message_line(event.message)
    if isinstance(event, MessageUpdated):
        target = f"#{event.message.seq}"
        who = event.actor.username
        if event.change == "edited":
            return f"#{event.seq} ~ {who} edited {target}: {event.message.content}"
        if event.change == "deleted":
            return f"#{event.seq} ~ {who} deleted {target}"
        verb = "reacted" if event.change == "reaction_added" else "took back"
        return f"#{event.seq} ~ {who} {verb} {event.emoji} on {target}"
    if isinstance(event, UserJoined):
        return f"* {event.username} is here"
    if isinstance(event, UserLeft):
        return f"* {event.username} left"
    if isinstance(event, MemberChanged):
        return f"* {event.username}: {event.change}" + (f" ({event.role})" if event.role else "")
    return None


def _message_line(message: Message) -> str:
    when = message.created_at.astimezone().strftime("%H:%M:%S")
    content = "(deleted)" if message.deleted else message.content
    edited = " (edited)" if message.edited_at is not None and not message.deleted else ""
    return f"#{message.seq} {when} {message.sender_username}: {content}{edited}"


def _print(line: str) -> None:
    with contextlib.suppress(BrokenPipeError):
        print(line, flush=True)
