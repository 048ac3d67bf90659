"""Settings survive restarts; many chats at once do not interfere; nothing acknowledged is
lost."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.arxiv import taxonomy
from bot.contract.chats import ChatRef, CommandContext
from bot.model.subscriptions import WEEKDAYS
from tests.commands.conftest import OpenBot
from tests.commands.support import GROUP_ADMIN, PLATFORM, PRIVATE, Bot, is_error, text

SETUP = (
    "/subscribe cs.AI cs.LG",
    '/keywords add LLM "mixture of experts" 深度学习',
    "/exclude add survey",
    "/time 8:30 Europe/Berlin",
    "/language de",
    "/frequency weekly fri",
    "/pause",
)


async def test_settings_survive_a_restart(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        for typed in SETUP:
            assert not is_error(await bot.send(PRIVATE, typed)), typed
        await bot.send(GROUP_ADMIN, "/subscribe stat.ML")
        private = await bot.stored(PRIVATE)
        group = await bot.stored(GROUP_ADMIN)
        shown = text(await bot.send(PRIVATE, "/settings"))

    async with open_bot() as bot:
        assert await bot.stored(PRIVATE) == private
        assert await bot.stored(GROUP_ADMIN) == group
        assert text(await bot.send(PRIVATE, "/settings")) == shown
        assert "Paused" in shown
        assert 'Keywords: LLM, "mixture of experts", 深度学习' in shown
        await bot.send(PRIVATE, "/resume")
        await bot.send(PRIVATE, "/unsubscribe cs.AI")

    async with open_bot() as bot:
        sub = await bot.stored(PRIVATE)
        assert (sub.paused, sub.categories) == (False, ("cs.LG",))
        assert (sub.frequency, sub.weekday, sub.language) == ("weekly", 4, "de")


async def test_a_change_is_committed_before_its_reply(bot: Bot, db_path: Path) -> None:
    """Another connection sees the change as soon as the reply exists: a crash right after
    the reply loses nothing."""
    await bot.send(PRIVATE, "/subscribe cs.AI")
    await bot.send(PRIVATE, '/keywords add "mixture of experts"')

    raw = sqlite3.connect(db_path)
    try:
        row = raw.execute(
            "SELECT categories, keywords FROM subscriptions WHERE platform = ? AND chat_id = ?",
            (PLATFORM, "alice"),
        ).fetchone()
    finally:
        raw.close()
    assert [json.loads(v) for v in row] == [["cs.AI"], ["mixture of experts"]]


def chat(n: int) -> CommandContext:
    kind = "private" if n % 2 else "group"
    return CommandContext(ChatRef(PLATFORM, f"chat-{n}", kind), f"user-{n}", is_admin=True)


ZONES = ["UTC", "Europe/Berlin", "Asia/Tokyo", "America/New_York", "Australia/Sydney"]


async def test_many_chats_at_once_do_not_interfere(bot: Bot) -> None:
    categories = taxonomy.archive_categories("cs")
    n_chats = 50

    def plan(n: int) -> list[str]:
        return [
            f"/subscribe {categories[n % len(categories)]} "
            f"{categories[(n + 7) % len(categories)]}",
            f'/keywords add kw{n} "phrase number {n}"',
            f"/exclude add ex{n}",
            f"/time {n % 24}:{n % 60:02d} {ZONES[n % len(ZONES)]}",
            f"/language {['de', 'zh', 'fr', 'ja'][n % 4]}",
            f"/frequency weekly {WEEKDAYS[n % 7]}",
            f"/keywords remove kw{n}",
        ]

    async def run(n: int) -> list[str]:
        out = []
        for typed in plan(n):
            answer = await bot.send(chat(n), typed)
            assert not is_error(answer), (n, typed, text(answer))
            out.append(text(answer))
        return out

    await asyncio.gather(*(run(n) for n in range(n_chats)))

    stored = await bot.services.store.list_subscriptions()
    assert len(stored) == n_chats
    for n in range(n_chats):
        sub = await bot.stored(chat(n))
        expected_categories = (
            categories[n % len(categories)],
            categories[(n + 7) % len(categories)],
        )
        assert sub.categories == expected_categories
        assert sub.keywords == (f"phrase number {n}",)
        assert sub.exclude == (f"ex{n}",)
        assert sub.delivery_time == f"{n % 24:02d}:{n % 60:02d}"
        assert sub.timezone == ZONES[n % len(ZONES)]
        assert ZoneInfo(sub.timezone)  # a real zone, stored canonically
        assert sub.language == ["de", "zh", "fr", "ja"][n % 4]
        assert (sub.frequency, sub.weekday) == ("weekly", n % 7)
        assert sub.chat_kind == chat(n).chat.kind
        assert sub.created_by == f"user-{n}"


async def test_concurrent_changes_to_one_chat_are_all_kept(bot: Bot) -> None:
    """Two commands for one chat at once (Telegram delivers updates concurrently; people
    double-tap buttons) must not lose either change."""
    await asyncio.gather(*(bot.send(PRIVATE, f"/keywords add kw{n}") for n in range(10)))
    await asyncio.gather(
        bot.press(PRIVATE, "sub:cs.AI"),
        bot.press(PRIVATE, "sub:cs.LG"),
        bot.press(PRIVATE, "sub:cs.CL"),
        bot.send(PRIVATE, "/exclude add survey"),
        bot.send(PRIVATE, "/language de"),
    )

    sub = await bot.stored(PRIVATE)
    assert sorted(sub.keywords) == sorted(f"kw{n}" for n in range(10))
    assert sorted(sub.categories) == ["cs.AI", "cs.CL", "cs.LG"]
    assert (sub.exclude, sub.language) == (("survey",), "de")
