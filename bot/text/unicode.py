"""What text from users, papers and the model may contain, written once.

Invisible characters that reorder or hide text (bidirectional overrides and isolates, zero-width
spaces, word joiners, tag characters) are harmful: a keyword holding a right-to-left override
shows reversed in everyone's /settings, and a hidden character makes two equal-looking words
differ. They are refused in what users type and removed from what papers and the model send.
The zero-width joiner and non-joiner are not harmful: emoji sequences, Persian, Hindi and Urdu
need them, so they are kept, like combining marks and variation selectors.

A joiner only joins: one at the edge of a word, or doubled, joins nothing and only makes two
equal-looking words differ, so typed text may not hold one there.

Identifiers people type (times, numbers, codes, categories, arXiv ids, keywords) are read in
NFKC, so fullwidth digits (U+FF10 to U+FF19) and compatibility forms mean what they look
like, and with ASCII digits for every script's decimal digits (Arabic-Indic, Persian,
Devanagari...), so ``٢٦١١.٠٠٠٠٣`` is the arXiv id it reads as.
"""

from __future__ import annotations

import re
import unicodedata

_HARMFUL = (
    "\u00ad\u061c\u115f\u1160\u17b4\u17b5\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e007f"
)
"""Soft hyphen, Arabic letter mark, Hangul fillers, Khmer inherent vowels, zero-width space,
LRM/RLM, bidi embeddings/overrides, word joiner and invisible operators, bidi isolates and the
deprecated format controls, BOM, interlinear annotation marks, musical formatting marks, tag
characters. Not U+200C/U+200D (ZWNJ/ZWJ), nor U+180E (Mongolian needs it), nor U+034F (a
combining mark that some orthographies need)."""
_JOINERS = "\u200c\u200d"
_CONTROLS = "\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"

HARMFUL_INVISIBLE = re.compile(f"[{_HARMFUL}]")
CONTROL = re.compile(f"[{_CONTROLS}]")
SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: no character at all (undecodable input read with ``surrogateescape``,
a JSON ``\\ud800``); it cannot even be stored."""
_UNWANTED = re.compile(f"[{_HARMFUL}{_CONTROLS}]")
_STRAY_JOINER = re.compile(
    f"(?<!\\S)[{_JOINERS}]|[{_JOINERS}](?!\\S)|(?<=[{_JOINERS}])[{_JOINERS}]"
)
"""A joiner at the start or end of a word (or of the text), or right after another one."""
_DIGIT = re.compile(r"\d")


def without_invisible(text: str) -> str:
    """``text`` with harmful invisible and control characters removed (tabs and line breaks
    kept), for text we receive from papers and the model."""
    return _UNWANTED.sub("", text)


def invisible_in(text: str) -> str | None:
    """A description of the first harmful character in what a user typed, or None."""
    found = HARMFUL_INVISIBLE.search(text) or CONTROL.search(text)
    where = ""
    if found is None:
        found = _STRAY_JOINER.search(text)
        where = " that joins nothing"
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "a control character")
    return f"U+{ord(char):04X} ({name.lower()}){where}"


def without_stray_joiners(text: str) -> str:
    """``text`` without joiners that join nothing (see :data:`_STRAY_JOINER`)."""
    return _STRAY_JOINER.sub("", text)


def _ascii_digit(found: re.Match[str]) -> str:
    return str(unicodedata.decimal(found.group()))


def as_typed_identifier(text: str) -> str:
    """NFKC, and ASCII digits for every script's decimal digits: fullwidth and other
    compatibility forms, and other scripts' digits, read as what they look like."""
    text = unicodedata.normalize("NFKC", text)
    return text if text.isascii() else _DIGIT.sub(_ascii_digit, text)


def clean_text(text: str) -> str:
    """Normalise untrusted text once, where it enters: NFC, no harmful invisible or control
    characters (see :mod:`bot.text.unicode`; joiners stay), whitespace runs (line breaks
    included) collapsed to one space."""
    text = unicodedata.normalize("NFC", text)
    text = without_invisible(text.replace("\t", " ").replace("\r", " ").replace("\n", " "))
    return " ".join(text.split())
