"""Accessibility of the web client (issue 17): axe-core finds no serious or critical violation on
any screen, wide (1280 by 800) and on a phone (390 by 844), in the light and the dark colour
scheme; and every overlay takes the focus when it opens, keeps it while modal, closes with Escape
and gives the focus back to what opened it, never to <body>.

One seeded server serves the whole module: alice owns "lobby" (bob an admin, carol a member) with a
reply, an edited message, reactions and a mention of alice, and "harbour", a second room to search."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.axe import Violation, report, violations
from tests.e2e.conftest import DIST, ServerProcess, unavailable
from tests.e2e.test_browser_chat import PASSWORD, TIMEOUT
from tests.e2e.test_browser_user_connection import login_over_rest

pytestmark = pytest.mark.e2e

VIEWPORTS = {
    "wide": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
SCHEMES = ["light", "dark"]
EVERY_LOOK = pytest.mark.parametrize(("size", "scheme"), [(v, s) for v in VIEWPORTS for s in SCHEMES])


@dataclass(frozen=True)
class Seeded:
    server: ServerProcess
    lobby: str
    harbour: str

    @property
    def base(self) -> str:
        return self.server.base_url


def _headers(http: httpx.Client, username: str) -> dict[str, str]:
    response = http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    return response.json() if response.content else {}


def _seed(http: httpx.Client) -> tuple[str, str]:
    for username, display in (("alice", "Alice Liddell"), ("bob", "Bob Builder"), ("carol", "Carol")):
        _ok(http.post("/api/auth/register", json={"username": username, "password": PASSWORD, "display_name": display}))
    alice, bob, carol = (_headers(http, name) for name in ("alice", "bob", "carol"))
    lobby = _ok(
        http.post(
            "/api/rooms",
            json={"name": "lobby", "description": "Where everyone meets", "members": ["bob", "carol"]},
            headers=alice,
        )
    )["id"]
    harbour = _ok(http.post("/api/rooms", json={"name": "harbour", "members": ["bob"]}, headers=alice))["id"]
    members = _ok(http.get(f"/api/rooms/{lobby}/members", headers=alice))
    listed = members if isinstance(members, list) else members.get("members", [])
    bob_id = next(m["user_id"] for m in listed if m["username"] == "bob")
    _ok(http.patch(f"/api/rooms/{lobby}/members/{bob_id}", json={"role": "admin"}, headers=alice))

    def post(headers: dict[str, str], room: str, content: str, reply_to: str | None = None) -> str:
        body: dict[str, Any] = {"content": content}
        if reply_to is not None:
            body["reply_to"] = reply_to
        return str(_ok(http.post(f"/api/rooms/{room}/messages", json=body, headers=headers))["id"])

    def react(headers: dict[str, str], message: str, emoji: str) -> None:
        _ok(http.put(f"/api/rooms/{lobby}/messages/{message}/reactions/{quote(emoji)}", headers=headers))

    morning = post(alice, lobby, "Good morning, everyone")
    reply = post(bob, lobby, "Morning! The harbour report is ready", reply_to=morning)
    edited = post(alice, lobby, "I will read the harbour report")
    _ok(
        http.patch(
            f"/api/rooms/{lobby}/messages/{edited}", json={"content": "I read the harbour report today"}, headers=alice
        )
    )
    react(bob, morning, "👍")
    react(carol, morning, "👍")
    react(alice, reply, "🎉")
    post(bob, lobby, "@alice can you check the numbers in it?")
    post(carol, lobby, "Thanks both")
    post(bob, harbour, "The harbour lights are on at night")
    return lobby, harbour


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    if not (DIST / "index.html").is_file():
        unavailable("the web client is not built: run `make web` (frontend/dist/index.html is missing)")
    workdir = tmp_path_factory.mktemp("accessibility")
    # Every test logs in again: lift the login limit; keep the others as they are.
    server = ServerProcess(workdir, LOGIN_RATE_LIMIT="1000/60", MESSAGE_RATE_LIMIT="1000")
    server.start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            lobby, harbour = _seed(http)
        yield Seeded(server, lobby, harbour)
    finally:
        server.stop()


async def new_page(browser: Any, size: str, scheme: str) -> Any:
    # bypass_csp: the client's policy refuses inline scripts, and the injected axe-core is one.
    context = await browser.new_context(**VIEWPORTS[size], color_scheme=scheme, bypass_csp=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


async def log_in(page: Any, base: str, username: str = "alice") -> None:
    await page.goto(base + "/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("navigation", name="Your rooms").wait_for(timeout=TIMEOUT)


async def open_lobby(page: Any, seeded: Seeded) -> None:
    from playwright.async_api import expect

    await page.goto(f"{seeded.base}/rooms/{seeded.lobby}")
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(page.locator(".messages .message", has_text="Thanks both")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator(".reaction").first).to_be_visible()


async def signed_in_at_lobby(browser: Any, seeded: Seeded, size: str, scheme: str) -> Any:
    page = await new_page(browser, size, scheme)
    await log_in(page, seeded.base)
    await open_lobby(page, seeded)
    return page


def members_toggle(page: Any) -> Any:
    return page.locator('button[aria-controls="members-panel"]')


def members_panel(page: Any) -> Any:
    return page.locator("#members-panel")


async def show_members(page: Any) -> None:
    from playwright.async_api import expect

    if not await members_panel(page).is_visible():
        await members_toggle(page).click()
    await expect(members_panel(page)).to_be_visible()
    await expect(members_panel(page).locator('li[data-username="carol"]')).to_be_visible(timeout=TIMEOUT)


class Audit:
    """axe on each state of a screen; the test fails at its end, naming every violation of every state."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: list[Violation] = []
        self.problems: list[str] = []

    async def scan(self, where: str) -> None:
        self.found += await violations(self.page, where)
        if await self.page.locator("main, [role=main]").count() != 1:
            self.problems.append(f"[{where}] not exactly one main landmark")

    def assert_clean(self) -> None:
        assert not self.found and not self.problems, "\n".join(
            [*self.problems, report(self.found) if self.found else ""]
        )
        assert self.page.errors == [], self.page.errors


