"""Helpers the command handlers share: loading a chat's subscription with the operator's
defaults, and describing it."""

from __future__ import annotations

from bot.arxiv import taxonomy
from bot.arxiv.lookup import PaperNotFound, find_paper
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
)
from bot.delivery.local_time import next_local_time, zone
from bot.delivery.schedule import rescheduled
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


def quoted(words: tuple[str, ...]) -> str:
    return ", ".join(f'"{w}"' if " " in w else w for w in words) or "none"


def describe(call: Call, sub: Subscription) -> list[Block]:
    """Everything about a chat's subscription, for /settings, /start and confirmations."""
    state: list[Inline] = []
    if not sub.active:
        reason = f" ({sub.inactive_reason})" if sub.inactive_reason else ""
        state = [bold("Stopped"), Text(f": the platform refused delivery{reason}. Use /start.")]
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
