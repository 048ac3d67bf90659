"""Commands that change a chat's subscription."""

from __future__ import annotations

from dataclasses import replace

from bot.arxiv import taxonomy
from bot.commands.args import split_args
from bot.commands.common import (
    EditableList,
    category_label,
    describe,
    edit_list,
    load,
    next_delivery_text,
    save,
    schedule_text,
    title,
)
from bot.commands.feedback_cmds import votes_text
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Button, Reply, bold, bullets, error, para, reply
from bot.delivery.local_time import canonical_zone, parse_hh_mm, suggest_zones
from bot.delivery.unusable import BACK_ON_TEXT
from bot.model.languages import LANGUAGES, language_code
from bot.model.subscriptions import (
    MAX_CATEGORIES,
    MAX_EXCLUDES,
    MAX_KEYWORDS,
    WEEKDAYS,
    InterestsError,
    normalize_interests,
)
from bot.ranking.keywords import normalize_keyword, normalize_keywords

PICKER_COLUMNS = 3
CATEGORIES = Param("categories", "arXiv categories, e.g. cs.AI cs.LG", complete="category")
FOLLOWED = Param("categories", "categories this chat follows, or all", complete="followed")
WORDS = Param("words", 'add|remove|set|clear, then words or "quoted phrases"', complete="keyword")


def _rows(buttons: list[Button], columns: int = PICKER_COLUMNS) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + columns]) for i in range(0, len(buttons), columns))


def archive_picker() -> Reply:
    buttons = [
        Button(a.id, f"pick:{a.id}")
        for a in sorted(taxonomy.archives().values(), key=lambda a: a.id)
    ]
    return reply("Pick an arXiv archive, then a category:", buttons=_rows(buttons, 4))


def category_picker(archive: str) -> Reply:
    cats = taxonomy.archive_categories(archive)
    if not cats:
        return error(f"There is no arXiv archive called '{archive}'.")
    buttons = [Button(c, f"sub:{c}") for c in cats]
    if len(cats) > 1:
        buttons.append(Button(f"All of {archive}", f"all:{archive}"))
    listing = bullets(taxonomy.label(c) for c in cats)
    return reply(
        f"Categories of {archive} ({taxonomy.archives()[archive].name}):",
        listing,
        buttons=_rows(buttons),
    )


def _covered(category: str, followed: tuple[str, ...]) -> bool:
    """Whether a followed whole archive (``cs``) already brings ``category`` (``cs.AI``)."""
    return category in followed or category.split(".", 1)[0] in followed


async def _add_categories(call: Call, added: list[str]) -> Reply:
    sub = await load(call)
    fresh = [c for c in added if not _covered(c, sub.categories)]
    if not fresh:
        return reply(f"This chat already follows {', '.join(added)}.")
    # A whole archive replaces the categories of it the chat followed one by one.
    kept = tuple(c for c in sub.categories if not _covered(c, tuple(fresh)))
    total = len(kept) + len(fresh)
    if total > MAX_CATEGORIES:
        return error(
            f"A chat can follow at most {MAX_CATEGORIES} categories; this would make {total}. "
            "Remove some with /unsubscribe first."
        )
    sub = sub.changed(categories=(*kept, *fresh))
    await save(call, sub)
    lines = [f"Subscribed to {', '.join(category_label(c) for c in fresh)}."]
    if not sub.keywords:
        lines.append(
            "Every new paper of these categories will be listed; narrow it down with "
            '/keywords add LLM "mixture of experts"'
        )
    return reply(*lines, *describe(call, sub))


def _resolve(text: str) -> taxonomy.Resolution:
    """Like :func:`taxonomy.resolve`, with ``"quoted names"`` (``/subscribe "machine
    learning" cs.AI``) taken as one name each, as /keywords takes quoted phrases."""
    whole = taxonomy.resolve(text)
    if not whole.unknown:
        return whole
    found = [taxonomy.resolve(part) for part in split_args(text)]
    return taxonomy.Resolution(
        categories=tuple(dict.fromkeys(c for r in found for c in r.categories)),
        archives=tuple(dict.fromkeys(a for r in found for a in r.archives)),
        unknown=tuple(u for r in found for u in r.unknown),
    )


