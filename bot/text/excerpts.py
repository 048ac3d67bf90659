"""Short forms of long texts: an abstract's excerpt and its first sentences as a TL;DR."""

from __future__ import annotations

import re

ABSTRACT_EXCERPT = 300
TLDR_LIMIT = 280

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def excerpt(text: str, limit: int = ABSTRACT_EXCERPT) -> str:
    """The first ``limit`` characters, cut at a word when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "..."


def abstract_tldr(abstract: str) -> str:
    """The abstract's first sentences up to ~280 characters: what a folded card shows until a
    model's TL;DR exists."""
    out = ""
    for sentence in _SENTENCE_END.split(abstract):
        if out and len(out) + len(sentence) + 1 > TLDR_LIMIT:
            break
        out = f"{out} {sentence}".strip()
    return excerpt(out, TLDR_LIMIT)
