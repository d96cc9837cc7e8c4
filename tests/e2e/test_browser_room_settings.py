"""Room settings in the browser (SPEC §3 `PATCH` / `DELETE /api/rooms/{id}`, §4b): the owner
renames a room through the "Room settings" dialog and deletes it after typing its name; a member
who only watches that room sees both live in the sidebar, without a reload, and gets no settings
control of his own; a member with the room open is sent home with a notice when it is deleted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import TIMEOUT
from tests.e2e.test_browser_user_connection import alice_and_bob, login_over_rest, socket_paths

pytestmark = pytest.mark.e2e


def room_named(page: Any, name: str) -> Any:
    """The sidebar entry whose name is exactly `name` ("alpha" is not "alpha-renamed")."""
    names = page.get_by_role("navigation", name="Your rooms").locator(".room-item__name")
    return names.filter(has_text=re.compile(f"^{re.escape(name)}$"))


async def open_room(page: Any, name: str) -> None:
    from playwright.async_api import expect

    await room_named(page, name).click()
    await expect(page.locator(".pane__title")).to_have_text(name, timeout=TIMEOUT)
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)


async def test_owner_renames_and_deletes_a_room_live_for_its_members(
    server: ServerProcess, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    base = server.base_url
    pair = await alice_and_bob(browser, base)
    alice, bob, errors, bob_sockets = pair.alice, pair.bob, pair.errors, pair.bob_sockets
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        for name in ("alpha", "beta"):
            created = await http.post("/api/rooms", json={"name": name, "members": ["bob"]}, headers=alice_api)
            assert created.status_code == 201, created.text

    # bob has beta open, alpha only in his sidebar; as a member he gets no settings control
    await expect(room_named(bob, "alpha")).to_be_visible(timeout=TIMEOUT)
    await open_room(bob, "beta")
    members_at_bob = bob.get_by_role("list", name="Room members")
    await expect(members_at_bob.locator('[data-username="alice"] .role')).to_have_text("owner", timeout=TIMEOUT)
    await expect(bob.get_by_role("button", name="Room settings")).to_have_count(0)
    await bob.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # alice, the owner, opens alpha's settings: a blank name is refused in the dialog
    await expect(room_named(alice, "alpha")).to_be_visible(timeout=TIMEOUT)
    await open_room(alice, "alpha")
    await alice.get_by_role("button", name="Room settings").click()
    dialog = alice.get_by_role("dialog", name="Room settings")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Name")).to_have_value("alpha")
    await dialog.get_by_label("Name").fill("   ")
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(dialog.get_by_role("alert")).to_have_text("Give the room a name.")

    # she renames it and gives it a description: her header and bob's sidebar follow live
    await dialog.get_by_label("Name").fill("alpha-renamed")
    await expect(dialog.get_by_role("alert")).to_have_count(0)
    await dialog.get_by_label("Description").fill("the first room, renamed")
    await alice.screenshot(path=str(artifacts / "room-settings-dialog.png"))
    await dialog.get_by_role("button", name="Save changes").click()
    await expect(dialog).to_have_count(0)
    await expect(alice.locator(".pane__title")).to_have_text("alpha-renamed")
    await expect(alice.locator(".pane__subtitle")).to_have_text("the first room, renamed")
    await expect(room_named(alice, "alpha-renamed")).to_be_visible()
    await expect(room_named(bob, "alpha-renamed")).to_be_visible(timeout=TIMEOUT)
    await expect(room_named(bob, "alpha")).to_have_count(0)
    await expect(bob.locator(".pane__title")).to_have_text("beta")

    # she deletes it: the button waits for the room's name to be typed
    await alice.get_by_role("button", name="Room settings").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Delete room", exact=True).click()
    confirm = dialog.get_by_role("button", name="Delete room forever")
    await dialog.get_by_label("to confirm").fill("alpha")
    await expect(confirm).to_be_disabled()
    await dialog.get_by_label("to confirm").fill("alpha-renamed")
    await alice.screenshot(path=str(artifacts / "room-settings-delete.png"))
    await confirm.click()
    await expect(alice).to_have_url(base + "/", timeout=TIMEOUT)
    await expect(alice.get_by_role("status").filter(has_text="#alpha-renamed was deleted.")).to_be_visible()
    await expect(room_named(alice, "alpha-renamed")).to_have_count(0)

    # bob: gone from his sidebar live, beta still open and live, the same page, one socket
    await expect(room_named(bob, "alpha-renamed")).to_have_count(0, timeout=TIMEOUT)
    await expect(room_named(bob, "beta")).to_be_visible()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live")
    assert await bob.evaluate("window.__sameDocument === true")
    assert socket_paths(bob_sockets) == ["/ws"], bob_sockets

    # a room deleted while bob has it open: back to the room list, saying so
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        alice_api = await login_over_rest(http, "alice")
        beta_id = re.search(r"/rooms/([^/?#]+)", bob.url).group(1)  # type: ignore[union-attr]
        assert (await http.delete(f"/api/rooms/{beta_id}", headers=alice_api)).status_code == 204
    await expect(bob).to_have_url(base + "/", timeout=TIMEOUT)
    await expect(bob.get_by_role("status").filter(has_text="#beta was deleted.")).to_be_visible()
    await expect(room_named(bob, "beta")).to_have_count(0)
    await bob.screenshot(path=str(artifacts / "room-settings-deleted-notice.png"))

    assert errors == [], errors
    await pair.close()