@command(
    "subscribe",
    summary="follow arXiv categories",
    usage="subscribe [category ...]",
    example="/subscribe cs.AI cs.LG",
    access="admin",
    params=(CATEGORIES,),
    details="Categories like cs.AI, whole archives like cs (after you confirm), or "
    "names like 'machine learning'. Without arguments, pick from a list.",
)
async def subscribe(call: Call) -> Reply:
    if not call.args.strip():
        return archive_picker()
    found = _resolve(call.args)
    if found.unknown:
        lines = []
        for word, hints in found.unknown:
            tip = f" Did you mean {', '.join(hints)}?" if hints else ""
            lines.append(f"'{word}' is not an arXiv category.{tip}")
        lines.append(
            "Nothing was changed. Example: /subscribe cs.AI cs.LG, "
            "or /subscribe with no arguments to pick from a list."
        )
        return error(*lines)
    if found.archives:
        prompt = await _add_categories(call, list(found.categories)) if found.categories else None
        buttons = tuple(
            (Button(f"Yes, all of {a}", f"all:{a}"), Button(f"Pick from {a}", f"pick:{a}"))
            for a in found.archives
        )
        names = ", ".join(
            f"{a} ({len(taxonomy.archive_categories(a))} categories)" for a in found.archives
        )
        ask = reply(
            f"{names} is a whole archive, which can be hundreds of papers a day. "
            "Follow all of it?",
            buttons=buttons,
        )
        return ask if prompt is None else Reply(prompt.blocks, extra=(ask,))
    return await _add_categories(call, list(found.categories))


@action("sub", access="admin")
async def subscribe_category(call: Call) -> Reply:
    """Button: ``sub:<category>``."""
    category = taxonomy.canonical(call.args)
    if category is None:
        return error(f"'{call.args}' is not an arXiv category.")
    return await _add_categories(call, [category])


@action("all", access="admin")
async def subscribe_archive(call: Call) -> Reply:
    """Button: ``all:<archive>`` (the confirmation of a whole archive)."""
    archive = call.args.lower()
    if not taxonomy.archive_categories(archive):
        return error(f"There is no arXiv archive called '{archive}'.")
    return await _add_categories(call, [archive])


@action("pick", access="admin")
async def pick(call: Call) -> Reply:
    """Button: ``pick:<archive>``."""
    return category_picker(call.args.lower())


@command(
    "unsubscribe",
    summary="stop following categories",
    usage="unsubscribe [category ...|all]",
    example="/unsubscribe cs.CV",
    access="admin",
    params=(FOLLOWED,),
)
async def unsubscribe(call: Call) -> Reply:
    sub = await load(call)
    words = split_args(call.args)
    if not sub.categories:
        return reply("This chat follows no categories.")
    if not words:
        buttons = [Button(c, f"unsub:{c}") for c in sub.categories] + [Button("All", "unsub:all")]
        return reply("Which categories should this chat stop following?", buttons=_rows(buttons))
    if [w.lower() for w in words] == ["all"]:
        sub = sub.changed(categories=())
        await save(call, sub)
        return reply("Unsubscribed from every category; no more digests. Your keywords are kept.")
    removing: list[str] = []
    missing: list[str] = []
    for word in words:
        cid = taxonomy.canonical(word) or (
            word.lower() if word.lower() in sub.categories else None
        )
        if cid in sub.categories:
            removing.append(cid)
        else:
            missing.append(word)
    if missing:
        return error(
            f"This chat does not follow {', '.join(missing)}. "
            f"It follows {', '.join(sub.categories)}. "
            "Nothing was changed."
        )
    sub = sub.changed(categories=tuple(c for c in sub.categories if c not in removing))
    await save(call, sub)
    left = ", ".join(sub.categories) or "nothing (no more digests)"
    return reply(f"Unsubscribed from {', '.join(removing)}. This chat now follows {left}.")


