"""Helpers the command handlers share: loading a chat's subscription with the operator's
defaults, and describing it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.arxiv import taxonomy
from bot.arxiv.lookup import PaperNotFound, find_paper
from bot.commands.args import split_args
from bot.commands.registry import Call
from bot.contract.messages import (
    Block,
    Bold,
    Inline,
    Reply,
    Text,
    bold,
    bullets,
    error,
    inlines,
    para,
    reply,
)
from bot.delivery.local_time import next_local_time, zone
from bot.delivery.schedule import rescheduled
from bot.delivery.unusable import stopped_text
from bot.errors import ArxivError, BadInput, user_message
from bot.model.languages import LANGUAGES
from bot.model.papers import Paper
from bot.model.subscriptions import WEEKDAYS, Subscription


def new_subscription(call: Call) -> Subscription:
    s = call.services.settings
    chat = call.ctx.chat
    return Subscription(
        platform=chat.platform,
        chat_id=chat.chat_id,
        chat_kind=chat.kind,
        created_by=call.ctx.user_id,
        include_cross=s.include_cross,
        max_papers=min(s.max_papers, s.chat_max_papers),
        min_score=s.min_score,
        delivery_time=s.delivery_time,
        timezone=s.timezone,
        language=s.summary_language,
        created_at=call.services.clock(),
        updated_at=call.services.clock(),
    )


async def load(call: Call) -> Subscription:
    """The chat's subscription, or a fresh one (not saved until something is set)."""
    chat = call.ctx.chat
    found = await call.services.store.get_subscription(chat.platform, chat.chat_id)
    return found or new_subscription(call)


async def save(call: Call, subscription: Subscription) -> None:
    """Durable before the reply that announces it goes out; the next digest's time follows
    any change of delivery time, zone or frequency."""
    store = call.services.store
    old = await store.get_subscription(subscription.platform, subscription.chat_id)
    await store.save_subscription(rescheduled(old, subscription, call.services.clock()))
    if call.services.replan is not None:
        call.services.replan()


def category_label(category: str) -> str:
    if category in taxonomy.archives() and taxonomy.canonical(category) is None:
        return f"{category} (all of {taxonomy.archives()[category].name})"
    return taxonomy.label(category)


def schedule_text(sub: Subscription) -> str:
    when = f"at {sub.delivery_time} {sub.timezone}"
    if sub.frequency == "weekly":
        return f"weekly on {WEEKDAYS[sub.weekday].capitalize()} {when}"
    return f"every announcement day {when}"


def next_delivery_text(call: Call, sub: Subscription) -> str:
    weekday = sub.weekday if sub.frequency == "weekly" else None
    moment = next_local_time(
        sub.delivery_time, sub.timezone, call.services.clock(), weekday=weekday
    )
    local = moment.astimezone(zone(sub.timezone))
    return local.strftime("%a %d %b %Y, %H:%M %Z")


def quoted(words: Sequence[str]) -> str:
    return ", ".join(f'"{w}"' if " " in w else w for w in words) or "none"


def sentence(message: object) -> str:
    """A message as a sentence: its first letter in capitals, the rest as written (names and
    keywords keep their case)."""
    text = str(message)
    return text[:1].upper() + text[1:]


LIST_VERBS = ("add", "remove", "set", "clear")
_VERB = re.compile(r"\s*(?P<verb>\w+)(?:[\s,]+|$)")


def _no_notes(given: Sequence[str]) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class EditableList:
    """A list in a subscription that a command edits with add|remove|set|clear (/keywords,
    /exclude, /authors): what differs between them. ``normalize`` checks and cleans what
    was typed (raising ``ValueError`` with a message for the user); ``key`` tells two
    spellings of one item apart; ``refused`` answers a ``ValueError`` (default: the message,
    and that nothing changed); ``notes`` adds lines about items just added or set."""

    field: str
    limit: int
    noun: str
    command: str
    normalize: Callable[[Iterable[str]], list[str]]
    key: Callable[[str], str]
    split: Callable[[str], list[str]] = split_args
    list_example: str = '"mixture of experts" RL'
    items_example: str = 'LLM "speculative decoding"'
    refused: Callable[[ValueError, str, list[str]], Reply] | None = None
    notes: Callable[[Sequence[str]], list[str]] = _no_notes


