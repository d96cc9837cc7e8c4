"""The built web client works under its Content-Security-Policy (SPEC §7): in Chromium, against
a real `roomcast serve`, two people register or log in, open a room and chat, and the browser
reports no CSP violation; the security headers are on the pages, and no page may frame it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT, expect_visible, message, register, send

pytestmark = pytest.mark.e2e

# Runs before any script of the page: every violation the browser reports is kept.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI} (${where})`);
});
"""


async def watched_page(browser: Any, problems: list[str]) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(RECORD_VIOLATIONS)
    page = await context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    return page


async def violations(page: Any) -> list[str]:
    return list(await page.evaluate("window.__cspViolations"))


async def test_the_client_chats_under_its_csp_without_a_violation(server: ServerProcess, browser: Any) -> None:
    from playwright.async_api import expect

    base = server.base_url
    problems: list[str] = []
    alice = await watched_page(browser, problems)
    bob = await watched_page(browser, problems)
    async with httpx.AsyncClient(base_url=base) as http:
        created = await http.post("/api/auth/register", json={"username": "bob", "password": PASSWORD})
        assert created.status_code == 201, created.text

    # the page and its assets carry the headers
    document = await alice.goto(base + "/register")
    headers = await document.all_headers()
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"

    # alice registers, creates a room and writes (REST and the WebSocket under connect-src 'self')
    await register(alice, base, "alice")
    await alice.get_by_role("link", name="+ New room").click()
    await alice.get_by_label("Name", exact=True).fill("secure")
    await alice.get_by_role("button", name="Create room").click()
    await expect(alice.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await send(alice, "hello under a strict policy")
    await expect_visible(message(alice, "hello under a strict policy"))

    # bob logs in, joins and answers
    await bob.goto(base + "/login")
    await bob.get_by_label("Username").fill("bob")
    await bob.get_by_label("Password").fill(PASSWORD)
    await bob.get_by_role("button", name="Log in").click()
    await bob.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)
    await bob.get_by_role("link", name="Browse public rooms").click()
    await bob.get_by_role("button", name="Join secure").click()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect_visible(message(bob, "hello under a strict policy"))
    await send(bob, "hi alice 👋")
    await expect_visible(message(alice, "hi alice 👋"))
    # avatars (inline style through the DOM, allowed) and the members panel rendered
    await expect(alice.locator('.members li[data-username="bob"]')).to_be_visible(timeout=TIMEOUT)

    for page in (alice, bob):
        assert await violations(page) == []
    assert problems == [], problems

    # and the watch is not blind: an injected inline script is refused and reported
    await alice.evaluate("document.body.appendChild(document.createElement('script')).textContent = '1'")
    await alice.wait_for_function("window.__cspViolations.length > 0", timeout=TIMEOUT)
    assert "script-src" in (await violations(alice))[0]


async def test_no_other_page_may_frame_the_client(start_server: Callable[..., ServerProcess], browser: Any) -> None:
    server = start_server()
    context = await browser.new_context()
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "frame-ancestors" in msg.text else None)
    # another origin: a page of its own embedding the client
    await page.set_content(f'<iframe src="{server.base_url}/login"></iframe>')
    for _ in range(50):
        if refused:
            break
        await page.wait_for_timeout(100)
    assert any("frame-ancestors 'none'" in line for line in refused), refused
    await context.close()
