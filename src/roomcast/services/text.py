"""Text hygiene (SPEC §7): what counts as visible content, and what a name may not contain."""

from __future__ import annotations

import unicodedata

# Format and filler characters that render as nothing: a message of only these (and white
# space) is empty to a reader, whatever its length.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u206a\u206b\u206c\u206d\u206e\u206f\u2800\u3164\ufeff\uffa0"
)
# Bidirectional controls make a name read differently from its characters ("gepj.exe").
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_invisible(character: str) -> bool:
    if character.isspace() or character in _INVISIBLE:
        return True
    category = unicodedata.category(character)
    # Cf: format characters (tags, variation selectors' kin); Mn alone on a line draws nothing.
    return category == "Cf" or (unicodedata.combining(character) == 0 and category in ("Zs", "Zl", "Zp"))


def is_visible(text: str) -> bool:
    """Whether `text` shows anything once white space and invisible format characters are removed."""
    for character in text:
        # Letters and digits draw (but for the Hangul fillers, which are letters): the usual answer
        # comes from the first character, without a Unicode database lookup.
        if character.isalnum() and character not in _INVISIBLE:
            return True
        if not _is_invisible(character):
            return True
    return False


def has_unsafe_name_characters(name: str) -> bool:
    """Control characters (C0, C1, DEL, line breaks) or bidi controls: refused in user and display names."""
    return any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS or c in "\u2028\u2029" for c in name)


# Emoji sequences join with ZWJ and spell flags with tag characters; every other format,
# control or space character is refused in a reaction.
_EMOJI_JOINERS = frozenset("\u200d") | frozenset(chr(code) for code in range(0xE0020, 0xE0080))


def is_reaction_character(character: str) -> bool:
    return character in _EMOJI_JOINERS or (character.isprintable() and not character.isspace())


def is_reaction(text: str) -> bool:
    """Whether `text` may name a reaction: no white space, control or format characters but joiners."""
    return all(is_reaction_character(c) for c in text)