async def focus_is_inside(page: Any, selector: str) -> bool:
    return bool(await page.evaluate("(s) => !!document.activeElement?.closest(s)", selector))


FOCUSED = """() => {
  const e = document.activeElement;
  return e ? `${e.tagName} ${e.className} ${e.textContent?.slice(0, 40)}` : "none";
}"""


async def focused_description(page: Any) -> str:
    return str(await page.evaluate(FOCUSED))


# ---- axe on every screen --------------------------------------------------------------------------


@EVERY_LOOK
async def test_login_and_register_pages(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    page = await new_page(browser, size, scheme)
    audit = Audit(page)
    await page.goto(seeded.base + "/login")
    await page.get_by_role("heading", name="Log in").wait_for(timeout=TIMEOUT)
    await audit.scan(f"login {size} {scheme}")
    await page.get_by_role("button", name="Create an account").click()
    await page.get_by_role("heading", name="Create your account").wait_for()
    await page.get_by_role("button", name="Create account").click()  # an empty form: the error shows
    await page.get_by_role("alert").wait_for()
    await audit.scan(f"register with an error {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_home_with_the_room_list(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    page = await new_page(browser, size, scheme)
    audit = Audit(page)
    await log_in(page, seeded.base)
    await page.get_by_role("navigation", name="Your rooms").get_by_role("link", name=re.compile("lobby")).wait_for()
    await audit.scan(f"home {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_room_with_replies_reactions_and_edits(
    seeded: Seeded, browser: Any, artifacts: Path, size: str, scheme: str
) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, size, scheme)
    audit = Audit(page)
    await expect(page.locator(".reply-quote").first).to_be_visible()
    await expect(page.locator(".message__edited").first).to_be_visible()
    await audit.scan(f"room {size} {scheme}")
    await page.screenshot(path=str(artifacts / f"accessibility-room-{size}-{scheme}.png"))
    # a message's actions and its reaction picker, opened from the keyboard
    row = page.locator(".messages .message", has_text="Thanks both")
    await row.hover()
    await row.get_by_role("button", name="Add reaction", exact=True).focus()
    await page.keyboard.press("Enter")
    await expect(row.get_by_role("dialog", name="Choose a reaction")).to_be_visible()
    await audit.scan(f"room with the reaction picker {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_members_panel(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    page = await signed_in_at_lobby(browser, seeded, size, scheme)
    audit = Audit(page)
    await show_members(page)
    await audit.scan(f"members panel {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_search_panel_with_results(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, size, scheme)
    audit = Audit(page)
    await page.locator(".room").get_by_role("button", name="Search messages").click()
    box = page.get_by_role("searchbox", name="Search messages")
    await expect(box).to_be_focused()
    await box.fill("harbour")
    dialog = page.get_by_role("dialog", name="Search messages")
    await expect(dialog.locator(".search-result")).to_have_count(3, timeout=TIMEOUT)
    await expect(dialog.locator(".search-group")).to_have_count(2)
    await audit.scan(f"search results {size} {scheme}")
    await box.fill("zzzqqq")
    await expect(dialog.get_by_role("status")).to_contain_text("No messages match", timeout=TIMEOUT)
    await audit.scan(f"search without results {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_room_settings_dialog(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, size, scheme)
    audit = Audit(page)
    await page.get_by_role("button", name="Room settings").click()
    dialog = page.get_by_role("dialog", name="Room settings")
    await expect(dialog).to_be_visible()
    await audit.scan(f"room settings {size} {scheme}")
    await dialog.get_by_role("button", name="Delete room", exact=True).click()
    await dialog.get_by_label("to confirm").fill("lob")
    await audit.scan(f"room settings, deleting {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_new_message_dialog(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    from playwright.async_api import expect

    page = await new_page(browser, size, scheme)
    audit = Audit(page)
    await log_in(page, seeded.base)
    await page.get_by_role("button", name="New message").click()
    dialog = page.get_by_role("dialog", name="New message")
    await dialog.get_by_role("searchbox").fill("b")
    await expect(dialog.get_by_role("button", name=re.compile("Bob Builder"))).to_be_visible(timeout=TIMEOUT)
    await audit.scan(f"new message {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_profile(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    from playwright.async_api import expect

    page = await new_page(browser, size, scheme)
    audit = Audit(page)
    await log_in(page, seeded.base)
    await page.goto(seeded.base + "/profile")
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible(timeout=TIMEOUT)
    await expect(page.get_by_role("textbox", name="Display name")).to_have_value("Alice Liddell")
    await audit.scan(f"profile {size} {scheme}")
    await page.get_by_role("button", name="Change password").click()  # nothing typed: the error shows
    await expect(page.get_by_role("alert")).to_be_visible()
    await audit.scan(f"profile with an error {size} {scheme}")
    audit.assert_clean()


@EVERY_LOOK
async def test_mentions_inbox(seeded: Seeded, browser: Any, size: str, scheme: str) -> None:
    from playwright.async_api import expect

    page = await new_page(browser, size, scheme)
    audit = Audit(page)
    await log_in(page, seeded.base)
    await page.goto(seeded.base + "/mentions")
    await expect(page.get_by_role("heading", name="Mentions")).to_be_visible(timeout=TIMEOUT)
    mentions = page.get_by_role("list", name="Your mentions")
    await expect(mentions.get_by_role("listitem")).to_have_count(1, timeout=TIMEOUT)
    await expect(mentions).to_contain_text("check the numbers", timeout=TIMEOUT)
    await audit.scan(f"mentions {size} {scheme}")
    audit.assert_clean()


# ---- focus and keyboard --------------------------------------------------------------------------


FIRST_TAB_STOP = """() => Array.from(document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"))
  .find((e) => e.tabIndex >= 0 && !e.disabled && !e.closest("[inert]"))?.textContent ?? null"""


async def check_skip_link(page: Any) -> None:
    from playwright.async_api import expect

    assert await page.evaluate(FIRST_TAB_STOP) == "Skip to main content"
    skip = page.get_by_role("link", name="Skip to main content")
    await expect(skip).not_to_be_in_viewport()  # out of sight until it has the focus
    await skip.focus()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    assert await focus_is_inside(page, "main"), await focused_description(page)


@pytest.mark.parametrize("size", list(VIEWPORTS))
async def test_skip_link_leads_to_the_main_content(seeded: Seeded, browser: Any, size: str) -> None:
    page = await new_page(browser, size, "light")
    await page.goto(seeded.base + "/login")
    await page.get_by_role("heading", name="Log in").wait_for(timeout=TIMEOUT)
    await check_skip_link(page)
    await log_in(page, seeded.base)
    await open_lobby(page, seeded)
    await check_skip_link(page)
    assert page.errors == [], page.errors


async def test_members_panel_on_a_phone_is_a_modal_that_gives_the_focus_back(
    seeded: Seeded, browser: Any, artifacts: Path
) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, "phone", "light")
    toggle = members_toggle(page)
    await toggle.focus()
    await page.keyboard.press("Enter")
    panel = members_panel(page)
    await expect(panel).to_be_visible()
    assert await focus_is_inside(page, "#members-panel"), await focused_description(page)
    await page.screenshot(path=str(artifacts / "accessibility-members-phone.png"))
    # modal: Tab and Shift+Tab stay inside the panel
    for key in ["Tab"] * 12 + ["Shift+Tab"] * 12:
        await page.keyboard.press(key)
        assert await focus_is_inside(page, "#members-panel"), f"{key}: {await focused_description(page)}"
    await page.keyboard.press("Escape")
    await expect(panel).to_have_count(0)
    await expect(toggle).to_be_focused()

    # the close button gives the focus back to the toggle too
    await page.keyboard.press("Enter")
    await expect(panel).to_be_visible()
    await panel.get_by_role("button", name=re.compile("^Close")).click()
    await expect(panel).to_have_count(0)
    await expect(toggle).to_be_focused()
    assert page.errors == [], page.errors


async def test_members_panel_on_a_wide_screen_takes_and_gives_back_the_focus(seeded: Seeded, browser: Any) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, "wide", "light")
    panel, toggle = members_panel(page), members_toggle(page)
    await expect(panel).to_be_visible()  # open by default where it fits, and it took no focus
    assert not await focus_is_inside(page, "#members-panel")
    await toggle.focus()
    await page.keyboard.press("Enter")
    await expect(panel).to_have_count(0)
    await expect(toggle).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(panel).to_be_visible()
    assert await focus_is_inside(page, "#members-panel"), await focused_description(page)
    await page.keyboard.press("Escape")
    await expect(panel).to_have_count(0)
    await expect(toggle).to_be_focused()
    assert page.errors == [], page.errors


@pytest.mark.parametrize("size", list(VIEWPORTS))
async def test_room_settings_dialog_keeps_and_gives_back_the_focus(seeded: Seeded, browser: Any, size: str) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, size, "light")
    opener = page.get_by_role("button", name="Room settings")
    await opener.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Room settings")
    await expect(dialog.get_by_label("Name")).to_be_focused()
    for key in ["Tab"] * 10 + ["Shift+Tab"] * 10:
        await page.keyboard.press(key)
        assert await focus_is_inside(page, "dialog[open]"), f"{key}: {await focused_description(page)}"
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(opener).to_be_focused()

    # the delete step takes the focus to its field, and "Keep the room" back to its button
    await page.keyboard.press("Enter")
    await dialog.get_by_role("button", name="Delete room", exact=True).click()
    await expect(dialog.get_by_label("to confirm")).to_be_focused()
    await dialog.get_by_role("button", name="Keep the room").click()
    await expect(dialog.get_by_role("button", name="Delete room", exact=True)).to_be_focused()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    await expect(opener).to_be_focused()
    assert page.errors == [], page.errors


async def test_deleting_a_room_leaves_the_focus_in_the_main_content(seeded: Seeded, browser: Any) -> None:
    from playwright.async_api import expect

    async with httpx.AsyncClient(base_url=seeded.base, timeout=10) as http:
        headers = await login_over_rest(http, "alice")
        created = await http.post("/api/rooms", json={"name": "scratch"}, headers=headers)
        assert created.status_code == 201, created.text
        scratch = created.json()["id"]
    page = await new_page(browser, "wide", "light")
    await log_in(page, seeded.base)
    await page.goto(f"{seeded.base}/rooms/{scratch}")
    await expect(page.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await page.get_by_role("button", name="Room settings").click()
    dialog = page.get_by_role("dialog", name="Room settings")
    await dialog.get_by_role("button", name="Delete room", exact=True).click()
    await dialog.get_by_label("to confirm").fill("scratch")
    await dialog.get_by_role("button", name="Delete room forever").click()
    await expect(page).to_have_url(seeded.base + "/", timeout=TIMEOUT)
    await expect(dialog).to_have_count(0)
    assert await focus_is_inside(page, "main"), await focused_description(page)
    assert page.errors == [], page.errors


async def test_new_message_dialog_gives_the_focus_back(seeded: Seeded, browser: Any) -> None:
    from playwright.async_api import expect

    page = await new_page(browser, "wide", "light")
    await log_in(page, seeded.base)
    opener = page.get_by_role("button", name="New message")
    await opener.focus()
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="New message")
    await expect(dialog.get_by_role("searchbox")).to_be_focused()
    for key in ["Tab"] * 4 + ["Shift+Tab"] * 4:
        await page.keyboard.press(key)
        assert await focus_is_inside(page, "dialog[open]"), f"{key}: {await focused_description(page)}"
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(opener).to_be_focused()
    await page.keyboard.press("Enter")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(opener).to_be_focused()
    assert page.errors == [], page.errors


async def test_search_panel_keeps_the_focus_and_gives_it_back(seeded: Seeded, browser: Any) -> None:
    from playwright.async_api import expect

    page = await signed_in_at_lobby(browser, seeded, "phone", "light")
    opener = page.locator(".room").get_by_role("button", name="Search messages")
    await opener.focus()
    await page.keyboard.press("Enter")
    box = page.get_by_role("searchbox", name="Search messages")
    await expect(box).to_be_focused()
    await box.fill("harbour")
    await expect(page.locator(".search-result")).to_have_count(3, timeout=TIMEOUT)
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        await page.keyboard.press(key)
        assert await focus_is_inside(page, "dialog[open]"), f"{key}: {await focused_description(page)}"
    await page.get_by_role("dialog", name="Search messages").get_by_role("button", name="Close").click()
    await expect(opener).to_be_focused()
    assert page.errors == [], page.errors
