"""Splitting and checking what users type after a command."""

from __future__ import annotations

import re

from bot.errors import BadInput

__all__ = ["BadInput", "check_text", "split_args"]

MAX_COMMAND_LENGTH = 1000

_OPENING = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "'": "'", "\u00ab": "\u00bb"}
_CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]")


def check_text(text: str) -> None:
    if len(text) > MAX_COMMAND_LENGTH:
        raise BadInput(
            f"That message is {len(text)} characters long; commands take at most "
            f"{MAX_COMMAND_LENGTH}."
        )
    if _CONTROL.search(text):
        raise BadInput("That message contains control characters; please type it as plain text.")


def split_args(text: str) -> list[str]:
    """Words, with ``"quoted phrases"`` (straight or typographic quotes) kept together. An
    unclosed quote takes the rest of the line: users forget them, and that is what they meant.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch == ",":
            i += 1
            continue
        if ch in _OPENING:
            closing = _OPENING[ch]
            end = text.find(closing, i + 1)
            if end == -1:
                end = n
            phrase = text[i + 1 : end].strip()
            if phrase:
                out.append(phrase)
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != ",":
            j += 1
        out.append(text[i:j])
        i = j
    return out
