"""Two people chat in two browsers against a real `roomcast serve`, across a server restart."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess

StartServer = Callable[..., ServerProcess]

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
TIMEOUT = 15_000


async def register(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "/register")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)


async def send(page: Any, text: str) -> None:
    composer = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.fill(text)
    await composer.press("Enter")


def message(page: Any, text: str) -> Any:
    return page.locator(".messages .message .message__text", has_text=re.compile(f"^{re.escape(text)}$"))


# The list is virtualised: only rows near the viewport are in the page. This reads every loaded
# message's text, in seq order, by scrolling the list through from top to bottom.
ALL_LOADED_TEXTS = """async (el) => {
  const seen = new Map();
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  const collect = () => {
    for (const row of el.querySelectorAll(".message[data-seq]")) {
      const text = row.querySelector(".message__text");
      if (text) seen.set(Number(row.dataset.seq), text.innerText);
    }
  };
  await new Promise((r) => setTimeout(r, 300));
  for (let pos = 0, i = 0; i < 5000; i++, pos += Math.max(50, el.clientHeight / 2)) {
    el.scrollTop = pos;
    await frame();
    el.scrollTop = pos;
    await frame();
    collect();
    if (pos + el.clientHeight >= el.scrollHeight - 1) break;
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}"""


async def all_message_texts(page: Any) -> list[str]:
    """Every loaded message's text, top to bottom (not only the rows drawn at the moment)."""
    return list(await page.locator(".messages").evaluate(ALL_LOADED_TEXTS))


async def status_of(page: Any) -> str:
    return str(await page.locator(".room [data-status]").get_attribute("data-status"))


async def expect_visible(locator: Any) -> None:
    await locator.first.wait_for(state="visible", timeout=TIMEOUT)


async def test_two_users_chat_live_and_survive_a_server_restart(
    server: ServerProcess, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = server.base_url
    alice_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    bob_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    alice, bob = await alice_ctx.new_page(), await bob_ctx.new_page()
    errors: list[str] = []
    for page in (alice, bob):
        page.on("pageerror", lambda exc: errors.append(str(exc)))

    await register(alice, base, "alice")
    await register(bob, base, "bob")

    # alice creates a public room; bob finds it and joins
    await alice.get_by_role("link", name="+ New room").click()
    await alice.get_by_label("Name", exact=True).fill("lobby")
    await alice.get_by_label("Description").fill("Where everyone meets")
    await alice.get_by_role("button", name="Create room").click()
    await expect(alice.locator(".pane__title")).to_contain_text("lobby", timeout=TIMEOUT)
    await expect(alice.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)

    await bob.get_by_role("link", name="Browse public rooms").click()
    await bob.get_by_role("button", name="Join lobby").click()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)

    # presence: alice sees bob come online in the member list
    bob_in_alice = alice.locator('.members li[data-username="bob"]')
    await expect(bob_in_alice).to_have_class(re.compile(r"\bis-online\b"), timeout=TIMEOUT)

    # chat both ways
    await send(alice, "hello bob")
    await expect_visible(message(bob, "hello bob"))
    await send(bob, "hi alice!\nsecond line")
    await expect_visible(message(alice, "hi alice!\nsecond line"))
    await expect(alice.locator(".messages .message[data-state]")).to_have_count(0)  # nothing pending

    # a message is text, never HTML
    await send(bob, "<img src=x onerror=alert(1)> <b>bold</b>")
    await expect_visible(message(alice, "<img src=x onerror=alert(1)> <b>bold</b>"))
    assert await alice.locator(".messages img, .messages b").count() == 0

    # typing appears and disappears
    typing = alice.get_by_test_id("typing")
    composer_b = bob.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer_b.press_sequentially("typing somethi", delay=20)
    await expect(typing).to_have_text("bob is typing…", timeout=TIMEOUT)
    await composer_b.fill("")
    await expect(typing).to_have_text("", timeout=TIMEOUT)

    # presence is per person (SPEC §4b): bob leaves the room view and stays online in it
    await bob.get_by_role("link", name="roomcast").click()
    await expect(bob_in_alice).to_have_class(re.compile(r"\bis-online\b"), timeout=TIMEOUT)
    # while bob is elsewhere, the room list shows what he missed, live (room_activity)
    await send(alice, "while you were away")
    await expect_visible(message(alice, "while you were away"))
    lobby_item = bob.locator(".room-item", has_text="lobby")
    await expect(lobby_item.locator(".badge")).to_contain_text("1", timeout=TIMEOUT)
    await expect(lobby_item.locator(".room-item__preview")).to_have_text("alice: while you were away")
    await bob.get_by_role("link", name=re.compile(r"lobby")).click()
    await expect_visible(message(bob, "while you were away"))
    await expect(lobby_item.locator(".badge")).to_have_count(0)
    await expect(bob_in_alice).to_have_class(re.compile(r"\bis-online\b"), timeout=TIMEOUT)
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)

    await alice.screenshot(path=str(artifacts / "room-view.png"))

    # the server restarts in the middle of the conversation
    await asyncio.to_thread(server.stop)
    for page in (alice, bob):
        await expect(page.locator(".room [data-status]")).not_to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(alice.locator(".room .status")).to_contain_text(re.compile("Reconnecting|Connecting"))
    await send(alice, "written while the server was down")
    pending = alice.locator('.messages .message[data-state="pending"]')
    await expect(pending).to_have_count(1)
    await alice.screenshot(path=str(artifacts / "room-view-reconnecting.png"))

    await asyncio.to_thread(server.start)
    # bob (another client) posts over REST right away, before the pages are back
    async with httpx.AsyncClient(base_url=base) as http:
        login = await http.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
        token = login.json()["access_token"]
        rooms = (await http.get("/api/rooms", headers={"Authorization": f"Bearer {token}"})).json()
        posted = await http.post(
            f"/api/rooms/{rooms[0]['id']}/messages",
            json={"content": "sent while you were reconnecting"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert posted.status_code == 201, posted.text

    for page in (alice, bob):
        await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=40_000)
    await expect_visible(message(alice, "sent while you were reconnecting"))
    await expect_visible(message(bob, "written while the server was down"))
    await expect(pending).to_have_count(0, timeout=TIMEOUT)
    await send(bob, "back again")
    await expect_visible(message(alice, "back again"))

    # nothing lost, nothing shown twice
    texts = await alice.locator(".messages .message .message__text").all_inner_texts()
    expected = [
        "hello bob",
        "hi alice!\nsecond line",
        "<img src=x onerror=alert(1)> <b>bold</b>",
        "while you were away",
        "written while the server was down",
        "sent while you were reconnecting",
        "back again",
    ]
    assert sorted(texts) == sorted(expected), texts
    assert texts.index("hello bob") == 0 and texts[-1] == "back again"

    await alice.screenshot(path=str(artifacts / "room-view-after-restart.png"))
    await alice.set_viewport_size({"width": 390, "height": 780})
    await expect(alice.get_by_role("link", name="Back to rooms")).to_be_visible()
    await expect(alice.locator(".sidebar")).to_be_hidden()
    await alice.screenshot(path=str(artifacts / "room-view-phone.png"))
    assert errors == [], errors
    await alice_ctx.close()
    await bob_ctx.close()


async def test_history_pages_rate_limit_countdown_and_member_management(
    start_server: StartServer, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    server = start_server(MESSAGE_RATE_LIMIT="3", RATE_LIMIT_WINDOW="30")
    base = server.base_url
    async with httpx.AsyncClient(base_url=base) as http:
        for name in ("dave", "erin"):
            created = await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
            assert created.status_code == 201
        token = (await http.post("/api/auth/login", json={"username": "dave", "password": PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        room = (await http.post("/api/rooms", json={"name": "archive"}, headers=headers)).json()

    # 120 messages of history, seeded with the rate limit lifted, then back to a limit of 3
    await asyncio.to_thread(server.stop)
    server.env["MESSAGE_RATE_LIMIT"] = "1000"
    await asyncio.to_thread(server.start)
    async with httpx.AsyncClient(base_url=base) as http:
        for i in range(1, 121):
            posted = await http.post(
                f"/api/rooms/{room['id']}/messages", json={"content": f"history {i}"}, headers=headers
            )
            assert posted.status_code == 201, posted.text
    await asyncio.to_thread(server.stop)
    server.env["MESSAGE_RATE_LIMIT"] = "3"
    await asyncio.to_thread(server.start)

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(base + "/login")
    await page.get_by_label("Username").fill("dave")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("link", name=re.compile("archive")).click()
    await expect_visible(message(page, "history 120"))
    assert await message(page, "history 1").count() == 0

    # scrolling up loads older pages until the beginning
    listing = page.locator(".messages")
    for _ in range(10):
        if await message(page, "history 1").count():
            break
        await listing.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        await page.wait_for_timeout(300)
    await expect_visible(message(page, "history 1"))
    await expect(page.locator(".messages__start")).to_be_visible()
    texts = await all_message_texts(page)
    assert texts == [f"history {i}" for i in range(1, 121)]

    # Shift+Enter makes a new line, Enter sends; the 4th message in the window is refused
    composer = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.fill("line one")
    await composer.press("Shift+Enter")
    await composer.press_sequentially("line two")
    await expect(composer).to_have_value("line one\nline two")
    await composer.press("Enter")
    await expect_visible(message(page, "line one\nline two"))
    for text in ("second", "third", "fourth"):
        await send(page, text)
    refused = page.locator('.messages .message[data-state="failed"]')
    await expect(refused).to_contain_text("Rate limit exceeded", timeout=TIMEOUT)
    notice = page.locator(".composer__limit")
    await expect(notice).to_contain_text(re.compile(r"send again in \d+s"))
    first = int(re.search(r"(\d+)s", await notice.inner_text()).group(1))  # type: ignore[union-attr]
    assert 1 <= first <= 30
    await page.wait_for_timeout(2200)
    later = int(re.search(r"(\d+)s", await notice.inner_text()).group(1))  # type: ignore[union-attr]
    assert later < first
    await expect(refused.get_by_role("button", name=re.compile(r"Retry in \d+s"))).to_be_disabled()
    await page.screenshot(path=str(artifacts / "rate-limited.png"))

    # the owner manages members from the member list
    panel = page.locator("#members-panel")
    await panel.get_by_label("Username to add").fill("nobody-here")
    await panel.get_by_role("button", name="Add").click()
    await expect(panel.get_by_role("alert")).to_be_visible()
    await panel.get_by_label("Username to add").fill("erin")
    await panel.get_by_role("button", name="Add").click()
    erin = panel.locator('li[data-username="erin"]')
    await expect(erin).to_be_visible(timeout=TIMEOUT)
    await erin.get_by_role("button", name="Make admin: erin").click()
    await expect(erin.locator(".role")).to_have_text("admin", timeout=TIMEOUT)
    page.once("dialog", lambda dialog: dialog.accept())
    await erin.get_by_role("button", name="Remove erin").click()
    await expect(erin).to_have_count(0, timeout=TIMEOUT)
    await context.close()
