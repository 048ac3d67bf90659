"""Autocomplete while typing an option: categories with their names (earlier words kept), time
zones and languages; always within Discord's 25 choices of at most 100 characters."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.arxiv import taxonomy
from tests.discord.conftest import Bot
from tests.discord.support import TIMEOUT
from tests.fakes.fake_discord import MEMBER_PERMS


async def choices(bot: Bot, command: str, option: str, typed: str) -> list[dict[str, Any]]:
    iid = bot.fake.autocomplete(command, {option: typed}, option, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        callback = await bot.fake.wait_for_callback(iid)
    assert callback.type == 8
    assert callback.choices is not None
    # The fake validated them like Discord: at most 25, names 1-100, values <= 100.
    assert len(callback.choices) <= 25
    for choice in callback.choices:
        assert 1 <= len(choice["name"]) <= 100
        assert len(choice["value"]) <= 100
    return callback.choices


async def test_categories_show_their_names(bot: Bot) -> None:
    await bot.start()

    found = await choices(bot, "subscribe", "categories", "cs.a")

    assert {"name": "cs.AI — Artificial Intelligence", "value": "cs.AI"} in found
    assert all(c["value"].lower().startswith("cs.a") for c in found)


async def test_earlier_categories_are_kept(bot: Bot) -> None:
    await bot.start()

    found = await choices(bot, "subscribe", "categories", "cs.LG cs.a")

    assert {"name": "cs.AI — Artificial Intelligence", "value": "cs.LG cs.AI"} in found
    assert all(c["value"].startswith("cs.LG ") for c in found)


async def test_categories_by_name(bot: Bot) -> None:
    await bot.start()

    found = await choices(bot, "subscribe", "categories", "machine learning")

    assert "cs.LG" in [c["value"] for c in found]


async def test_unsubscribe_suggests_what_the_channel_follows(bot: Bot) -> None:
    """Suggesting astro-ph.CO to a channel that follows cs.AI and cs.LG only led to "This
    chat does not follow astro-ph.CO"."""
    await bot.start()
    await bot.slash("subscribe", {"categories": "cs.AI cs.LG"})

    everything = await choices(bot, "unsubscribe", "categories", "")
    by_name = await choices(bot, "unsubscribe", "categories", "machine")
    after_one = await choices(bot, "unsubscribe", "categories", "cs.AI ")

    assert [c["value"] for c in everything] == ["cs.AI", "cs.LG", "all"]
    assert [c["value"] for c in by_name] == ["cs.LG"]
    assert [c["value"] for c in after_one] == ["cs.AI cs.LG"]


async def test_empty_input_offers_at_most_25(bot: Bot) -> None:
    await bot.start()

    found = await choices(bot, "subscribe", "categories", "")

    assert len(found) == 25  # arXiv has far more than 25 categories


async def test_many_earlier_words_still_fit_100_characters(bot: Bot) -> None:
    await bot.start()
    typed = (
        "cs.AI cs.LG cs.CL cs.CV cs.DC cs.IR cs.NE cs.RO cs.SE cs.CR stat.ML math.OC q-bio.NC c"
    )

    found = await choices(bot, "subscribe", "categories", typed)

    assert found
    for choice in found:  # whole categories only: a value cut at 100 would name no category
        resolved = taxonomy.resolve(choice["value"])
        assert resolved.unknown == (), choice
        assert choice["value"].startswith(typed[:-1]), choice
    assert "cs.CY" in [c["value"].split()[-1] for c in found]
    assert "cond-mat.mtrl-sci" not in [c["value"].split()[-1] for c in found]  # too long


async def test_time_zones(bot: Bot) -> None:
    await bot.start()

    found = await choices(bot, "time", "timezone", "berl")

    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in found


@pytest.mark.parametrize(("typed", "code"), [("de", "de"), ("germ", "de"), ("chin", "zh")])
async def test_languages(bot: Bot, typed: str, code: str) -> None:
    await bot.start()

    found = await choices(bot, "language", "code", typed)

    assert code in [c["value"] for c in found]


async def test_a_zone_that_matches_nothing_gives_no_choices(bot: Bot) -> None:
    await bot.start()

    assert await choices(bot, "time", "timezone", "atlantis") == []
