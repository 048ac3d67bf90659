"""Keywords: how users write them, and how they are found in a paper.

Matching is on whole words, case-insensitive, with phrases and simple plurals, so ``LLM``
finds "LLMs" and "LLM-based", ``RL`` does not find "world" and ``Fast`` does not find
"breakfast" (the legacy script's substring test did). Hyphens, line breaks and spaces are all
word separators, so ``mixture of experts`` also finds "Mixture-of-Experts". A hyphenated
compound is also indexed joined ("pre-training" is found by ``pretraining``). Keywords in
scripts written without spaces (CJK) are matched as substrings, the only test that works there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from bot.errors import BadInput

MAX_KEYWORD_LENGTH = 100

_WORD = re.compile(r"[^\W_]+")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")
# Tried at word starts only, never backtracking into a word: linear, where the plain
# r"[^\W_]+(?:-[^\W_]+)+" retries every position of every word (same matches, 3x slower).
_COMPOUND = re.compile(r"(?<![^\W_])[^\W_]++(?:-[^\W_]++)+")
_NO_SPACES_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2060-\u2064\ufeff]")


class KeywordError(BadInput):
    """A keyword a user or operator wrote that cannot be used; the message says why."""


def normalize_keyword(raw: str) -> str:
    """One keyword as we store and show it: NFC, single spaces, no control characters."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", raw))
    text = " ".join(text.split()).strip(_QUOTES)
    text = " ".join(text.split())
    if not text:
        raise KeywordError("an empty keyword is not allowed")
    if len(text) > MAX_KEYWORD_LENGTH:
        raise KeywordError(
            f"keyword '{text[:30]}…' is {len(text)} characters long; "
            f"the limit is {MAX_KEYWORD_LENGTH}"
        )
    if not _WORD.search(text):
        raise KeywordError(f"keyword '{text}' has no letters or digits")
    return text


def normalize_keywords(raws: Iterable[str]) -> list[str]:
    """Normalise a list, dropping case-insensitive duplicates (first spelling wins)."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in raws:
        kw = normalize_keyword(raw)
        if kw.casefold() not in seen:
            seen.add(kw.casefold())
            out.append(kw)
    return out


def stem(token: str) -> str:
    """A deliberately small plural rule, applied to both sides of a comparison."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("es") and token[-3] in "sxz":
        return token[:-2]
    if len(token) > 4 and token.endswith(("ches", "shes")):
        return token[:-2]
    if len(token) >= 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Stemmed, case-folded words of a text, in order. An acronym's plural ("GPUs", "LLMs")
    loses its ``s`` before case folding, where the English rules would keep it ("gpus" looks
    like "corpus")."""
    return [_token(w) for w in _WORD.findall(text)]


@lru_cache(maxsize=1 << 16)  # a day's abstracts use the same few thousand words over and over
def _token(word: str) -> str:
    return stem((word[:-1] if _ACRONYM_PLURAL.fullmatch(word) else word).casefold())


def compounds(text: str) -> set[str]:
    """Hyphenated compounds of a text, joined (``pre-training`` -> ``pretraining``)."""
    return {stem(c.replace("-", "")) for c in _COMPOUND.findall(text.casefold())}


def is_substring_keyword(keyword: str) -> bool:
    return bool(_NO_SPACES_SCRIPT.search(keyword))


def contains_sequence(haystack: list[str], needle: tuple[str, ...]) -> bool:
    first, size = needle[0], len(needle)
    start = 0
    while True:
        try:
            at = haystack.index(first, start)
        except ValueError:
            return False
        if tuple(haystack[at : at + size]) == needle:
            return True
        start = at + 1