@action("unsub", access="admin")
async def unsubscribe_button(call: Call) -> Reply:
    """Button: ``unsub:<category>|all``."""
    return await unsubscribe(call)


def _keyword_key(text: str) -> str:
    return normalize_keyword(text).casefold()


KEYWORDS = EditableList(
    field="keywords",
    limit=MAX_KEYWORDS,
    noun="keywords",
    command="keywords",
    normalize=normalize_keywords,
    key=_keyword_key,
)
EXCLUDES = replace(
    KEYWORDS, field="exclude", limit=MAX_EXCLUDES, noun="excluded keywords", command="exclude"
)


@command(
    "keywords",
    summary="keywords that rank papers",
    usage="keywords [add|remove|set|clear] ...",
    example='/keywords add LLM "mixture of experts"',
    access="admin",
    params=(WORDS,),
    details="Each keyword found adds 1 to a paper's score, 0.5 more in the title. "
    "Whole words, any case, plurals too; quote phrases.",
)
async def keywords(call: Call) -> Reply:
    return await edit_list(call, KEYWORDS)


@command(
    "exclude",
    summary="keywords that remove papers",
    usage="exclude [add|remove|set|clear] ...",
    example="/exclude add survey",
    access="admin",
    params=(WORDS,),
)
async def exclude(call: Call) -> Reply:
    return await edit_list(call, EXCLUDES)


@command(
    "interests",
    summary="your interests in words: close papers rank higher",
    usage="interests [text|clear]",
    example="/interests efficient inference and serving of LLMs, KV cache, quantization",
    access="admin",
    params=(Param("text", "a sentence or a paragraph; 'clear' forgets them"),),
    details="Papers close to these words rank higher, and may enter the digest without a "
    "keyword. A sentence or a paragraph in your own words works best.",
)
async def interests(call: Call) -> Reply:
    sub = await load(call)
    text = call.args.strip()
    if not text:
        shown = sub.interests or "none yet"
        return reply(
            f"Interests: {shown}",
            "Set them with /interests and a sentence, e.g. /interests efficient inference "
            "of LLMs, KV cache, quantization; /interests clear forgets them.",
        )
    first, _, rest = text.partition(" ")
    if first.lower() == "clear" and rest.strip():
        return error(
            "/interests clear forgets them and takes nothing after it; to set new interests, "
            "write them after /interests alone."
        )
    if text.lower() == "clear":
        await save(call, sub.changed(interests=""))
        return reply("Interests cleared: keywords alone rank papers now.")
    try:
        cleaned = normalize_interests(text)
    except InterestsError as exc:
        return error(f"{str(exc).capitalize()}. Nothing was changed.")
    await save(call, sub.changed(interests=cleaned))
    return reply(
        f"Interests: {cleaned}",
        "Papers close to them rank higher, and may enter the digest without a keyword.",
    )


@command(
    "time",
    summary="when digests arrive",
    usage="time HH:MM [Area/City]",
    example="/time 08:30 Europe/Berlin",
    access="admin",
    params=(
        Param("time", "24-hour time, e.g. 08:30", required=True),
        Param("timezone", "IANA zone, e.g. Europe/Berlin", complete="timezone"),
    ),
)
async def set_time(call: Call) -> Reply:
    words = split_args(call.args)
    example = "Example: /time 08:30 Europe/Berlin"
    if not words:
        sub = await load(call)
        return reply(f"Digests arrive {schedule_text(sub)}.", example)
    hh_mm = parse_hh_mm(words[0])
    if hh_mm is None:
        return error(f"'{words[0]}' is not a time of day (24-hour HH:MM). {example}")
    sub = await load(call)
    tz = sub.timezone
    if len(words) >= 2:
        # "America/New York": more words are a zone with spaces, which gets a suggestion.
        zone_text = " ".join(words[1:])
        found = canonical_zone(zone_text)
        if found is None:
            hints = suggest_zones(zone_text)
            tip = f" Did you mean {', '.join(hints)}?" if hints else ""
            return error(f"'{zone_text}' is not an IANA time zone.{tip} {example}")
        tz = found
    sub = sub.changed(delivery_time=hh_mm, timezone=tz)
    await save(call, sub)
    return reply(
        f"Digests will arrive {schedule_text(sub)}. Next: {next_delivery_text(call, sub)}."
    )


