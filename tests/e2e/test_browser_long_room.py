"""A room with 10,000 messages loaded in the client: a new one costs no long task, nothing unread is missed.

"Loaded" means in the client's state (the list's `data-count`), read page by page by scrolling up
as a reader would; the list draws only the rows near the viewport (it is virtualised).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT
from tests.e2e.test_browser_formatting import sign_in
from tests.e2e.test_browser_message_actions import row_with_text
from tests.e2e.test_browser_user_connection import login_over_rest

pytestmark = pytest.mark.e2e

TOTAL = 10_000
UNREAD = 10

# Scroll to the top until the list holds every message of the room (seq 1 loaded), each page
# as the reader's scrolling asks for it. Returns [messages loaded, milliseconds].
LOAD_EVERYTHING = """async (el) => {
  const started = performance.now();
  const first = () => Number(el.dataset.firstSeq);
  while (first() > 1 && performance.now() - started < 45000) {
    const before = first();
    el.scrollTop = 0;
    el.dispatchEvent(new Event("scroll"));
    const waitFrom = performance.now();
    while (first() === before && performance.now() - waitFrom < 3000) {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return [Number(el.dataset.count), Math.round(performance.now() - started)];
}"""

WATCH_LONG_TASKS = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTasks.push(Math.round(entry.duration));
  }).observe({ type: "longtask" });
}"""


async def seed(base: str, room_id: str, token: str, texts: list[str]) -> None:
    """Sends them over one WebSocket, pipelined (a REST post each takes ~3.5 ms; this, a fraction)."""
    import websockets

    url = base.replace("http://", "ws://") + f"/ws/{room_id}?token={token}"
    async with websockets.connect(url, max_size=None) as ws:
        while json.loads(await ws.recv())["type"] != "connected":
            pass
        window = asyncio.Semaphore(500)  # in flight at once: well under SEND_QUEUE_LIMIT

        async def send_all() -> None:
            for i, text in enumerate(texts):
                await window.acquire()
                frame = {"type": "send_message", "data": {"content": text, "client_id": f"seed-{i}"}}
                await ws.send(json.dumps(frame))

        sender = asyncio.create_task(send_all())
        sent = 0
        while sent < len(texts):
            frame = json.loads(await ws.recv())
            assert frame["type"] not in ("message_error", "rate_limit_exceeded", "error"), frame
            if frame["type"] == "message_sent":
                sent += 1
                window.release()
        await sender


async def test_ten_thousand_messages_stay_fast_and_unread_is_not_missed(
    start_server: Callable[..., ServerProcess], browser: Any
) -> None:
    from playwright.async_api import expect

    server = start_server(MESSAGE_RATE_LIMIT="100000")
    base = server.base_url
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for name in ("alice", "bob"):
            created = await http.post("/api/auth/register", json={"username": name, "password": PASSWORD})
            assert created.status_code == 201, created.text
        alice = await login_over_rest(http, "alice")
        bob = await login_over_rest(http, "bob")
        room = await http.post("/api/rooms", json={"name": "long", "members": ["bob"]}, headers=alice)
        room_id = room.json()["id"]
        started = time.monotonic()
        bob_token = bob["Authorization"].removeprefix("Bearer ")
        await seed(base, room_id, bob_token, [f"old news {i}" for i in range(1, TOTAL - UNREAD + 1)])
        # alice read up to here; the last ten are new to her
        last = (await http.get(f"/api/rooms/{room_id}/messages?limit=1", headers=alice)).json()["messages"][-1]
        read = await http.post(f"/api/rooms/{room_id}/read", json={"seq": last["seq"]}, headers=alice)
        assert read.status_code in (200, 204), read.text
        for i in range(1, UNREAD + 1):  # in order: the first unread is "unread 1"
            posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": f"unread {i}"}, headers=bob)
            assert posted.status_code == 201, posted.text
        seeded = time.monotonic() - started
        print(f"seeded {TOTAL} messages (WebSocket, then REST) in {seeded:.1f}s")

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, base, "alice")
    await page.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("long")).click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)

    # entering: "New messages" right above the first one she has not read
    divider = page.get_by_role("separator", name="New messages")
    await expect(divider).to_be_visible(timeout=TIMEOUT)
    first_unread = row_with_text(page, "unread 1")
    assert await divider.get_attribute("data-seq") == await first_unread.get_attribute("data-seq")
    await expect(row_with_text(page, f"unread {UNREAD}")).to_be_in_viewport()

    # every message of the room into the client, by scrolling up page after page
    listing = page.locator(".messages")
    loaded, took = await listing.evaluate(LOAD_EVERYTHING)
    print(f"loaded {loaded} messages into the client by scrolling in {took} ms")
    assert loaded == TOTAL
    await listing.evaluate("el => { el.scrollTop = 0; }")
    await expect(row_with_text(page, "old news 1")).to_be_visible(timeout=TIMEOUT)
    assert await page.locator(".messages .message").count() < 100  # only the rows near the viewport are drawn

    # a new message arrives while she reads far above: no long task, counted on "Jump to latest"
    await page.evaluate(WATCH_LONG_TASKS)
    await page.wait_for_timeout(500)
    await page.evaluate("window.__longTasks = []")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": "fresh one"}, headers=bob)
        assert posted.status_code == 201, posted.text
    await expect(listing).to_have_attribute("data-count", str(TOTAL + 1), timeout=TIMEOUT)
    latest = page.get_by_role("button", name=re.compile(r"^Jump to latest"))
    await expect(latest).to_contain_text("1 new")
    await page.wait_for_timeout(500)
    scrolled_up = await page.evaluate("window.__longTasks")
    print(f"long tasks for a new message while scrolled up: {scrolled_up}")
    assert scrolled_up == [], scrolled_up

    # the first unread is far below: the button goes to it
    to_unread = page.get_by_role("button", name="Jump to first unread")
    await expect(to_unread).to_be_visible()
    await to_unread.click()
    await expect(divider).to_be_in_viewport(timeout=TIMEOUT)
    await expect(first_unread).to_be_in_viewport()
    await expect(to_unread).to_have_count(0)

    # far up again: both buttons are back; Jump to latest goes to the bottom, the newest in view
    await listing.evaluate("el => { el.scrollTop = 0; }")
    await expect(to_unread).to_be_visible()
    await expect(latest).to_be_visible()
    await latest.click()
    await expect(row_with_text(page, "fresh one")).to_be_in_viewport(timeout=TIMEOUT)
    await expect(latest).to_have_count(0)

    # at the bottom, a new message is drawn and followed, still without a long task
    await page.wait_for_timeout(500)
    await page.evaluate("window.__longTasks = []")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        posted = await http.post(f"/api/rooms/{room_id}/messages", json={"content": "fresher one"}, headers=bob)
        assert posted.status_code == 201, posted.text
    await expect(row_with_text(page, "fresher one")).to_be_in_viewport(timeout=TIMEOUT)
    await page.wait_for_timeout(500)
    at_bottom = await page.evaluate("window.__longTasks")
    print(f"long tasks for a new message at the bottom: {at_bottom}")
    assert at_bottom == [], at_bottom
    assert errors == [], errors
    await context.close()
