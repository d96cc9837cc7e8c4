"""Honest screens in the browser: a public room one is not in is previewed (name, description,
member count) with a Join button that works; an unknown, hidden or malformed room id says
"Room not found"; a room deleted while open says so; and a message still unconfirmed when the
page reloads is sent again after it, and delivered exactly once (SPEC §4 idempotent send)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import TIMEOUT, expect_visible, message, register, send
from tests.e2e.test_browser_user_connection import login_over_rest

pytestmark = pytest.mark.e2e


async def test_public_room_preview_join_not_found_and_deleted_while_open(
    server: ServerProcess, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await register(page, base, "bob")
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        assert (
            await http.post("/api/auth/register", json={"username": "alice", "password": "correct horse battery"})
        ).status_code == 201
        alice = await login_over_rest(http, "alice")
        garden = (
            await http.post("/api/rooms", json={"name": "garden", "description": "Plants and patience"}, headers=alice)
        ).json()
        vault = (await http.post("/api/rooms", json={"name": "vault", "is_private": True}, headers=alice)).json()
        posted = await http.post(
            f"/api/rooms/{garden['id']}/messages", json={"content": "the roses are out"}, headers=alice
        )
        assert posted.status_code == 201, posted.text

    # a public room bob is not in: what it is and the way in, no error and no empty history
    await page.goto(f"{base}/rooms/{garden['id']}")
    pane = page.locator("#main")
    await expect(pane.get_by_role("heading", name="#garden")).to_be_visible(timeout=TIMEOUT)
    await expect(pane).to_contain_text("Plants and patience")
    await expect(pane.get_by_test_id("member-count")).to_have_text("1 member")
    for wrong in ("Offline", "not a member", "No messages yet", "0 total"):
        await expect(pane).not_to_contain_text(wrong)
    await expect(page.locator(".room [data-status]")).to_have_count(0)
    await page.screenshot(path=str(artifacts / "room-preview.png"))

    await pane.get_by_role("button", name="Join room").click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect_visible(message(page, "the roses are out"))
    await expect(
        page.get_by_role("navigation", name="Your rooms").locator(".room-item", has_text="garden")
    ).to_be_visible()
    await send(page, "hello garden")
    await expect_visible(message(page, "hello garden"))
    await expect(page.locator(".messages .message[data-state]")).to_have_count(0, timeout=TIMEOUT)

    # unknown, hidden and malformed ids: one honest answer, and no socket subscription tried
    for room_id in (str(uuid.uuid4()), vault["id"], "not-a-room", "123"):
        await page.goto(f"{base}/rooms/{room_id}")
        await expect(pane.get_by_role("heading", name="Room not found")).to_be_visible(timeout=TIMEOUT)
        await expect(pane.get_by_role("link", name="Browse public rooms")).to_be_visible()
        await expect(page.locator(".room [data-status]")).to_have_count(0)
    await page.screenshot(path=str(artifacts / "room-not-found.png"))

    # deleted while bob has it open: he is told, not left in a dead room
    await page.goto(f"{base}/rooms/{garden['id']}")
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice = await login_over_rest(http, "alice")
        assert (await http.delete(f"/api/rooms/{garden['id']}", headers=alice)).status_code == 204
    await expect(page).to_have_url(base + "/", timeout=TIMEOUT)
    await expect(page.get_by_role("status").filter(has_text="#garden was deleted.")).to_be_visible()
    await expect(
        page.get_by_role("navigation", name="Your rooms").locator(".room-item", has_text="garden")
    ).to_have_count(0)
    assert errors == [], errors
    await context.close()


async def test_a_pending_message_survives_a_reload_and_is_delivered_once(
    server: ServerProcess, browser: Any, artifacts: Path
) -> None:
    """Two messages are unconfirmed when the page reloads: one the server committed but whose
    `message_sent` was lost, one that never reached it. After the reload the first is settled
    from the room's history (not sent twice), the second sent again with its client_id."""
    from playwright.async_api import expect

    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    mode = {"value": "pass"}  # pass | drop-acks (server → page) | drop-sends (page → server)
    sent_ids: list[str] = []
    ack_dropped = asyncio.Event()

    async def handle(ws: Any) -> None:
        server_ws = ws.connect_to_server()

        def from_page(text: str | bytes) -> None:
            frame = json.loads(text)
            if frame.get("type") == "send_message":
                sent_ids.append(frame["data"]["client_id"])
                if mode["value"] == "drop-sends":
                    return
            server_ws.send(text)

        def from_server(text: str | bytes) -> None:
            if mode["value"] == "drop-acks" and json.loads(text).get("type") == "message_sent":
                ack_dropped.set()  # committed on the server: the page will never hear of it
                return
            ws.send(text)

        ws.on_message(from_page)
        server_ws.on_message(from_server)

    await page.route_web_socket(lambda url: "/ws?" in url, handle)
    await register(page, base, "carol")
    await page.get_by_role("link", name="+ New room").click()
    await page.get_by_label("Name", exact=True).fill("notes")
    await page.get_by_role("button", name="Create room").click()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    room_id = re.search(r"/rooms/([^/?#]+)", page.url).group(1)  # type: ignore[union-attr]
    await send(page, "before anything")
    confirmed = page.locator(".messages .message[data-seq]", has_text="before anything")
    await expect(confirmed).to_have_count(1, timeout=TIMEOUT)  # its message_sent came
    await expect(page.locator(".messages .message[data-state]")).to_have_count(0, timeout=TIMEOUT)

    pending = page.locator('.messages .message[data-state="pending"]')
    mode["value"] = "drop-acks"
    await send(page, "committed, answer lost")
    await expect(pending).to_have_count(1)
    await asyncio.wait_for(ack_dropped.wait(), TIMEOUT / 1000)
    mode["value"] = "drop-sends"
    await send(page, "never reached the server")
    await expect(pending).to_have_count(2)
    await page.screenshot(path=str(artifacts / "outbox-before-reload.png"))

    mode["value"] = "pass"
    await page.reload()
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect_visible(message(page, "never reached the server"))
    await expect(pending).to_have_count(0, timeout=TIMEOUT)
    texts = await page.locator(".messages .message .message__text").all_inner_texts()
    assert texts == ["before anything", "committed, answer lost", "never reached the server"], texts

    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        carol = await login_over_rest(http, "carol")
        stored = (await http.get(f"/api/rooms/{room_id}/messages", headers=carol)).json()["messages"]
    assert [m["content"] for m in stored] == ["before anything", "committed, answer lost", "never reached the server"]
    # the one that never arrived went out again with the client_id it was written with
    assert stored[2]["client_id"] == sent_ids[2] and sent_ids.count(sent_ids[2]) == 2, sent_ids
    assert sent_ids.count(stored[1]["client_id"]) == 1, sent_ids  # settled from history, not resent
    assert await page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('roomcast.outbox.'))") == []
    assert errors == [], errors
    await context.close()


