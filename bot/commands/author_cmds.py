"""/authors: the authors a chat follows, edited like /keywords.

A followed author's papers of the chat's categories are always in its digest, first (see
``bot.ranking.scoring``); how names are matched is ``bot.ranking.authors``. A common surname
alone (``Li``) follows every author with it, so it needs a confirmation: a button, or ``!``
after the name (``/authors add Li!``), the same text form the settings and the database use.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.commands.args import split_args
from bot.commands.common import EditableList, edit_list, sentence
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Button, Reply, error
from bot.model.subscriptions import MAX_AUTHORS
from bot.ranking.authors import (
    CONFIRMED,
    AuthorNameError,
    NeedsConfirmation,
    followed_key,
    normalize_followed,
    read_followed,
)

MAX_ACTION_BYTES = 64  # Telegram's limit on what a button carries
_DOUBLE_QUOTES = '"\u201c\u201d\u201e\u00ab\u00bb'
_SEPARATORS = re.compile(r"[,;]")


def names(text: str) -> list[str]:
    """The names typed after the verb: quoted ones (``"Yann LeCun" "LeCun, Yann"``), or,
    without double quotes, names separated by commas or semicolons (``Yann LeCun, Yoshua
    Bengio``), so that one name needs no quotes and an apostrophe (``O'Brien``) is a letter."""
    if not any(ch in text for ch in _DOUBLE_QUOTES):
        return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]
    out: list[str] = []
    for word in split_args(text):
        if word == CONFIRMED and out:  # "Li"! confirms the quoted name before it
            out[-1] += CONFIRMED
        else:
            out.append(word)
    return out


def _typed(name: str) -> str:
    return f'"{name}"' if " " in name or "," in name else name


def _needs_confirmation(name: str) -> bool:
    try:
        read_followed(name)
    except NeedsConfirmation:
        return True
    except AuthorNameError:
        return False
    return False


def _refused(exc: ValueError, verb: str, items: list[str]) -> Reply:
    """A bad name changes nothing. A common surname alone gets the way to confirm it: the
    same command with ``!`` after it, typed or as a button."""
    message = f"{sentence(exc)}. Nothing was changed."
    if not isinstance(exc, NeedsConfirmation):
        return error(message, 'Example: /authors add "Yann LeCun" "Y. Bengio"')
    confirmed = [f"{w}{CONFIRMED}" if _needs_confirmation(w) else w for w in items]
    again = f"{verb} {' '.join(_typed(w) for w in confirmed)}"
    lines = (message, f"To follow every author named {exc.name}: /authors {again}")
    payload = f"authors:{again}"
    if len(payload.encode()) > MAX_ACTION_BYTES:
        return error(*lines)
    button = Button(f"Yes, every {exc.name}", payload)
    return replace(error(*lines), buttons=((button,),))


def _broad_notes(given: Sequence[str]) -> list[str]:
    notes = []
    for text in given:
        name = read_followed(text)
        if name.broad:
            notes.append(
                f"Note: '{name.text}' is a broad name: it finds every author it could be, "
                "which may be many papers a day. A full given name narrows it."
            )
    return notes


AUTHORS = EditableList(
    field="authors",
    limit=MAX_AUTHORS,
    noun="followed authors",
    command="authors",
    normalize=normalize_followed,
    key=followed_key,
    split=names,
    list_example='"Yann LeCun" "Y. Bengio"',
    items_example='"Yann LeCun" "Y. Bengio"',
    refused=_refused,
    notes=_broad_notes,
)


@command(
    "authors",
    summary="authors whose papers are always in the digest",
    usage='authors [add|remove|set|clear] "Name" ...',
    example='/authors add "Yann LeCun"',
    access="admin",
    params=(Param("names", 'add|remove|set|clear, then "quoted names" or names, with commas'),),
    details="A followed author's papers in this chat's categories (cross-lists too) come "
    "first, whatever their keywords; /exclude still removes them. Case, accents and "
    "initials do not matter (Y. LeCun finds Yann LeCun). A surname alone that many share "
    "(Li) needs confirming: /authors add Li!",
)
async def authors(call: Call) -> Reply:
    return await edit_list(call, AUTHORS)


@action("authors", access="admin")
async def authors_button(call: Call) -> Reply:
    """Button: ``authors:<verb> <names>`` (the confirmation of a common surname alone)."""
    return await authors(call)
