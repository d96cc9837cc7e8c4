"""Login and registration limits (SPEC §2, §7) over real HTTP, on servers started with low limits.

Failed logins are limited per username and per client address, registrations per address;
429 with Retry-After, even for the right password; only failures count. The client address is
the socket peer unless TRUSTED_PROXIES vouches for its X-Forwarded-For. On the Redis backend the
windows are shared, so the limit holds across instances.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, LiveServer
from tests.contract.env import flush, redis_url

StartServer = Callable[..., Awaitable[LiveServer]]
WRONG = "not the password"


async def attempt(live: LiveServer, username: str, password: str, forwarded: str | None = None) -> httpx.Response:
    assert live.http is not None
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await live.http.post("/api/auth/login", json={"username": username, "password": password}, headers=headers)


async def register(live: LiveServer, username: str, forwarded: str | None = None) -> httpx.Response:
    assert live.http is not None
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"username": username, "password": PASSWORD}
    return await live.http.post("/api/auth/register", json=body, headers=headers)


def assert_limited(response: httpx.Response, window: int) -> None:
    assert response.status_code == 429, response.text
    assert isinstance(response.json()["detail"], str)
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= window, retry_after


async def test_twenty_wrong_passwords_meet_429_and_then_the_right_one_too(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="5/300")
    user = await live.user()
    statuses = []
    for _ in range(20):
        response = await attempt(live, user.username, WRONG)
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429] * 15
    assert_limited(response, 300)
    assert "Too many failed logins" in response.json()["detail"]
    right = await attempt(live, user.username, PASSWORD)
    assert_limited(right, 300)
    # The OAuth2 form is the same door.
    assert live.http is not None
    form = await live.http.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert_limited(form, 300)


async def test_only_failures_count(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="3/60")
    user = await live.user()
    assert [(await attempt(live, user.username, WRONG)).status_code for _ in range(2)] == [401, 401]
    for _ in range(10):  # successes give their place back
        assert (await attempt(live, user.username, PASSWORD)).status_code == 200
    assert (await attempt(live, user.username, WRONG)).status_code == 401
    assert_limited(await attempt(live, user.username, PASSWORD), 60)


async def test_a_429_counts_as_nothing(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="2/3")
    user = await live.user()
    loop = asyncio.get_running_loop()
    first_failure = loop.time()
    assert [(await attempt(live, user.username, WRONG)).status_code for _ in range(2)] == [401, 401]
    last_failure = loop.time()
    # Hammering while limited does not push the window: 3 s after the failures, it is open.
    # (Until 2.5 s after the first one the window is closed however slow the hashing was.)
    while loop.time() < first_failure + 2.5:
        assert (await attempt(live, user.username, WRONG)).status_code == 429
        await asyncio.sleep(0.1)
    await asyncio.sleep(last_failure + 3.3 - loop.time())
    assert (await attempt(live, user.username, PASSWORD)).status_code == 200


async def test_the_address_limit_holds_across_usernames(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="3/60")
    users = [await live.user() for _ in range(5)]
    statuses = [(await attempt(live, user.username, WRONG)).status_code for user in users[:3]]
    assert statuses == [401, 401, 401]
    assert_limited(await attempt(live, users[3].username, WRONG), 60)
    assert_limited(await attempt(live, users[4].username, PASSWORD), 60)
    assert_limited(await attempt(live, "nobody-at-all", WRONG), 60)


async def test_the_username_limit_holds_across_addresses(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="3/60", TRUSTED_PROXIES="127.0.0.1")
    user = await live.user()
    for n in range(3):
        assert (await attempt(live, user.username, WRONG, forwarded=f"198.51.100.{n}")).status_code == 401
    assert_limited(await attempt(live, user.username, PASSWORD, forwarded="198.51.100.77"), 60)
    # The same name in another case is the same account, and the same window.
    assert_limited(await attempt(live, user.username.upper(), PASSWORD, forwarded="198.51.100.78"), 60)
    # Someone else, from another address, is not affected.
    other = await live.user()
    assert (await attempt(live, other.username, PASSWORD, forwarded="198.51.100.79")).status_code == 200


async def test_a_wrong_current_password_counts_as_a_failed_login(start_server: StartServer) -> None:
    live = await start_server(LOGIN_RATE_LIMIT="3/60")
    assert live.http is not None
    user = await live.user()
    body = {"current_password": WRONG, "new_password": "another passphrase"}
    statuses = []
    for _ in range(4):
        response = await live.http.post("/api/users/me/password", json=body, headers=user.headers)
        statuses.append(response.status_code)
    assert statuses == [403, 403, 403, 429]
    assert_limited(response, 60)
    assert_limited(await attempt(live, user.username, PASSWORD), 60)


async def test_registrations_are_limited_per_address(start_server: StartServer) -> None:
    live = await start_server(REGISTER_RATE_LIMIT="3/60")
    assert [(await register(live, f"newcomer{n}")).status_code for n in range(3)] == [201, 201, 201]
    response = await register(live, "newcomer3")
    assert_limited(response, 60)
    assert "Too many registrations" in response.json()["detail"]
    assert (await attempt(live, "newcomer0", PASSWORD)).status_code == 200  # logins are another window


async def test_x_forwarded_for_is_ignored_unless_the_peer_is_trusted(start_server: StartServer) -> None:
    live = await start_server(REGISTER_RATE_LIMIT="2/60")
    assert (await register(live, "spoof0", forwarded="203.0.113.1")).status_code == 201
    assert (await register(live, "spoof1", forwarded="203.0.113.2")).status_code == 201
    assert_limited(await register(live, "spoof2", forwarded="203.0.113.3"), 60)


async def test_a_trusted_proxy_is_believed_for_the_rightmost_hop_only(start_server: StartServer) -> None:
    live = await start_server(REGISTER_RATE_LIMIT="2/60", TRUSTED_PROXIES="127.0.0.1,10.0.0.0/8")
    # Behind two proxies of ours: the client is the hop before them, whatever it wrote itself.
    for n, spoof in enumerate(["1.1.1.1", "2.2.2.2"]):
        assert (await register(live, f"behind{n}", forwarded=f"{spoof}, 203.0.113.9, 10.0.0.5")).status_code == 201
    assert_limited(await register(live, "behind2", forwarded="3.3.3.3, 203.0.113.9, 10.0.0.5"), 60)
    # Another client through the same proxies has its own window.
    assert (await register(live, "behind3", forwarded="203.0.113.10, 10.0.0.5")).status_code == 201


@pytest.mark.redis
async def test_the_login_limit_holds_across_instances_sharing_redis(start_server: StartServer) -> None:

    url = redis_url()
    await flush(url)
    limits: dict[str, Any] = {"REDIS_URL": url, "LOGIN_RATE_LIMIT": "4/60", "REGISTER_RATE_LIMIT": "3/60"}
    first = await start_server(**limits)
    second = await start_server(**limits)
    user = await first.user()
    servers = [first, second, first, second]
    assert [(await attempt(server, user.username, WRONG)).status_code for server in servers] == [401] * 4
    assert_limited(await attempt(first, user.username, PASSWORD), 60)
    assert_limited(await attempt(second, user.username, PASSWORD), 60)
    # Registrations too: the fixture's one above, then one on each instance, then neither.
    assert (await register(first, "across1")).status_code == 201
    assert (await register(second, "across2")).status_code == 201
    assert_limited(await register(first, "across3"), 60)
    assert_limited(await register(second, "across3"), 60)