async def test_after_a_reload_a_pending_message_of_another_room_is_delivered_without_opening_it(
    server: ServerProcess, browser: Any
) -> None:
    """A message written in one room while the socket was down is still pending when the page
    loads again on another room: it goes out at once, in the background, with its client_id."""
    from playwright.async_api import expect

    base = server.base_url
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    drop_sends = {"value": False}

    async def handle(ws: Any) -> None:
        server_ws = ws.connect_to_server()
        # Once dropping, this socket never delivers a send: only the next page's socket can.
        dropping = {"value": False}

        def from_page(text: str | bytes) -> None:
            dropping["value"] = dropping["value"] or drop_sends["value"]
            if dropping["value"] and json.loads(text).get("type") == "send_message":
                return
            server_ws.send(text)

        ws.on_message(from_page)
        server_ws.on_message(lambda text: ws.send(text))

    await page.route_web_socket(lambda url: "/ws?" in url, handle)
    await register(page, base, "dave")
    room_ids: dict[str, str] = {}
    for name in ("alpha", "beta"):
        await page.get_by_role("link", name="+ New room").click()
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_role("button", name="Create room").click()
        await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
        room_ids[name] = re.search(r"/rooms/([^/?#]+)", page.url).group(1)  # type: ignore[union-attr]
    drop_sends["value"] = True
    await send(page, "waiting in beta")
    await expect(page.locator('.messages .message[data-state="pending"]')).to_have_count(1, timeout=TIMEOUT)

    drop_sends["value"] = False
    await page.goto(f"{base}/rooms/{room_ids['alpha']}")  # the page loads again, on alpha
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        dave = await login_over_rest(http, "dave")
        stored: list[dict[str, Any]] = []
        for _ in range(100):
            response = await http.get(f"/api/rooms/{room_ids['beta']}/messages", headers=dave)
            stored = response.json()["messages"]
            if stored:
                break
            await asyncio.sleep(0.1)
    assert [m["content"] for m in stored] == ["waiting in beta"], stored
    assert f"/rooms/{room_ids['alpha']}" in page.url  # beta was never opened on screen

    for _ in range(50):
        if await page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('roomcast.outbox.'))") == []:
            break
        await asyncio.sleep(0.1)
    assert await page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('roomcast.outbox.'))") == []
    assert errors == [], errors
    await context.close()
