"""The REST routes (SPEC §3) the client needs besides its socket, with the current token.

A 401 renews the token once and tries again; a room the user may not see (403, 404) is
`NotAParticipant`.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from roomcast.client.errors import AuthenticationFailed, ConnectionFailed, NotAParticipant
from roomcast.client.events import LogEvent
from roomcast.client.frames import log_event
from roomcast.client.records import Message, Room, User
from roomcast.client.tokens import Tokens, check_response

EVENTS_PAGE = 200


@dataclass(frozen=True, slots=True)
class EventsPage:
    events: tuple[LogEvent, ...]
    has_more: bool
    last_seq: int


class Rest:
    def __init__(self, http: httpx.AsyncClient, tokens: Tokens) -> None:
        self._http = http
        self._tokens = tokens

    async def request(self, method: str, path: str, room_id: str | None = None, **kwargs: Any) -> Any:
        token = await self._tokens.current()
        for attempt in range(2):
            try:
                response = await self._http.request(
                    method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
                )
            except httpx.TransportError as exc:
                raise ConnectionFailed(f"{method} {path}: {exc!r}") from exc
            if response.status_code == 401 and attempt == 0 and self._tokens.can_renew:
                token = await self._tokens.renew(stale=token)
                continue
            if room_id is not None and response.status_code in (403, 404):
                raise NotAParticipant(room_id)
            return check_response(response)
        raise AuthenticationFailed("token refused after renewal")  # pragma: no cover - loop returns

    async def me(self) -> User:
        return User.from_json(await self.request("GET", "/api/users/me"))

    async def rooms(self) -> list[Room]:
        return [Room.from_json(r) for r in await self.request("GET", "/api/rooms")]

    async def create_room(
        self, name: str, *, description: str = "", is_private: bool = False, members: tuple[str, ...] = ()
    ) -> Room:
        body = {"name": name, "description": description, "is_private": is_private, "members": list(members)}
        return Room.from_json(await self.request("POST", "/api/rooms", json=body))

    async def join(self, room_id: str) -> None:
        await self.request("POST", f"/api/rooms/{_quote(room_id)}/join", room_id)

    async def leave(self, room_id: str) -> None:
        await self.request("POST", f"/api/rooms/{_quote(room_id)}/leave", room_id)

    async def history(self, room_id: str, *, limit: int = 50, before_seq: int | None = None) -> list[Message]:
        params: dict[str, int] = {"limit": limit}
        if before_seq is not None:
            params["before_seq"] = before_seq
        page = await self.request("GET", f"/api/rooms/{_quote(room_id)}/messages", room_id, params=params)
        return [Message.from_json(m) for m in page["messages"]]

    async def events(self, room_id: str, after_seq: int, limit: int = EVENTS_PAGE) -> EventsPage:
        params = {"after_seq": after_seq, "limit": limit}
        page = await self.request("GET", f"/api/rooms/{_quote(room_id)}/events", room_id, params=params)
        events = [log_event(e["type"], e["data"]) for e in page["events"]]
        return EventsPage(tuple(e for e in events if e is not None), bool(page["has_more"]), int(page["last_seq"]))


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")
