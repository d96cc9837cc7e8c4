"""Helpers for the tests of the room's event log (SPEC §3, §4, §4a), written from the SPEC alone.

A `View` is what one client knows of a room: every message by id, folded from the frames it
was handed (`connected`, `new_message`, `message_sent`, `message_updated`) exactly as a real
client applies them, and every event seq it saw, so that a test can say "nothing lost, nothing
twice, same state as the others".
"""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import LiveServer, User, WsClient

MESSAGE_KEYS = {
    "id",
    "room_id",
    "seq",
    "sender_id",
    "sender_username",
    "content",
    "client_id",
    "created_at",
    "edited_at",
    "deleted",
    "reply_to",
    "reactions",
}
UPDATE_KEYS = {"seq", "change", "actor", "emoji", "client_id", "message"}
CHANGES = {"edited", "deleted", "reaction_added", "reaction_removed"}
# Frames that answer an action with a refusal: a test waiting for a success stops on them at once.
REFUSALS = ("error", "message_error", "rate_limit_exceeded")
# High limits for the tests that are not about limits (the suite's rooms see many actions).
UNLIMITED = {"MESSAGE_RATE_LIMIT": 100000, "ACTION_RATE_LIMIT": "100000/60"}


@dataclass
class View:
    """One client's state of one room: id -> message, plus every event seq received."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    connected_last_seq: int = 0
    frames: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_seq(self) -> int:
        """The highest seq this client has seen: what it passes as since_seq when it comes back."""
        return max([self.connected_last_seq, *self.seqs])

    def apply_connected(self, data: dict[str, Any]) -> None:
        self.connected_last_seq = max(self.connected_last_seq, int(data["last_seq"]))
        recovering = "recovered" in data
        for message in data["recent_messages"]:
            self.messages[message["id"]] = message
            if recovering:
                self.seqs.append(message["seq"])
        for change in data.get("changes") or []:
            self.messages[change["message"]["id"]] = change["message"]
            self.seqs.append(change["seq"])

    def apply(self, frame: dict[str, Any]) -> int | None:
        """Fold one server frame in; return the event seq it carried (None for other frames)."""
        self.frames.append(frame)
        kind, data = frame["type"], frame["data"]
        if kind == "connected":
            self.apply_connected(data)
            return None
        if kind in ("new_message", "message_sent"):
            message = data["message"]
            self.messages[message["id"]] = message
            self.seqs.append(message["seq"])
            return int(message["seq"])
        if kind == "message_updated" and data.get("seq") is not None:
            self.messages[data["message"]["id"]] = data["message"]
            self.seqs.append(data["seq"])
            return int(data["seq"])
        return None

    def apply_event(self, event: dict[str, Any]) -> None:
        """An event of `GET …/events` is the live frame it stands for (§3)."""
        self.apply({"type": event["type"], "data": event["data"]})

    def ordered(self) -> list[dict[str, Any]]:
        return sorted(self.messages.values(), key=lambda m: m["seq"])


async def follow(client: WsClient, view: View, until_seq: int, timeout: float = 10) -> View:
    """Read and apply frames until the view has seen seq `until_seq` (fail on a refusal)."""
    try:
        async with asyncio.timeout(timeout):
            while view.last_seq < until_seq:
                frame = await client.recv(timeout)
                assert frame["type"] not in REFUSALS, frame
                view.apply(frame)
    except TimeoutError:
        raise AssertionError(f"reached seq {view.last_seq}, not {until_seq}; seqs {view.seqs[-10:]}") from None
    return view


async def open_view(live: LiveServer, room_id: str, user: User, **params: Any) -> tuple[WsClient, View, dict]:
    """A socket and its view, with `connected` applied."""
    client = await live.connect(room_id, user, **params)
    view = View()
    connected = await client.expect("connected")
    view.apply_connected(connected)
    return client, view, connected


async def answer(client: WsClient, *kinds: str, timeout: float = 5) -> tuple[str, dict[str, Any]]:
    """The next frame of one of `kinds` or a refusal, whichever comes first: (type, data)."""
    wanted = set(kinds) | set(REFUSALS)
    async with asyncio.timeout(timeout):
        while True:
            frame = await client.recv(timeout)
            if frame["type"] in wanted:
                return frame["type"], frame["data"]


async def expect_ok(client: WsClient, kind: str, timeout: float = 5) -> dict[str, Any]:
    """The next `kind` frame; a refusal on the way fails the test at once with what it said."""
    got, data = await answer(client, kind, timeout=timeout)
    assert got == kind, (got, data)
    return data


async def ws_send(client: WsClient, content: str, **extra: Any) -> dict[str, Any]:
    """send_message and wait for its message_sent: the message."""
    await client.send("send_message", content=content, **extra)
    return (await expect_ok(client, "message_sent"))["message"]


async def act(client: WsClient, view: View | None, kind: str, **data: Any) -> dict[str, Any]:
    """Send an action frame and return its own answer (message_sent's message for a send, the
    actor's message_updated otherwise), applying every frame read on the way to `view`."""
    client_id = data.setdefault("client_id", f"act-{uuid.uuid4().hex[:12]}")
    await client.send(kind, **data)
    wanted = "message_sent" if kind == "send_message" else "message_updated"
    async with asyncio.timeout(5):
        while True:
            frame = await client.recv()
            assert frame["type"] not in REFUSALS, (kind, data, frame)
            if view is not None:
                view.apply(frame)
            if frame["type"] == wanted and frame["data"].get("client_id") == client_id:
                return dict(frame["data"]["message"] if kind == "send_message" else frame["data"])


async def ws_act(client: WsClient, kind: str, **data: Any) -> dict[str, Any]:
    """An edit/delete/reaction frame and the actor's own message_updated (matched by client_id)."""
    return await act(client, None, kind, **data)


def emoji_path(emoji: str) -> str:
    return urllib.parse.quote(emoji, safe="")


class Rest:
    """The REST routes of §3 for messages, reactions, events and rooms, with one user's token."""

    def __init__(self, live: LiveServer, room_id: str) -> None:
        assert live.http is not None
        self.http = live.http
        self.live = live
        self.room_id = room_id

    def path(self, message_id: str = "", emoji: str | None = None) -> str:
        path = f"/api/rooms/{self.room_id}/messages"
        if message_id:
            path += f"/{message_id}"
        if emoji is not None:
            path += f"/reactions/{emoji_path(emoji)}"
        return path

    async def post(self, user: User, content: str, **extra: Any) -> dict[str, Any]:
        response = await self.http.post(self.path(), json={"content": content, **extra}, headers=user.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def edit(self, user: User, message_id: str, content: Any) -> Any:
        return await self.http.patch(self.path(message_id), json={"content": content}, headers=user.headers)

    async def delete(self, user: User, message_id: str) -> Any:
        return await self.http.delete(self.path(message_id), headers=user.headers)

    async def react(self, user: User, message_id: str, emoji: str) -> Any:
        return await self.http.put(self.path(message_id, emoji), headers=user.headers)

    async def unreact(self, user: User, message_id: str, emoji: str) -> Any:
        return await self.http.delete(self.path(message_id, emoji), headers=user.headers)

    async def messages(self, user: User) -> list[dict[str, Any]]:
        """The whole history, oldest first, paging with after_seq."""
        out: list[dict[str, Any]] = []
        after = 0
        while True:
            params = {"after_seq": after, "limit": 200}
            response = await self.http.get(self.path(), params=params, headers=user.headers)
            assert response.status_code == 200, response.text
            page = response.json()
            out += page["messages"]
            if not page["has_more"] or not page["messages"]:
                return out
            after = page["messages"][-1]["seq"]

    async def state(self, user: User) -> dict[str, dict[str, Any]]:
        return {m["id"]: m for m in await self.messages(user)}

    async def message(self, user: User, message_id: str) -> dict[str, Any]:
        found = [m for m in await self.messages(user) if m["id"] == message_id]
        assert len(found) == 1, message_id
        return found[0]

    async def events(self, user: User, **params: Any) -> Any:
        return await self.http.get(f"/api/rooms/{self.room_id}/events", params=params, headers=user.headers)

    async def all_events(self, user: User, after_seq: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        """Every page of the events feed from `after_seq` until has_more is false."""
        out: list[dict[str, Any]] = []
        after = after_seq
        for _ in range(10_000):
            response = await self.events(user, after_seq=after, limit=limit)
            assert response.status_code == 200, response.text
            page = response.json()
            assert len(page["events"]) <= limit
            out += page["events"]
            if not page["has_more"]:
                return out
            assert page["events"], "has_more with an empty page"
            after = page["events"][-1]["seq"]
        raise AssertionError("the events feed never ended")

    async def last_seq(self, user: User) -> int:
        response = await self.http.get("/api/rooms", headers=user.headers)
        assert response.status_code == 200, response.text
        return int(next(r for r in response.json() if r["id"] == self.room_id)["last_seq"])


def strip(messages: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in messages}


def reactions_of(message: dict[str, Any]) -> list[tuple[str, int, set[str]]]:
    """`reactions` as comparable tuples: emoji order kept, user_ids as a set."""
    return [(r["emoji"], r["count"], set(r["user_ids"])) for r in message["reactions"]]
