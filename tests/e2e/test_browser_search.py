"""Message search in the web client (issue 15, SPEC §3 `GET /api/search`): `/` or Ctrl+K opens
it, results come as one types, grouped by room with the match marked, and a result opens its
room at that message, far back in the history, with its neighbours loaded on both sides; from
there the room reads on down to the live messages, each once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import TIMEOUT, all_message_texts, message, register, send
from tests.e2e.test_browser_message_actions import action, row_with_text
from tests.e2e.test_browser_user_connection import login_over_rest

pytestmark = pytest.mark.e2e

DISTINCTIVE = "We met by the Zanzibar lighthouse at dawn"
CJK = "昨日は東京タワーに登りました"
BEFORE = [f"before {i}" for i in range(1, 6)]
AFTER = [f"after {i}" for i in range(1, 121)]


def panel(page: Any) -> Any:
    return page.get_by_role("dialog", name="Search messages")


def result(page: Any, text: str) -> Any:
    return panel(page).locator(".search-result", has_text=text)


async def texts_on_screen(page: Any) -> list[str]:
    return list(await page.locator(".messages .message .message__text").all_inner_texts())


async def test_search_opens_an_old_message_in_its_room_with_its_neighbours(
    start_server: Callable[..., ServerProcess], browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    server = start_server(MESSAGE_RATE_LIMIT="1000")
    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await register(page, base, "alice")

    # a room whose distinctive messages are far above its first page: 120 after them, over REST
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        headers = await login_over_rest(http, "alice")
        created = await http.post("/api/rooms", json={"name": "harbour"}, headers=headers)
        assert created.status_code == 201, created.text
        room_id = created.json()["id"]
        for text in [*BEFORE, DISTINCTIVE, CJK, *AFTER]:
            posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": text}, headers=headers)
            assert posted.status_code == 201, posted.text

    await page.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("harbour")).click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(message(page, "after 120")).to_be_visible(timeout=TIMEOUT)
    assert await message(page, DISTINCTIVE).count() == 0, "the message is not in the first page"

    # `/` outside a text field opens the search; Escape closes it and gives the focus back
    listing = page.locator(".messages")
    await listing.focus()
    await page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search messages")
    await expect(box).to_be_focused()
    await expect(box).to_have_value("")  # the `/` opened the panel, it was not typed
    await page.keyboard.press("Escape")
    await expect(panel(page)).to_have_count(0)
    await expect(listing).to_be_focused()

    # fewer than 3 characters: a hint, no request; then results as one types
    await page.keyboard.press("/")
    await box.press_sequentially("za", delay=40)
    await expect(panel(page).get_by_role("status")).to_have_text("Type at least 3 characters.")
    await box.press_sequentially("nzib", delay=40)
    found = result(page, "Zanzibar lighthouse")
    await expect(found).to_have_count(1, timeout=TIMEOUT)
    await expect(found.locator("mark")).to_have_text("Zanzib")  # the match, in the message's own case
    await expect(found.locator(".search-result__sender")).to_have_text("alice")
    await expect(found.locator("time")).to_have_attribute("title", re.compile(r"\d"))  # the full date on hover
    group = panel(page).locator(".search-group", has=page.locator(".search-result", has_text="Zanzibar lighthouse"))
    await expect(group.get_by_role("heading")).to_have_text("harbour")
    # nothing that only looks like a match
    await box.fill("zanzibar harbourmaster")
    await expect(panel(page).get_by_role("status")).to_have_text(re.compile("^No messages match"), timeout=TIMEOUT)
    await box.fill("")
    await box.press_sequentially("zanzib", delay=40)
    await expect(found).to_have_count(1, timeout=TIMEOUT)
    await page.screenshot(path=str(artifacts / "search-results.png"))

    # the result opens the room at the message: highlighted, its neighbours on both sides
    await found.click()
    await expect(panel(page)).to_have_count(0)
    target = row_with_text(page, DISTINCTIVE)
    await expect(target).to_be_visible(timeout=TIMEOUT)
    await expect(target).to_have_attribute("aria-current", "true")
    await expect(target).to_have_class(re.compile(r"\bis-highlighted\b"))
    await expect(target).to_be_in_viewport()
    await expect(target).to_be_focused()
    shown = await texts_on_screen(page)
    at = shown.index(DISTINCTIVE)
    assert shown[:at] == BEFORE, shown[:at]  # the room's beginning, right above it
    assert shown[at + 1 : at + 4] == [CJK, "after 1", "after 2"], shown[at + 1 : at + 4]
    assert "after 120" not in shown, "the window around the message, not the whole room"
    await expect(page.get_by_role("button", name="Jump to newest")).to_be_visible()
    await page.screenshot(path=str(artifacts / "search-jump.png"))

    # scrolling down reads newer pages until the live messages: then the room is live as usual
    for _ in range(20):
        if await page.get_by_role("button", name="Jump to newest").count() == 0:
            break
        await listing.evaluate("el => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); }")
        await page.wait_for_timeout(250)
    await expect(page.get_by_role("button", name="Jump to newest")).to_have_count(0)
    await send(page, "live again")
    await expect(message(page, "live again")).to_be_visible(timeout=TIMEOUT)
    assert await all_message_texts(page) == [*BEFORE, DISTINCTIVE, CJK, *AFTER, "live again"]

    # a reply's quote goes the same way once its original is far above what is loaded
    await listing.evaluate("el => { el.scrollTop = 0; }")  # the list draws only the rows in view
    await expect(row_with_text(page, DISTINCTIVE)).to_be_visible(timeout=TIMEOUT)
    await action(row_with_text(page, DISTINCTIVE), "Reply")
    await send(page, "replying to the old one")
    reply = row_with_text(page, "replying to the old one")
    await expect(reply).to_be_visible(timeout=TIMEOUT)
    await page.reload()
    await expect(reply).to_be_visible(timeout=TIMEOUT)
    assert await message(page, DISTINCTIVE).count() == 0
    await reply.get_by_role("button", name="Show the original message").click()
    await expect(row_with_text(page, DISTINCTIVE)).to_have_attribute("aria-current", "true", timeout=TIMEOUT)
    await expect(row_with_text(page, DISTINCTIVE)).to_be_in_viewport()

    # Ctrl+K from the composer; CJK found inside a word; arrows and Enter open a result
    await page.get_by_role("textbox", name=re.compile(r"^Message #")).focus()
    await page.keyboard.press("Control+k")
    await expect(box).to_be_focused()
    await box.fill("タワー")
    cjk = result(page, "東京タワー")
    await expect(cjk).to_have_count(1, timeout=TIMEOUT)
    await expect(cjk.locator("mark")).to_have_text("タワー")
    await box.press("ArrowDown")
    await expect(cjk).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(panel(page)).to_have_count(0)
    await expect(row_with_text(page, CJK)).to_have_attribute("aria-current", "true", timeout=TIMEOUT)
    await expect(row_with_text(page, CJK)).to_be_in_viewport()

    assert errors == [], errors
    await context.close()


async def test_search_on_a_phone(server: ServerProcess, browser: Any, artifacts: Path) -> None:
    """No sidebar beside a room on a phone: the room's header has the search, which fills the screen."""
    from playwright.async_api import expect

    base = server.base_url
    context = await browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await register(page, base, "bob")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        headers = await login_over_rest(http, "bob")
        created = await http.post("/api/rooms", json={"name": "pocket"}, headers=headers)
        room_id = created.json()["id"]
        for text in ("first words", CJK, "last words"):
            posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": text}, headers=headers)
            assert posted.status_code == 201, posted.text

    await page.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("pocket")).click()
    await expect(message(page, "last words")).to_be_visible(timeout=TIMEOUT)
    await page.locator(".pane__header").get_by_role("button", name="Search messages").tap()
    dialog = panel(page)
    await expect(dialog).to_be_visible()
    size = await dialog.evaluate("el => [el.getBoundingClientRect().width, el.getBoundingClientRect().height]")
    assert size == [390, 800], size
    await page.get_by_role("searchbox", name="Search messages").fill("タワー")
    cjk = result(page, "東京タワー")
    await expect(cjk.locator("mark")).to_have_text("タワー", timeout=TIMEOUT)
    await page.screenshot(path=str(artifacts / "search-phone.png"))
    await cjk.tap()
    await expect(dialog).to_have_count(0)
    await expect(row_with_text(page, CJK)).to_have_attribute("aria-current", "true", timeout=TIMEOUT)
    assert errors == [], errors
    await context.close()
