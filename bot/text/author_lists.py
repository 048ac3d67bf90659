"""Author lists as arXiv prints them: one place for how a field becomes names.

Both the announcement feed (``bot.arxiv``) and author matching (``bot.ranking``) read author
fields, so the rule lives here, below both.
"""

from __future__ import annotations

import re

from bot.text.latex import readable
from bot.text.unicode import clean_text

_PARENTHESISED = re.compile(r"\s*\([^()]*\)")
_JOINERS = re.compile(r"\s+(?:and|&)\s+|\s+(?:for|on behalf of)\s+the\s+")
_LEADING_AND_OR_ET_AL = re.compile(r"^(?:and|&)\s+|\s*\bet\.?\s+al\b\.?$")


def split_authors(field: str) -> list[str]:
    """One author per name in an arXiv author string: ``"A (Univ X, Y), B and C et al."`` ->
    ``["A", "B", "C"]``. Affiliations are dropped (they may contain commas and nest
    parentheses), LaTeX accents become letters, a collaboration stays one author."""
    names: list[str] = []
    for chunk in _top_level_chunks(field):
        chunk = _without_parenthesised(chunk)
        for piece in _JOINERS.split(chunk):
            name = clean_text(readable(piece))
            name = _LEADING_AND_OR_ET_AL.sub("", name)
            if name and name.casefold() not in {"et al", "et al.", "others"}:
                names.append(name)
    return names


def _top_level_chunks(field: str) -> list[str]:
    """Split at commas and semicolons outside parentheses and braces."""
    chunks: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(field):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth = max(depth - 1, 0)
        elif ch in ",;" and depth == 0:
            chunks.append(field[start:i])
            start = i + 1
    chunks.append(field[start:])
    return chunks


def _without_parenthesised(name: str) -> str:
    """``"A (Dept. of X (DX), Univ)"`` -> ``"A"``: affiliations may nest parentheses."""
    while (shorter := _PARENTHESISED.sub("", name)) != name:
        name = shorter
    return name
