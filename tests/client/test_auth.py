"""Credentials and tokens: a login, a token, a token provider; renewal before expiry keeps the
connection; what cannot be renewed stops with AuthenticationFailed; rate limits raise RateLimited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from roomcast.client import AuthenticationFailed, Client, NewMessage, RateLimited
from tests.client.conftest import client_for, next_event
from tests.conftest import LiveServer


async def test_bad_credentials(live: LiveServer) -> None:
    user = await live.user()
    with pytest.raises(AuthenticationFailed):
        await client_for(live, user, password="not the password").open()
    with pytest.raises(AuthenticationFailed) as refused:
        await client_for(live, token="not-a-token").open()
    assert refused.value.reason == "invalid token"
    with pytest.raises(ValueError):
        Client(live.base_url)  # no credentials at all


async def test_a_token_and_a_token_provider(live: LiveServer, open_clients: list[Client]) -> None:
    user = await live.user()
    by_token = client_for(live, token=user.token)
    open_clients.append(by_token)
    await by_token.open()
    assert by_token.user.id == user.id

    calls: list[str] = []

    async def provider() -> str:
        calls.append("called")
        return user.token

    by_provider = client_for(live, token_provider=provider)
    open_clients.append(by_provider)
    await by_provider.open()
    assert by_provider.user.id == user.id and calls == ["called"]

    async def bad_provider() -> str:
        calls.append("bad")
        return "still-not-a-token"

    # Refused (1008 invalid token): one renewal through the provider, refused again: stop.
    calls.clear()
    with pytest.raises(AuthenticationFailed):
        await client_for(live, token="expired-or-bad", token_provider=bad_provider).open()
    assert calls == ["bad"]


async def test_renewal_before_expiry_keeps_the_connection(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(ACCESS_TOKEN_TTL=6)
    alice, bob = await live.user(), await live.user()
    room_id = (await live.room(alice, bob))["id"]
    client = client_for(live, alice)  # username and password: renewed with the refresh token
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id)
    await asyncio.sleep(8)  # past the first token's expiry
    bob.token = (await live.services.sessions.do_start(uuid.UUID(bob.id), bob.username)).access_token
    assert (await live.post(bob, room_id, "still there?")).status_code == 201
    assert (await next_event(sub, NewMessage)).message.content == "still there?"
    assert (await sub.send("yes")).content == "yes"
    assert client.sockets_opened == 1  # renewed in-band: never reconnected


async def test_a_token_that_cannot_be_renewed_stops_at_expiry(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(ACCESS_TOKEN_TTL=2)
    alice = await live.user()
    room_id = (await live.room(alice))["id"]
    client = client_for(live, token=alice.token)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id)
    with pytest.raises(AuthenticationFailed) as stopped:
        await next_event(sub, NewMessage, timeout=15)
    assert stopped.value.reason == "token expired"
    with pytest.raises(AuthenticationFailed):
        await client.subscribe(room_id)


async def test_rate_limited_sends(
    start_server: Callable[..., Awaitable[LiveServer]], open_clients: list[Client]
) -> None:
    live = await start_server(MESSAGE_RATE_LIMIT=2, RATE_LIMIT_WINDOW=30)
    alice = await live.user()
    room_id = (await live.room(alice))["id"]
    client = client_for(live, alice)
    open_clients.append(client)
    await client.open()
    sub = await client.subscribe(room_id)
    await sub.send("one")
    await sub.send("two")
    with pytest.raises(RateLimited) as limited:
        await sub.send("three")
    assert 1 <= limited.value.retry_after <= 30
    page = await sub.history()
    assert [m.content for m in page] == ["one", "two"]
