"""Splitting and checking what users type after a command."""

from __future__ import annotations

from bot.errors import BadInput
from bot.text.unicode import CONTROL, SURROGATE, as_typed_identifier, invisible_in

__all__ = ["BadInput", "check_text", "split_args"]

MAX_COMMAND_LENGTH = 1000

_OPENING = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "'": "'", "\u00ab": "\u00bb"}


def check_text(text: str) -> None:
    if len(text) > MAX_COMMAND_LENGTH:
        raise BadInput(
            f"That message is {len(text)} characters long; commands take at most "
            f"{MAX_COMMAND_LENGTH}."
        )
    if CONTROL.search(text):
        raise BadInput("That message contains control characters; please type it as plain text.")
    if SURROGATE.search(text):  # bytes that were not UTF-8, or a broken JSON escape
        raise BadInput("That message is not valid text (not UTF-8); please type it again.")
    hidden = invisible_in(text)
    if hidden is not None:
        raise BadInput(
            f"That message contains an invisible character, {hidden}, that would change how "
            "it reads; please type it as plain text."
        )


def split_args(text: str) -> list[str]:
    """Words, with ``"quoted phrases"`` (straight or typographic quotes) kept together. An
    unclosed quote takes the rest of the line: users forget them, and that is what they meant.
    Read in NFKC: fullwidth letters, digits and quotes are what they look like."""
    text = as_typed_identifier(text)
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
