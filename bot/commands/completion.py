"""Suggestions for what a user is typing in a command's parameter (Discord's autocomplete;
any platform with typed options can use it). The rules live here, in the core; an adapter only
turns the ``(label, value)`` pairs into its platform's choices within its limits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from bot.arxiv import taxonomy
from bot.delivery.local_time import available_zones
from bot.model.languages import LANGUAGES

Completion = Literal["category", "followed", "timezone", "language", "keyword"]


def complete(
    kind: Completion, current: str, *, limit: int = 25, max_chars: int = 100
) -> list[tuple[str, str]]:
    """At most ``limit`` ``(label, value)`` pairs for what is typed so far, each at most
    ``max_chars`` long; nothing for a kind without suggestions (keywords are free text)."""
    source = COMPLETERS.get(kind)
    return source(current, limit, max_chars) if source is not None else []


def _is_category_word(word: str) -> bool:
    return taxonomy.canonical(word) is not None or word.lower() in taxonomy.archives()


def _split_typed(current: str) -> tuple[str, str]:
    """``(earlier categories, what is being typed)``: the last word, with the words before it
    that are not categories, since a name has several ("machine lea")."""
    words = current.split()
    typing = [] if current.endswith(" ") or not words else [words.pop()]
    while words and not _is_category_word(words[-1]):
        typing.insert(0, words.pop())
    head = " ".join(words)
    return (f"{head} " if head else ""), " ".join(typing)


def _categories(current: str, limit: int, max_chars: int) -> list[tuple[str, str]]:
    """``(label, value)`` pairs: categories (with their names) matching what is being typed;
    earlier categories are kept so several can be entered."""
    head, typed = _split_typed(current)
    needle = typed.lower()
    hits = []
    for cid, cat in taxonomy.categories().items():
        if cat.alias_of is not None:
            continue
        value = f"{head}{cid}"
        if len(value) > max_chars:  # cut, it would name another (or no) category
            continue
        if cid.lower().startswith(needle) or (needle and needle in cat.name.lower()):
            hits.append((f"{cid} — {cat.name}"[:max_chars], value))
    return sorted(hits)[:limit]


def followed(
    categories: Sequence[str], current: str, limit: int, max_chars: int
) -> list[tuple[str, str]]:
    """The categories a chat follows that match what is being typed, and ``all``: what
    /unsubscribe can take (suggesting others would only lead to "does not follow")."""
    head, typed = _split_typed(current)
    needle = typed.lower()
    chosen = {word.lower() for word in head.split()}
    hits = []
    for cid in categories:
        cat = taxonomy.categories().get(cid)
        name = cat.name if cat is not None else cid
        value = f"{head}{cid}"
        if cid.lower() in chosen or len(value) > max_chars:
            continue
        if cid.lower().startswith(needle) or (needle and needle in name.lower()):
            hits.append((f"{cid} — {name}"[:max_chars], value))
    if not head and "all".startswith(needle):
        hits.append(("all — every category this chat follows", "all"))
    return hits[:limit]


def _zones(current: str, limit: int, max_chars: int) -> list[tuple[str, str]]:
    needle = current.strip().lower().replace(" ", "_")
    hits = sorted(z for z in available_zones() if needle in z.lower())
    return [(z, z) for z in hits[:limit]]


def _languages(current: str, limit: int, max_chars: int) -> list[tuple[str, str]]:
    needle = current.strip().lower()
    hits = [
        (f"{name} ({code})", code)
        for code, name in sorted(LANGUAGES.items())
        if code.startswith(needle) or needle in name.lower()
    ]
    return hits[:limit]


COMPLETERS: dict[str, Callable[[str, int, int], list[tuple[str, str]]]] = {
    "category": _categories,
    "timezone": _zones,
    "language": _languages,
}
