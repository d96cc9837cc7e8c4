"""Text hygiene rules (SPEC §7) as pure functions."""

from __future__ import annotations

import pytest

from roomcast.services.text import has_unsafe_name_characters, is_visible


@pytest.mark.parametrize(
    "text",
    ["", " ", "\u200b\u200b\u200b", "\u200b \u200c\n\u200d\ufeff", "\u202e\u2066", "\u3164", "\u2800 \u00ad", "\t\r\n"],
)
def test_only_invisible_characters_is_not_visible(text: str) -> None:
    assert not is_visible(text)


@pytest.mark.parametrize("text", ["a", " x ", "\u200bhi", "日本語", "👍", "0", "\u202eabc"])
def test_anything_that_draws_is_visible(text: str) -> None:
    assert is_visible(text)


@pytest.mark.parametrize("name", ["bob\u202egpj", "a\x00b", "a\nb", "\x7f", "x\u2066y", "a\u2028b", "\x85"])
def test_control_and_bidi_characters_are_unsafe_in_names(name: str) -> None:
    assert has_unsafe_name_characters(name)


@pytest.mark.parametrize("name", ["Alice", "José Ñúñez", "李小龍", "O'Brien-Smith", "🙂 emoji"])
def test_ordinary_names_are_safe(name: str) -> None:
    assert not has_unsafe_name_characters(name)
