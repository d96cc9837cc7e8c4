"""A browser session outlives its access tokens (SPEC §3 sessions): the web client renews them
with the refresh token and hands each new one to its open socket (`auth`), across a reload;
a session ended elsewhere sends it back to the login screen with the draft kept."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import all_message_texts

StartServer = Callable[..., ServerProcess]

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a whole new passphrase"
TIMEOUT = 15_000
ACCESS_TOKEN_TTL = 6


async def register(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "/register")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)


async def create_room(page: Any, name: str) -> str:
    from playwright.async_api import expect

    await page.get_by_role("link", name="+ New room").click()
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_role("button", name="Create room").click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    match = re.search(r"/rooms/([^/?#]+)", page.url)
    assert match, page.url
    return match.group(1)


async def send(page: Any, text: str) -> None:
    composer = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.fill(text)
    await composer.press("Enter")


def message(page: Any, text: str) -> Any:
    return page.locator(".messages .message .message__text", has_text=re.compile(f"^{re.escape(text)}$"))


async def login_over_rest(http: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_browser_session_outlives_several_access_token_lifetimes(
    start_server: StartServer, browser: Any
) -> None:
    from playwright.async_api import expect

    server = start_server(ACCESS_TOKEN_TTL=str(ACCESS_TOKEN_TTL), MESSAGE_RATE_LIMIT="1000")
    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    renewals: list[int] = []
    sockets: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: renewals.append(r.status) if r.url.endswith("/api/auth/refresh") else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))

    await register(page, base, "alice")
    room_id = await create_room(page, "marathon")
    status = page.locator(".room [data-status]")

    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        created = await http.post("/api/auth/register", json={"username": "bob", "password": PASSWORD})
        assert created.status_code == 201, created.text
        bob = await login_over_rest(http, "bob")
        assert (await http.post(f"/api/rooms/{room_id}/join", headers=bob)).status_code == 200

        # Four access-token lifetimes: every two seconds alice writes and reads, live, no login.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 4 * ACCESS_TOKEN_TTL
        round_ = 0
        while loop.time() < deadline:
            round_ += 1
            await send(page, f"alice says {round_}")
            await expect(message(page, f"alice says {round_}")).to_be_visible(timeout=TIMEOUT)
            bob = await login_over_rest(http, "bob")  # bob is a plain REST client: a fresh login each time
            posted = await http.post(
                f"/api/rooms/{room_id}/messages", json={"content": f"bob says {round_}"}, headers=bob
            )
            assert posted.status_code == 201, posted.text
            await expect(message(page, f"bob says {round_}")).to_be_visible(timeout=TIMEOUT)
            await expect(status).to_have_attribute("data-status", "live")
            await expect(page.get_by_role("heading", name="Log in")).to_have_count(0)
            await page.wait_for_timeout(2000)

    assert len(renewals) >= 4 and set(renewals) == {200}, renewals
    # The socket was never replaced: each renewed token reached it in an `auth` frame.
    assert len(sockets) == 1, sockets
    assert await page.locator('.messages .message[data-state="failed"]').count() == 0

    # A reload, after the access token it stored has expired: still signed in, no password.
    await page.wait_for_timeout((ACCESS_TOKEN_TTL + 1) * 1000)
    await page.reload()
    await expect(status).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(page.locator(".messages .message[data-seq]").first).to_be_visible(timeout=TIMEOUT)
    assert "bob says 1" in await all_message_texts(page)  # the history is back (the list draws only what is in view)
    await send(page, "after the reload")
    await expect(message(page, "after the reload")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator('.messages .message[data-state="pending"]')).to_have_count(0, timeout=TIMEOUT)
    await expect(page.get_by_role("heading", name="Log in")).to_have_count(0)
    assert errors == [], errors
    await context.close()


async def test_logging_out_ends_the_session_on_the_server(start_server: StartServer, browser: Any) -> None:
    from playwright.async_api import expect

    server = start_server()
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await register(page, server.base_url, "dora")
    await create_room(page, "leaving")
    stored = await page.evaluate("JSON.parse(localStorage.getItem('roomcast.session'))")
    assert stored["refreshToken"]
    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=TIMEOUT)
    assert await page.evaluate("localStorage.getItem('roomcast.session')") is None
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        headers = {"Authorization": f"Bearer {stored['token']}"}
        for _ in range(50):  # the logout request runs after the screen changed
            if (await http.get("/api/users/me", headers=headers)).status_code == 401:
                break
            await asyncio.sleep(0.1)
        assert (await http.get("/api/users/me", headers=headers)).status_code == 401
        refreshed = await http.post("/api/auth/refresh", json={"refresh_token": stored["refreshToken"]})
        assert refreshed.status_code == 401
    await context.close()


async def test_a_session_ended_elsewhere_goes_back_to_login_and_keeps_the_draft(
    start_server: StartServer, browser: Any
) -> None:
    from playwright.async_api import expect

    server = start_server()
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await register(page, server.base_url, "carol")
    await create_room(page, "drafts")
    composer = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.fill("a draft I do not want to lose")

    # On another device carol changes her password: every other session is logged out.
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
        headers = await login_over_rest(http, "carol")
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        changed = await http.post("/api/users/me/password", json=body, headers=headers)
        assert changed.status_code == 204, changed.text

    # The browser learns it at once: the server closes its socket with 1008 `logged out`.
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible(timeout=TIMEOUT)
    await expect(page.get_by_role("status")).to_contain_text("session expired")
    await page.get_by_label("Username").fill("carol")
    await page.get_by_label("Password").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(composer).to_have_value("a draft I do not want to lose")
    await composer.press("Enter")
    await expect(message(page, "a draft I do not want to lose")).to_be_visible(timeout=TIMEOUT)
    await context.close()
