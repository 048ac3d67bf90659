"""The arXiv category taxonomy, shipped as data (``bot/arxiv/data/taxonomy.json``).

Every place that accepts a category goes through :func:`resolve`, so validation, typo
suggestions (``cs.Al`` -> ``cs.AI``), archives (``cs``) and common names (``machine learning``)
behave the same in the CLI, in chats and in feeds.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    archive: str
    alias_of: str | None = None


@dataclass(frozen=True, slots=True)
class Archive:
    id: str
    name: str
    group: str


@dataclass(frozen=True, slots=True)
class _Taxonomy:
    categories: dict[str, Category]
    archives: dict[str, Archive]
    groups: dict[str, str]
    old_style_archives: frozenset[str]
    aliases: dict[str, tuple[str, ...]]
    by_lower: dict[str, str] = field(default_factory=dict)


@cache
def _load() -> _Taxonomy:
    raw = json.loads(
        resources.files("bot.arxiv").joinpath("data/taxonomy.json").read_text("utf-8")
    )
    categories = {
        cid: Category(cid, c["name"], c["archive"], c.get("alias_of"))
        for cid, c in raw["categories"].items()
    }
    archives = {aid: Archive(aid, a["name"], a["group"]) for aid, a in raw["archives"].items()}
    return _Taxonomy(
        categories=categories,
        archives=archives,
        groups=dict(raw["groups"]),
        old_style_archives=frozenset(raw["legacy_archives"]) | frozenset(archives),
        aliases={k.lower(): tuple(v) for k, v in raw["aliases"].items()},
        by_lower={cid.lower(): cid for cid in categories},
    )


def categories() -> dict[str, Category]:
    """All categories by id (aliases such as ``math.MP`` included)."""
    return _load().categories


def archives() -> dict[str, Archive]:
    return _load().archives


def old_style_archives() -> frozenset[str]:
    """Archive names an old-style identifier (``hep-th/9901001``) may start with."""
    return _load().old_style_archives


def canonical(category: str) -> str | None:
    """``cs.ai`` -> ``cs.AI``; ``math.MP`` -> ``math-ph``; unknown -> None."""
    tax = _load()
    cid = tax.by_lower.get(category.strip().lower())
    if cid is None:
        return None
    return tax.categories[cid].alias_of or cid


def name(category: str) -> str:
    """Human name of a category, or the id itself when unknown."""
    cat = _load().categories.get(category)
    return cat.name if cat else category


def label(category: str) -> str:
    """``cs.AI (Artificial Intelligence)``."""
    return f"{category} ({name(category)})"


def archive_categories(archive: str) -> list[str]:
    """Canonical categories of an archive, sorted; ``[]`` for an unknown archive."""
    return sorted(
        c.id for c in _load().categories.values() if c.archive == archive and c.alias_of is None
    )


_CONFUSABLE = {"l": "i", "i": "l", "1": "l", "0": "o", "o": "0", "_": ".", "-": "."}


def suggest(text: str, limit: int = 3) -> list[str]:
    """Closest category ids to a mistyped one: look-alike letters first (``cs.Al`` ->
    ``cs.AI``), then spelling distance."""
    tax = _load()
    lowered = text.strip().lower()
    lookalikes = [
        lowered[:i] + _CONFUSABLE[ch] + lowered[i + 1 :]
        for i, ch in enumerate(lowered)
        if ch in _CONFUSABLE
    ]
    pool = list(tax.by_lower) + list(tax.aliases)
    close = difflib.get_close_matches(lowered, pool, n=limit * 2, cutoff=0.6)
    out: list[str] = []
    for hit in [v for v in lookalikes if v in tax.by_lower] + close:
        for cid in tax.aliases.get(hit, (tax.by_lower.get(hit, ""),)):
            best = canonical(cid) if cid else None
            if best and best not in out:
                out.append(best)
    return out[:limit]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a user's category words mean.

    ``categories`` are ready to use; ``archives`` need the user's confirmation (a whole archive
    can be hundreds of papers a day); ``unknown`` maps each unrecognised word to suggestions.
    """

    categories: tuple[str, ...] = ()
    archives: tuple[str, ...] = ()
    unknown: tuple[tuple[str, tuple[str, ...]], ...] = ()


_SPLIT = re.compile(r"[\s,;+]+")


def _by_name(text: str) -> tuple[str, ...]:
    tax = _load()
    lowered = " ".join(text.lower().split())
    if lowered in tax.aliases:
        return tax.aliases[lowered]
    return tuple(
        sorted(
            c.id
            for c in tax.categories.values()
            if c.alias_of is None and c.name.lower() == lowered
        )
    )


def resolve(text: str) -> Resolution:
    """Resolve free text such as ``"cs.AI cs.lg"``, ``"machine learning"`` or ``"cs"``."""
    whole = _by_name(text)
    if whole:
        return Resolution(categories=whole)
    cats: list[str] = []
    archs: list[str] = []
    unknown: list[tuple[str, tuple[str, ...]]] = []
    for word in (w for w in _SPLIT.split(text.strip()) if w):
        if cid := canonical(word):
            cats.append(cid)
        elif word.lower() in archives() and archive_categories(word.lower()):
            archs.append(word.lower())
        elif named := _by_name(word):
            cats.extend(named)
        else:
            unknown.append((word, tuple(suggest(word))))
    return Resolution(
        categories=tuple(dict.fromkeys(cats)),
        archives=tuple(dict.fromkeys(archs)),
        unknown=tuple(unknown),
    )
