"""Reply, edit, delete and react in the web client (SPEC §3 message, §4a), seen live in a second browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ServerProcess
from tests.e2e.test_browser_chat import TIMEOUT, register, send

pytestmark = pytest.mark.e2e


def row_with_text(page: Any, text: str) -> Any:
    """The message row whose text is exactly `text`."""
    exact = page.locator(".message__text", has_text=re.compile(f"^{re.escape(text)}$"))
    return page.locator(".messages .message", has=exact)


def row_by_id(page: Any, message_id: str) -> Any:
    return page.locator(f'.messages .message[data-message-id="{message_id}"]')


async def message_id(page: Any, text: str) -> str:
    row = row_with_text(page, text)
    await row.wait_for(timeout=TIMEOUT)
    value = await row.get_attribute("data-message-id")
    assert value, "a stored message row carries its id"
    return value


async def action(row: Any, name: str) -> None:
    """Hover the message, as a mouse user would, and press one of its action buttons."""
    await row.hover()
    await row.get_by_role("button", name=name, exact=True).click()


async def test_reply_edit_delete_and_react_live_in_two_browsers(
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
    await alice.get_by_role("link", name="+ New room").click()
    await alice.get_by_label("Name", exact=True).fill("actions")
    await alice.get_by_role("button", name="Create room").click()
    await expect(alice.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await bob.get_by_role("link", name="Browse public rooms").click()
    await bob.get_by_role("button", name="Join actions").click()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    # both know who is in the room (roles decide who may delete; usernames name who reacted)
    await expect(alice.locator('.members li[data-username="bob"]')).to_be_visible(timeout=TIMEOUT)

    await send(alice, "what do you think?")
    question = await message_id(bob, "what do you think?")
    question_at_bob, question_at_alice = row_by_id(bob, question), row_by_id(alice, question)

    # bob may reply to and react to alice's message, but neither edit nor delete it
    await question_at_bob.hover()
    toolbar = question_at_bob.get_by_role("toolbar", name="Message actions")
    await expect(toolbar.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    await expect(toolbar.get_by_role("button", name="Add reaction", exact=True)).to_be_visible()
    await expect(toolbar.get_by_role("button", name="Edit", exact=True)).to_have_count(0)
    await expect(toolbar.get_by_role("button", name="Delete", exact=True)).to_have_count(0)

    # --- reply: the composer says to whom, the reply quotes its parent on both pages
    await action(question_at_bob, "Reply")
    await expect(bob.locator(".composer")).to_contain_text("Replying to alice")
    await send(bob, "looks good")
    await expect(bob.locator(".composer")).not_to_contain_text("Replying to")
    reply = await message_id(alice, "looks good")
    reply_at_alice, reply_at_bob = row_by_id(alice, reply), row_by_id(bob, reply)
    quote = reply_at_alice.get_by_role("button", name="Show the original message")
    await expect(quote).to_contain_text("alice")
    await expect(quote).to_contain_text("what do you think?")
    await expect(reply_at_bob.locator(".reply-quote")).to_contain_text("what do you think?")

    # clicking the quote brings the original into view, highlighted
    await quote.click()
    await expect(question_at_alice).to_have_class(re.compile(r"\bis-highlighted\b"), timeout=TIMEOUT)
    await expect(question_at_alice).to_be_in_viewport()

    # a reply can be cancelled before it is sent
    await action(question_at_bob, "Reply")
    await bob.get_by_role("button", name="Cancel reply").click()
    await expect(bob.locator(".composer")).not_to_contain_text("Replying to")

    # --- edit with the Edit button: Enter saves; alice sees the new text, marked as edited
    await action(reply_at_bob, "Edit")
    editor = reply_at_bob.get_by_role("textbox", name="Edit message")
    await expect(editor).to_be_focused()
    await editor.fill("looks great")
    await editor.press("Enter")
    await expect(reply_at_alice.locator(".message__text")).to_have_text("looks great", timeout=TIMEOUT)
    edited = reply_at_alice.locator(".message__edited")
    await expect(edited).to_have_text("(edited)")
    await expect(edited).to_have_attribute("title", re.compile(r"^Edited "))

    # Escape cancels an edit, nothing is sent
    await action(reply_at_bob, "Edit")
    await editor.fill("never sent")
    await editor.press("Escape")
    await expect(editor).to_have_count(0)
    await expect(reply_at_bob.locator(".message__text")).to_have_text("looks great")

    # --- ArrowUp in the empty composer edits one's last message; the reply's quote follows the edit
    composer = alice.get_by_role("textbox", name=re.compile(r"^Message #"))
    await composer.click()
    await composer.press("ArrowUp")
    alice_editor = question_at_alice.get_by_role("textbox", name="Edit message")
    await expect(alice_editor).to_be_focused()
    await alice_editor.fill("what do you all think?")
    await alice_editor.press("Enter")
    await expect(question_at_bob.locator(".message__text")).to_have_text("what do you all think?", timeout=TIMEOUT)
    await expect(reply_at_bob.locator(".reply-quote")).to_contain_text("what do you all think?", timeout=TIMEOUT)
    await expect(reply_at_alice.locator(".reply-quote")).to_contain_text("what do you all think?", timeout=TIMEOUT)

    # --- react: the picker is keyboard-driven; the chip counts, names who reacted, toggles one's own
    await action(question_at_bob, "Add reaction")
    picker = question_at_bob.get_by_role("dialog", name="Choose a reaction")
    await expect(picker).to_be_visible()
    await expect(picker.get_by_role("button")).to_have_count(16)
    await bob.keyboard.press("Escape")  # closes, focus back on the button that opened it
    await expect(picker).to_have_count(0)
    await expect(question_at_bob.get_by_role("button", name="Add reaction", exact=True)).to_be_focused()
    await bob.keyboard.press("Enter")  # opens again, the first emoji focused
    await expect(picker.get_by_role("button", name="👍")).to_be_focused()
    await bob.keyboard.press("ArrowRight")
    await bob.keyboard.press("ArrowLeft")
    await bob.keyboard.press("Enter")
    await expect(picker).to_have_count(0)

    chip_at_alice = question_at_alice.locator('.reaction[data-emoji="👍"]')
    chip_at_bob = question_at_bob.locator('.reaction[data-emoji="👍"]')
    await expect(chip_at_alice).to_contain_text("1", timeout=TIMEOUT)
    await expect(chip_at_alice).to_have_attribute("aria-pressed", "false")
    await expect(chip_at_alice).to_have_attribute("title", "bob")
    await expect(chip_at_bob).to_have_attribute("aria-pressed", "true")

    await chip_at_alice.click()
    await expect(chip_at_alice).to_contain_text("2")
    await expect(chip_at_alice).to_have_attribute("aria-pressed", "true")
    await expect(chip_at_bob).to_contain_text("2", timeout=TIMEOUT)
    await expect(chip_at_bob).to_have_attribute("title", "bob, alice")
    await chip_at_alice.click()  # taking it back
    await expect(chip_at_bob).to_contain_text("1", timeout=TIMEOUT)
    await expect(chip_at_bob).to_have_attribute("title", "bob")
    await expect(alice.locator(".messages [data-action-state]")).to_have_count(0)  # nothing pending or failed

    await alice.screenshot(path=str(artifacts / "message-actions.png"))

    # --- delete: one's own message; the room's owner anyone's
    await send(bob, "oops, wrong room")
    oops = await message_id(alice, "oops, wrong room")
    await action(row_by_id(bob, oops), "Delete")
    await expect(row_by_id(alice, oops)).to_contain_text("This message was deleted", timeout=TIMEOUT)
    await expect(row_by_id(alice, oops).locator(".message__text")).to_have_count(0)

    await send(bob, "spam from bob")
    spam = await message_id(alice, "spam from bob")
    await action(row_by_id(alice, spam), "Delete")  # alice owns the room
    await expect(row_by_id(bob, spam)).to_contain_text("This message was deleted", timeout=TIMEOUT)

    # deleting the parent empties the reply's quote on both pages
    await action(question_at_alice, "Delete")
    await expect(question_at_bob).to_contain_text("This message was deleted", timeout=TIMEOUT)
    await expect(question_at_bob.locator(".reaction")).to_have_count(0)
    await expect(reply_at_bob.locator(".reply-quote")).to_contain_text("Original message was deleted", timeout=TIMEOUT)
    await expect(reply_at_alice.locator(".reply-quote")).to_contain_text("Original message was deleted")
    await expect(question_at_bob.get_by_role("button", name="Reply", exact=True)).to_have_count(0)

    # --- after a reload everything reads the same from the server
    await bob.reload()
    await expect(bob.locator(".room [data-status]")).to_have_attribute("data-status", "live", timeout=TIMEOUT)
    await expect(row_by_id(bob, question)).to_contain_text("This message was deleted", timeout=TIMEOUT)
    await expect(row_by_id(bob, reply).locator(".message__text")).to_have_text("looks great")
    await expect(row_by_id(bob, reply).locator(".message__edited")).to_have_text("(edited)")
    await expect(row_by_id(bob, reply).locator(".reply-quote")).to_contain_text("Original message was deleted")
    await expect(row_by_id(bob, oops)).to_contain_text("This message was deleted")
    await expect(bob.locator(".messages [data-action-state]")).to_have_count(0)

    await bob.screenshot(path=str(artifacts / "message-actions-after-reload.png"))
    assert errors == [], errors
    await alice_ctx.close()
    await bob_ctx.close()
