"""SPEC §4b in the browser: one WebSocket per tab (`/ws`) for every room. Badges, the tab title
and read state follow live without a reload, rooms appear as they are shared, a direct message
starts from "New message", and a server restart re-subscribes the open room with its since_seq."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT, expect_visible, message

pytestmark = pytest.mark.e2e


async def register(page: Any, base_url: str, username: str, display_name: str) -> None:
    await page.goto(base_url + "/register")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Display name").fill(display_name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)


@dataclass
class AliceAndBob:
    """Two registered users, each in a browser context of their own; page errors and Bob's
    WebSockets are recorded."""

    alice: Any
    bob: Any
    contexts: list[Any]
    errors: list[str] = field(default_factory=list)
    bob_sockets: list[str] = field(default_factory=list)

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def alice_and_bob(browser: Any, base_url: str) -> AliceAndBob:
    contexts = [await browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2)]
    pair = AliceAndBob(await contexts[0].new_page(), await contexts[1].new_page(), contexts)
    for page in (pair.alice, pair.bob):
        page.on("pageerror", lambda exc: pair.errors.append(str(exc)))
    pair.bob.on("websocket", lambda ws: pair.bob_sockets.append(ws.url))
    await register(pair.alice, base_url, "alice", "Alice Liddell")
    await register(pair.bob, base_url, "bob", "Bob Builder")
    return pair


async def login_over_rest(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def send(page: Any, to: str, text: str) -> None:
    composer = page.get_by_role("textbox", name=f"Message {to}")
    await composer.fill(text)
    await composer.press("Enter")


def room_item(page: Any, section: str, name: str) -> Any:
    return page.get_by_role("navigation", name=section).locator(".room-item", has_text=name)


def socket_paths(urls: list[str]) -> list[str]:
    return [urlsplit(url).path for url in urls]


async def test_badges_dms_and_recovery_on_one_socket(server: ServerProcess, browser: Any, artifacts: Path) -> None:
    from playwright.async_api import expect

    base = server.base_url
    pair = await alice_and_bob(browser, base)
    alice, bob, errors, bob_sockets = pair.alice, pair.bob, pair.errors, pair.bob_sockets

    # alice shares two rooms with bob: they appear in his sidebar as they are created
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        ids = {}
        for name in ("alpha", "beta"):
            created = await http.post("/api/rooms", json={"name": name, "members": ["bob"]}, headers=alice_api)
            assert created.status_code == 201, created.text
            ids[name] = created.json()["id"]
    alpha_at_bob = room_item(bob, "Your rooms", "alpha")
    beta_at_bob = room_item(bob, "Your rooms", "beta")
    await expect(beta_at_bob).to_be_visible(timeout=TIMEOUT)

    # bob reads alpha; alice writes in beta: bob's badge and tab title follow without a reload
    await alpha_at_bob.click()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await alice.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("beta")).click()
    await expect(alice.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await send(alice, "#beta", "news in beta")
    await expect_visible(message(alice, "news in beta"))
    await expect(beta_at_bob.locator(".badge")).to_contain_text("1", timeout=TIMEOUT)
    await expect(beta_at_bob.locator(".room-item__preview")).to_have_text("alice: news in beta")
    await expect(bob).to_have_title("(1) alpha · roomcast")
    await expect(alpha_at_bob.locator(".badge")).to_have_count(0)
    # a mention gets its own badge
    await send(alice, "#beta", "@bob are you there?")
    await expect(beta_at_bob.locator(".badge")).to_contain_text("2", timeout=TIMEOUT)
    await expect(beta_at_bob.locator(".mention-badge")).to_be_visible()
    await bob.screenshot(path=str(artifacts / "user-connection-badges.png"))

    # bob opens beta: read there, the badge is gone, for good (the server's read_marker)
    await beta_at_bob.click()
    await expect_visible(message(bob, "news in beta"))
    await expect(beta_at_bob.locator(".badge")).to_have_count(0)
    await expect(bob).to_have_title("beta · roomcast", timeout=TIMEOUT)
    await alpha_at_bob.click()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await bob.wait_for_timeout(1500)  # past room_activity's one-a-second coalescing
    await expect(beta_at_bob.locator(".badge")).to_have_count(0)
    await expect(beta_at_bob.locator(".mention-badge")).to_have_count(0)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        bob_api = await login_over_rest(http, "bob")
        listed = {r["id"]: r for r in (await http.get("/api/rooms", headers=bob_api)).json()}
        assert (listed[ids["beta"]]["unread_count"], listed[ids["beta"]]["mention_count"]) == (0, 0)

    # a direct message: alice finds bob with "New message" and writes to him
    dms_at_alice = alice.get_by_role("navigation", name="Direct messages")
    await dms_at_alice.get_by_role("button", name="New message").click()
    dialog = alice.get_by_role("dialog", name="New message")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("To").fill("bo")
    pick = dialog.get_by_role("button", name="Message Bob Builder @bob")
    await expect(pick).to_be_visible(timeout=TIMEOUT)
    await alice.screenshot(path=str(artifacts / "user-connection-new-message.png"))
    await pick.click()
    await expect(dialog).to_have_count(0)
    await expect(alice.locator(".pane__title")).to_contain_text("Bob Builder", timeout=TIMEOUT)
    await expect(alice.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await send(alice, "Bob Builder", "psst, bob")
    await expect_visible(message(alice, "psst, bob"))

    # bob sees the conversation appear, named after alice, with a badge; he opens it and answers
    dm_at_bob = room_item(bob, "Direct messages", "Alice Liddell")
    await expect(dm_at_bob.locator(".badge")).to_contain_text("1", timeout=TIMEOUT)
    await expect(room_item(alice, "Direct messages", "Bob Builder")).to_be_visible()
    await dm_at_bob.click()
    await expect_visible(message(bob, "psst, bob"))
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await send(bob, "Alice Liddell", "hi alice, got it")
    await expect_visible(message(alice, "hi alice, got it"))
    await expect(dm_at_bob.locator(".badge")).to_have_count(0)
    await bob.screenshot(path=str(artifacts / "user-connection-dm.png"))

    # All of it (two rooms, switching three times, a DM) on one socket, the user connection.
    assert socket_paths(bob_sockets) == ["/ws"], bob_sockets

    # the server restarts; a message is sent before bob's page is back: re-subscribing recovers it
    await asyncio.to_thread(server.stop)
    await expect(bob.locator(".room [data-status]")).not_to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        dm_id = re.search(r"/rooms/([^/?#]+)", bob.url).group(1)  # type: ignore[union-attr]
        for room_id, text in ((dm_id, "sent while you were away"), (ids["alpha"], "alpha while away")):
            posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": text}, headers=alice_api)
            assert posted.status_code == 201, posted.text
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=40_000)
    await expect_visible(message(bob, "sent while you were away"))
    await expect(alpha_at_bob.locator(".badge")).to_contain_text("1", timeout=TIMEOUT)
    texts = await bob.locator(".messages .message .message__text").all_inner_texts()
    assert texts == ["psst, bob", "hi alice, got it", "sent while you were away"], texts
    assert set(socket_paths(bob_sockets)) == {"/ws"}, bob_sockets

    assert errors == [], errors
    await pair.close()
