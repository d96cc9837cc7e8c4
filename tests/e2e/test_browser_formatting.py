"""Message formatting in the web client: Markdown that is safe, links that open apart, mentions that complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT
from tests.e2e.test_browser_message_actions import row_with_text
from tests.e2e.test_browser_user_connection import login_over_rest

pytestmark = pytest.mark.e2e


async def sign_in(page: Any, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)


async def test_markdown_links_code_and_mention_autocomplete(
    server: ServerProcess, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for name, display in (("alice", "Alice Liddell"), ("bob", "Bob Builder"), ("bobby", "")):
            created = await http.post(
                "/api/auth/register", json={"username": name, "password": PASSWORD, "display_name": display or None}
            )
            assert created.status_code == 201, created.text
        alice = await login_over_rest(http, "alice")
        bob = await login_over_rest(http, "bob")
        room = await http.post("/api/rooms", json={"name": "styles", "members": ["bob", "bobby"]}, headers=alice)
        assert room.status_code == 201, room.text
        room_id = room.json()["id"]
        content = (
            f"**strong words** and *leaning ones*, `inline code`, see [the health page]({base}/health)"
            " and [a trap](javascript:alert(document.domain)) or [another](JaVaScRiPt&#58;alert(1))\n\n"
            "```\nfor (let i = 0; i < 3; i++) { console.log('<b>not bold</b>'); }\n```\n\n"
            "> quoted\n\n- one\n- two"
        )
        posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": content}, headers=bob)
        assert posted.status_code == 201, posted.text

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await sign_in(page, base, "alice")
    await page.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("styles")).click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)

    text = page.locator(".messages .message .message__text").first
    await expect(text.locator("strong")).to_have_text("strong words", timeout=TIMEOUT)
    await expect(text.locator("em")).to_have_text("leaning ones")
    await expect(text.locator("p code")).to_have_text("inline code")
    block = text.locator("pre > code")
    await expect(block).to_contain_text("console.log('<b>not bold</b>')")
    assert await text.locator("b").count() == 0  # HTML inside code is text
    assert "monospace" in await block.evaluate("el => getComputedStyle(el).fontFamily")
    assert await text.locator("pre").evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"  # it wraps
    await expect(text.locator("blockquote")).to_have_text("quoted")
    await expect(text.locator("ul > li")).to_have_text(["one", "two"])

    # javascript: links, however spelled, are text and not links
    links = text.locator("a")
    await expect(links).to_have_count(1)
    await expect(text).to_contain_text("a trap")
    await expect(text).to_contain_text("another")
    assert await page.locator(".messages a[href^='javascript' i]").count() == 0

    # the link opens in a new tab, without an opener
    link = links.first
    await expect(link).to_have_attribute("href", f"{base}/health")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_attribute("rel", "noopener noreferrer")
    async with page.expect_popup() as popup_info:
        await link.click()
    popup = await popup_info.value
    await popup.wait_for_load_state()
    assert popup.url == f"{base}/health"
    assert await popup.evaluate("window.opener") is None
    await popup.close()

    # @ and letters open the suggestions; arrows pick, Enter completes, Escape closes
    composer = page.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.click()
    await composer.press_sequentially("thanks @bo", delay=20)
    listbox = page.get_by_role("listbox", name="Mention someone")
    await expect(listbox).to_be_visible()
    await page.screenshot(path=str(artifacts / "formatting-mention.png"))
    options = listbox.get_by_role("option")
    await expect(options).to_have_count(2)  # bob and bobby, never oneself
    combobox = page.locator(".composer [role=combobox]")
    await expect(combobox).to_have_attribute("aria-expanded", "true")
    first_id = await options.nth(0).get_attribute("id")
    await expect(composer).to_have_attribute("aria-activedescendant", first_id or "")
    await expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    await composer.press("ArrowDown")
    await expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    await composer.press("ArrowUp")
    await expect(options.nth(0)).to_have_attribute("data-username", "bob")
    await composer.press("Escape")
    await expect(listbox).to_have_count(0)
    await expect(composer).to_have_value("thanks @bo")
    await composer.press_sequentially("b", delay=20)  # typing on opens them again
    await expect(listbox).to_be_visible()
    await composer.press("Enter")
    await expect(listbox).to_have_count(0)
    await expect(composer).to_have_value("thanks @bob ")
    await composer.press_sequentially("for the **help**", delay=10)
    await composer.press("Enter")
    sent = row_with_text(page, "thanks @bob for the help")
    await expect(sent).to_be_visible(timeout=TIMEOUT)
    await expect(sent.locator(".mention")).to_have_text("@bob")
    await expect(sent.locator("strong")).to_have_text("help")

    assert dialogs == [], dialogs  # no script ever ran
    assert errors == [], errors
    await context.close()
