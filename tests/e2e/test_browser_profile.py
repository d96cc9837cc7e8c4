"""The user's own account in the browser (SPEC §3 `PATCH /api/users/me`, `POST
/api/users/me/password`) and the mentions inbox (`GET /api/notifications`): a new display name
reaches a peer live; a password change refuses a wrong current password, and afterwards the old
password no longer logs in and the new one does; a mention shows up in the inbox live and opens
the room at that message."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT, expect_visible, message
from tests.e2e.test_browser_user_connection import alice_and_bob, login_over_rest

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "a brand new passphrase"


async def open_room(page: Any, name: str) -> None:
    from playwright.async_api import expect

    await page.get_by_role("navigation", name="Your rooms").locator(".room-item", has_text=name).click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)


async def test_display_name_and_password_change(server: ServerProcess, browser: Any, artifacts: Path) -> None:
    from playwright.async_api import expect

    base = server.base_url
    pair = await alice_and_bob(browser, base)
    alice, bob = pair.alice, pair.bob
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        created = await http.post(
            "/api/rooms", json={"name": "club", "members": ["bob"]}, headers=await login_over_rest(http, "alice")
        )
        assert created.status_code == 201, created.text
    await open_room(bob, "club")
    alice_at_bob = bob.locator('#members-panel li[data-username="alice"]')
    await expect(alice_at_bob).to_contain_text("Alice Liddell", timeout=TIMEOUT)

    # alice renames herself on her profile page; bob sees it live, without a reload
    await alice.get_by_role("link", name=re.compile("your profile")).click()
    await expect(alice.get_by_role("heading", name="Your profile")).to_be_visible()
    name = alice.get_by_role("textbox", name="Display name")
    await expect(name).to_have_value("Alice Liddell")
    await name.fill("Alice Cooper")
    await alice.get_by_role("button", name="Save name").click()
    await expect(alice.get_by_role("status").filter(has_text="Saved")).to_be_visible(timeout=TIMEOUT)
    await expect(alice.locator(".sidebar__name")).to_have_text("Alice Cooper")
    await expect(alice_at_bob).to_contain_text("Alice Cooper", timeout=TIMEOUT)

    # a wrong current password is refused and said so; the right one changes it
    await alice.get_by_label("Current password", exact=True).fill("not my password")
    await alice.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await alice.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    await alice.get_by_role("button", name="Change password").click()
    await expect(alice.get_by_role("alert")).to_have_text("The current password is wrong.", timeout=TIMEOUT)
    await alice.get_by_label("Current password", exact=True).fill(PASSWORD)
    await alice.get_by_role("button", name="Change password").click()
    await expect(alice.get_by_role("status").filter(has_text="Password changed")).to_be_visible(timeout=TIMEOUT)
    await alice.screenshot(path=str(artifacts / "profile.png"))

    # the old password no longer logs in, the new one does
    await alice.get_by_role("button", name="Log out").click()
    await alice.get_by_label("Username").fill("alice")
    await alice.get_by_label("Password").fill(PASSWORD)
    await alice.get_by_role("button", name="Log in").click()
    await expect(alice.get_by_role("alert")).to_have_text("Wrong username or password.", timeout=TIMEOUT)
    await alice.get_by_label("Password").fill(NEW_PASSWORD)
    await alice.get_by_role("button", name="Log in").click()
    await expect(alice.get_by_role("navigation", name="Your rooms")).to_be_visible(timeout=TIMEOUT)
    await expect(alice.locator(".sidebar__name")).to_have_text("Alice Cooper")
    assert pair.errors == [], pair.errors
    await pair.close()


async def test_mentions_inbox_is_live_and_opens_the_message(
    start_server: Callable[..., ServerProcess], browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = start_server(MESSAGE_RATE_LIMIT="1000").base_url
    pair = await alice_and_bob(browser, base)
    bob = pair.bob
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        room = (await http.post("/api/rooms", json={"name": "club", "members": ["bob"]}, headers=alice_api)).json()
        for i in range(1, 61):  # the mention will be far from the newest messages
            await http.post(f"/api/rooms/{room['id']}/messages", json={"content": f"filler {i}"}, headers=alice_api)

    await bob.get_by_role("link", name=re.compile("^Mentions")).click()
    await expect(bob.get_by_role("heading", name="Mentions")).to_be_visible()
    await expect(bob.locator(".mentions")).to_contain_text("Nobody has mentioned you yet", timeout=TIMEOUT)

    # alice names bob: the inbox shows it while open, with the room and the text
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        posted = await http.post(
            f"/api/rooms/{room['id']}/messages", json={"content": "@bob have a look at this"}, headers=alice_api
        )
        assert posted.status_code == 201, posted.text
        mention_seq = posted.json()["seq"]
        for i in range(61, 121):
            await http.post(f"/api/rooms/{room['id']}/messages", json={"content": f"filler {i}"}, headers=alice_api)
    entry = bob.get_by_role("list", name="Your mentions").get_by_role("listitem")
    await expect(entry).to_have_count(1, timeout=TIMEOUT)
    await expect(entry).to_contain_text("alice mentioned you in #club", timeout=TIMEOUT)
    await expect(entry).to_contain_text("@bob have a look at this")
    await expect(entry).to_contain_text("Unread")
    await expect(bob.get_by_role("link", name=re.compile("^Mentions"))).to_contain_text("1")
    await bob.screenshot(path=str(artifacts / "mentions-inbox.png"))

    # opening it shows the room at that message, 60 messages back from the newest
    await entry.get_by_role("link").click()
    await expect(bob).to_have_url(re.compile(f"/rooms/{room['id']}"), timeout=TIMEOUT)
    await expect_visible(message(bob, "@bob have a look at this"))
    await expect(bob.locator(f'.messages [data-seq="{mention_seq}"]').first).to_be_in_viewport(timeout=TIMEOUT)

    # back in the inbox, it is read
    await bob.get_by_role("link", name=re.compile("^Mentions")).click()
    await expect(entry).to_have_count(1, timeout=TIMEOUT)
    await expect(entry).not_to_contain_text("Unread", timeout=TIMEOUT)
    assert pair.errors == [], pair.errors
    await pair.close()
