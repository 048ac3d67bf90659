"""What text from users, papers and the model may contain, written once.

Invisible characters that reorder or hide text (bidirectional overrides and isolates, zero-width
spaces, word joiners, tag characters) are harmful: a keyword holding a right-to-left override
shows reversed in everyone's /settings, and a hidden character makes two equal-looking words
differ. They are refused in what users type and removed from what papers and the model send.
The zero-width joiner and non-joiner are not harmful: emoji sequences, Persian, Hindi and Urdu
need them, so they are kept, like combining marks and variation selectors.

Identifiers people type (times, numbers, codes, categories, arXiv ids, keywords) are read in
NFKC, so fullwidth digits (U+FF10 to U+FF19) and compatibility forms mean what they look
like.
"""

from __future__ import annotations

import re
import unicodedata

_HARMFUL = (
    "\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f"
)
"""Arabic letter mark, zero-width space, LRM/RLM, bidi embeddings/overrides, word joiner and
invisible operators, bidi isolates, BOM, tag characters. Not U+200C/U+200D (ZWNJ/ZWJ)."""
_CONTROLS = "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"

HARMFUL_INVISIBLE = re.compile(f"[{_HARMFUL}]")
CONTROL = re.compile(f"[{_CONTROLS}]")
_UNWANTED = re.compile(f"[{_HARMFUL}{_CONTROLS}]")


def without_invisible(text: str) -> str:
    """``text`` with harmful invisible and control characters removed (tabs and line breaks
    kept), for text we receive from papers and the model."""
    return _UNWANTED.sub("", text)


def invisible_in(text: str) -> str | None:
    """A description of the first harmful character in what a user typed, or None."""
    found = HARMFUL_INVISIBLE.search(text) or CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "a control character")
    return f"U+{ord(char):04X} ({name.lower()})"


def as_typed_identifier(text: str) -> str:
    """NFKC: fullwidth and other compatibility forms read as what they look like."""
    return unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """Normalise untrusted text once, where it enters: NFC, no harmful invisible or control
    characters (see :mod:`bot.text.unicode`; joiners stay), whitespace runs (line breaks
    included) collapsed to one space."""
    text = unicodedata.normalize("NFC", text)
    text = without_invisible(text.replace("\t", " ").replace("\r", " ").replace("\n", " "))
    return " ".join(text.split())