async def edit_list(call: Call, kind: EditableList) -> Reply:
    """``/command [add|remove|set|clear|list] items``: one change, checked whole before
    anything is saved (a bad item changes nothing), within the list's limit."""
    sub = await load(call)
    current: tuple[str, ...] = getattr(sub, kind.field)
    m = _VERB.match(call.args)
    verb = m["verb"].lower() if m else None
    if verb not in (*LIST_VERBS, "list", "delete", "rm"):
        verb = None
    if verb in ("delete", "rm"):
        verb = "remove"
    items = kind.split(call.args[m.end() :] if m and verb else call.args)
    if verb == "list" or (verb is None and not items):
        return reply(
            f"{kind.noun.capitalize()} ({len(current)}): {quoted(current)}",
            f"Change them with /{kind.command} add|remove|set|clear, "
            f"e.g. /{kind.command} add {kind.list_example}",
        )
    verb = verb or "add"
    given: list[str] = []
    if verb == "clear" and items:  # "/keywords clear LLM": unclear which was meant
        return error(
            f"/{kind.command} clear removes every one of them and takes nothing after it; "
            f"to remove some, use /{kind.command} remove {kind.items_example}"
        )
    if verb == "clear":
        updated: tuple[str, ...] = ()
    else:
        if not items:
            return error(
                f"Say which {kind.noun} to {verb}, e.g. /{kind.command} {verb} "
                f"{kind.items_example}"
            )
        try:
            if verb == "remove":
                keys = {kind.key(w) for w in items}
            else:
                given = kind.normalize(items)
        except ValueError as exc:
            if kind.refused is not None:
                return kind.refused(exc, verb, items)
            return error(f"{sentence(exc)}. Nothing was changed.")
        if verb == "add":
            # Only what was typed is checked: an item stored under older rules stays.
            known = {kind.key(c) for c in current}
            updated = (*current, *(g for g in given if kind.key(g) not in known))
        elif verb == "set":
            updated = tuple(given)
        else:
            unknown = [w for w in items if kind.key(w) not in {kind.key(c) for c in current}]
            if unknown:
                return error(
                    f"Not in the list: {quoted(unknown)}. "
                    f"Current {kind.noun}: {quoted(current)}. Nothing was changed."
                )
            updated = tuple(c for c in current if kind.key(c) not in keys)
    if len(updated) > kind.limit:
        return error(
            f"A chat can have at most {kind.limit} {kind.noun}; this would make {len(updated)}. "
            "Nothing was changed."
        )
    sub = sub.changed(**{kind.field: updated})
    await save(call, sub)
    return reply(
        f"{kind.noun.capitalize()} ({len(updated)}): {quoted(updated)}", *kind.notes(given)
    )


def describe(call: Call, sub: Subscription) -> list[Block]:
    """Everything about a chat's subscription, for /settings, /start and confirmations."""
    state: list[Inline] = []
    if not sub.active:
        state = [bold("Stopped: "), Text(stopped_text(sub.inactive_reason))]
    elif sub.paused:
        state = [bold("Paused"), Text(": no digests until /resume.")]
    elif not sub.categories:
        state = [bold("Not subscribed"), Text(" yet: add categories with /subscribe cs.AI")]
    else:
        state = [bold("Active"), Text(f": next digest {next_delivery_text(call, sub)}.")]
    rows: list[tuple[Inline, ...]] = [
        (
            bold("Categories: "),
            Text(", ".join(category_label(c) for c in sub.categories) or "none"),
        ),
        (bold("Keywords: "), Text(quoted(sub.keywords))),
        (bold("Excluded: "), Text(quoted(sub.exclude))),
        (bold("Interests: "), Text(sub.interests or "none (set them with /interests)")),
        (bold("Interests match by: "), Text(matching_text(call))),
        (bold("Authors: "), Text(quoted(sub.authors))),
        (bold("Delivery: "), Text(schedule_text(sub))),
        (
            bold("Papers: "),
            Text(
                f"up to {sub.max_papers}, minimum score {sub.min_score:g}, "
                f"cross-lists {'included' if sub.include_cross else 'not included'}"
            ),
        ),
        (bold("Summary language: "), Text(f"{LANGUAGES.get(sub.language, sub.language)}")),
    ]
    return [para(*state), bullets(rows)]


def matching_text(call: Call) -> str:
    """Which similarity ranks by interests here, and whether it works right now."""
    embedder = call.services.embedder
    if embedder is None:
        return "words (BM25; no embeddings configured)"
    if embedder.failure:
        return f"words for now: embeddings {embedder.label} unavailable ({embedder.failure})"
    return f"meaning: embeddings {embedder.label}"


def title(text: str) -> Block:
    return para(Bold(inlines(text)))


async def find_paper_or_reply(call: Call, text: str) -> Paper | Reply:
    """The paper an ID or link names (stored, else from arXiv), or the reply saying why not."""
    try:
        return await find_paper(call.services.store, call.services.papers, text)
    except PaperNotFound as exc:
        return error(f"{exc}. Check the identifier and try again.")
    except (BadInput, ArxivError) as exc:
        return error(user_message(exc))
