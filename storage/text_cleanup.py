"""A data step of the schema history: what chats typed before typed text was checked.

Since the rule of :mod:`bot.text.unicode`, a keyword, an excluded keyword, a followed author
or interests holding a bidirectional control or another hidden character (a right-to-left
override shows a keyword reversed in everyone's /settings; a zero-width space makes two
equal-looking words differ) is refused when typed. What was saved before still holds them:
this step cleans it, with the same rule (:func:`cleaned`: NFC, harmful invisible and control
characters removed, joiners that scripts need kept and those that join nothing removed,
whitespace collapsed), drops an entry left empty and the second of two entries the cleaning
made one. It runs again whenever the rule learns of more characters to refuse.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Callable, Iterable

from bot.text.unicode import clean_text, without_stray_joiners
from storage.sql import Transaction

log = logging.getLogger(__name__)

CONFIRMED = "!"
"""The mark of a confirmed followed name (``Li!``; see ``Profile.authors``): ``Li`` and
``Li!`` are one author."""

LISTS = ("keywords", "exclude", "authors")


def _word_key(text: str) -> str:
    """Two keywords are one when they differ only in case or compatibility forms (as typed
    keywords are compared)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _author_key(text: str) -> str:
    return _word_key(text.removesuffix(CONFIRMED))


KEYS: dict[str, Callable[[str], str]] = {
    "keywords": _word_key,
    "exclude": _word_key,
    "authors": _author_key,
}


def cleaned(text: str) -> str:
    """What typed text may hold now, of what was saved."""
    return " ".join(without_stray_joiners(clean_text(text)).split())


def cleaned_list(items: Iterable[str], key: Callable[[str], str]) -> list[str]:
    """Each entry cleaned; empty ones dropped; of entries that became one, the first kept."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        text = cleaned(item)
        if text and key(text) not in seen:
            seen.add(key(text))
            out.append(text)
    return out


async def clean_subscription_text(db: Transaction) -> None:
    """Rewrite the subscriptions whose lists or interests the cleaning changes (the others
    are left as they are, ``updated_at`` included)."""
    rows = await db.fetchall(
        "SELECT platform, chat_id, keywords, exclude, authors, interests FROM subscriptions"
    )
    changed = 0
    for row in rows:
        before = {name: json.loads(row[name]) for name in LISTS}
        after = {name: cleaned_list(before[name], KEYS[name]) for name in LISTS}
        interests = cleaned(row["interests"])
        if after == before and interests == row["interests"]:
            continue
        await db.execute(
            "UPDATE subscriptions SET keywords = ?, exclude = ?, authors = ?, interests = ? "
            "WHERE platform = ? AND chat_id = ?",
            (
                *(json.dumps(after[name], ensure_ascii=False) for name in LISTS),
                interests,
                row["platform"],
                row["chat_id"],
            ),
        )
        changed += 1
    if changed:
        log.info("cleaned hidden characters from the settings of %d chats", changed)