@command(
    "language",
    summary="the language of summaries",
    usage="language CODE",
    example="/language de",
    access="admin",
    params=(Param("code", "e.g. en, zh, de", complete="language"),),
)
async def set_language(call: Call) -> Reply:
    words = split_args(call.args)
    sub = await load(call)
    if not words:
        return reply(
            f"Summaries are written in {LANGUAGES.get(sub.language, sub.language)} "
            f"({sub.language}).",
            "Change it with /language CODE, e.g. /language de",
        )
    code = language_code(words[0]) if len(words) == 1 else None
    if code is None:
        known = ", ".join(sorted(LANGUAGES))
        return error(
            f"'{' '.join(words)}' is not a language I can write summaries in. Use a code: {known}."
        )
    sub = sub.changed(language=code)
    await save(call, sub)
    return reply(f"Summaries will be written in {LANGUAGES[code]} ({code}).")


def _weekday(text: str) -> int | None:
    lowered = text.lower()
    for i, name in enumerate(WEEKDAYS):
        if len(lowered) >= 2 and name.startswith(lowered):
            return i
    return None


@command(
    "frequency",
    summary="daily or weekly digests",
    usage="frequency daily|weekly [weekday]",
    example="/frequency weekly friday",
    access="admin",
    params=(
        Param("frequency", "daily or weekly", choices=("daily", "weekly")),
        Param("weekday", "for weekly digests"),
    ),
)
async def set_frequency(call: Call) -> Reply:
    words = [w.lower() for w in split_args(call.args)]
    example = "Example: /frequency daily, or /frequency weekly friday"
    sub = await load(call)
    if not words:
        return reply(f"Digests arrive {schedule_text(sub)}.", example)
    if words[0] == "daily" and len(words) == 1:
        sub = sub.changed(frequency="daily")
    elif words[0] == "weekly" and len(words) <= 2:
        day = _weekday(words[1]) if len(words) == 2 else sub.weekday
        if day is None:
            return error(f"'{words[1]}' is not a weekday. {example}")
        sub = sub.changed(frequency="weekly", weekday=day)
    else:
        return error(f"I understand 'daily' or 'weekly [weekday]'. {example}")
    await save(call, sub)
    extra = " with the best papers of the week" if sub.frequency == "weekly" else ""
    return reply(f"Digests will arrive {schedule_text(sub)}{extra}.")


@command(
    "settings",
    summary="everything about this chat's subscription",
    usage="settings",
    example="/settings",
    private_reply=True,
    aliases=("list",),
    shows_chat_state=True,
)
async def settings(call: Call) -> Reply:
    sub = await load(call)
    votes = para(bold("Votes: "), await votes_text(call))
    return reply(title("Settings of this chat"), *describe(call, sub), votes)


@command("pause", summary="stop digests for now", usage="pause", example="/pause", access="admin")
async def pause(call: Call) -> Reply:
    sub = await load(call)
    if sub.paused:
        return reply("Digests are already paused; /resume restarts them.")
    await save(call, sub.changed(paused=True))
    return reply("Paused: no digests until /resume. Your settings are kept.")


@command(
    "resume",
    summary="restart paused digests",
    usage="resume",
    example="/resume",
    access="admin",
    shows_chat_state=True,
)
async def resume(call: Call) -> Reply:
    sub = await load(call)
    if not sub.paused and sub.active:
        return reply("Digests are not paused.", *describe(call, sub))
    said = "Resumed." if sub.active else BACK_ON_TEXT  # a stopped chat: as /start says it
    sub = sub.changed(paused=False, active=True, inactive_reason=None)
    await save(call, sub)
    return reply(said, *describe(call, sub))
