"""Every command's happy path, through CommandRouter, checked on the stored subscription."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.arxiv import taxonomy
from bot.commands import default_registry
from bot.commands.help_cmds import INTRO
from tests.commands.support import GROUP_ADMIN, GROUP_MEMBER, PRIVATE, Bot, actions, text

# --- /start and /help ---------------------------------------------------------------------


async def test_start_in_a_new_chat_explains_and_stores_nothing(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "/start")

    shown = text(answer)
    assert INTRO in shown
    for spec in default_registry().specs():
        assert f"/{spec.usage}" in shown
    assert "Not subscribed yet" in shown
    assert "Delivery: every announcement day at 08:00 UTC" in shown
    assert await bot.subscription(PRIVATE) is None


async def test_start_turns_a_stopped_chat_back_on(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    stopped = replace(await bot.stored(PRIVATE), active=False, inactive_reason="blocked")
    await bot.services.store.save_subscription(stopped)
    assert "Stopped" in text(await bot.send(PRIVATE, "/settings"))

    answer = await bot.send(PRIVATE, "/start")

    assert "Welcome back" in text(answer)
    after = await bot.stored(PRIVATE)
    assert (after.active, after.inactive_reason) == (True, None)
    assert after.categories == ("cs.AI",)
    assert after in await bot.services.store.list_subscriptions(delivering_only=True)


async def test_help_lists_every_command(bot: Bot) -> None:
    shown = text(await bot.send(PRIVATE, "/help"))

    for spec in default_registry().specs():
        assert f"/{spec.usage} - {spec.summary}" in shown
    assert "/help subscribe" in shown


async def test_help_for_one_command(bot: Bot) -> None:
    shown = text(await bot.send(PRIVATE, "/help keywords"))

    assert "/keywords [add|remove|set|clear] ..." in shown
    assert 'Example: /keywords add LLM "mixture of experts"' in shown
    assert "only administrators" in shown
    # With a slash, and by alias.
    assert text(await bot.send(PRIVATE, "/help /time")).startswith("/time HH:MM [Area/City]")
    assert "Also: /list" in text(await bot.send(PRIVATE, "/help list"))
    assert await bot.subscription(PRIVATE) is None


# --- /subscribe and /unsubscribe ----------------------------------------------------------


async def test_subscribe_categories(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "/subscribe cs.AI cs.lg")

    sub = await bot.stored(PRIVATE)
    assert sub.categories == ("cs.AI", "cs.LG")
    assert (sub.platform, sub.chat_id, sub.chat_kind, sub.created_by) == (
        "test",
        "alice",
        "private",
        "alice",
    )
    # The operator's defaults (chat digests are capped at chat_max_papers).
    assert (sub.max_papers, sub.delivery_time, sub.timezone, sub.language) == (
        10,
        "08:00",
        "UTC",
        "en",
    )
    assert (sub.paused, sub.active, sub.frequency) == (False, True, "daily")
    assert sub.created_at == bot.now
    shown = text(answer)
    assert "Subscribed to cs.AI (Artificial Intelligence), cs.LG (Machine Learning)." in shown
    assert "next digest Wed 25 Nov 2026, 08:00 UTC" in shown


async def test_subscribing_again_changes_nothing(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, "/subscribe cs.ai")

    assert "already follows cs.AI" in text(answer)
    assert await bot.stored(PRIVATE) == before


@pytest.mark.parametrize(
    "typed",
    [
        '/subscribe "machine learning"',
        "/subscribe \u201cmachine learning\u201d",
        "/subscribe machine learning",
        "/subscribe ML",
    ],
)
async def test_subscribe_by_common_name(bot: Bot, typed: str) -> None:
    answer = await bot.send(PRIVATE, typed)

    assert (await bot.stored(PRIVATE)).categories == ("cs.LG", "stat.ML")
    assert "Subscribed to cs.LG (Machine Learning), stat.ML (Machine Learning)" in text(answer)


async def test_a_name_and_a_category_together(bot: Bot) -> None:
    await bot.send(PRIVATE, '/subscribe cs.AI "machine learning"')

    assert (await bot.stored(PRIVATE)).categories == ("cs.AI", "cs.LG", "stat.ML")


async def test_a_whole_archive_needs_confirmation(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI stat.ML")

    ask = await bot.send(PRIVATE, "/subscribe cs")

    assert f"cs ({len(taxonomy.archive_categories('cs'))} categories)" in text(ask)
    assert actions(ask) == ["all:cs", "pick:cs"]
    assert (await bot.stored(PRIVATE)).categories == ("cs.AI", "stat.ML")

    done = await bot.press(PRIVATE, "all:cs")

    # The archive replaces the categories of it that were followed one by one.
    assert (await bot.stored(PRIVATE)).categories == ("stat.ML", "cs")
    assert "cs (all of Computer Science)" in text(done)
    covered = await bot.send(PRIVATE, "/subscribe cs.LG")
    assert "already follows" in text(covered)
    assert (await bot.stored(PRIVATE)).categories == ("stat.ML", "cs")


async def test_categories_and_an_archive_together(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "/subscribe cs.AI math")

    assert (await bot.stored(PRIVATE)).categories == ("cs.AI",)
    assert "Subscribed to cs.AI" in text(answer)
    assert actions(answer) == ["all:math", "pick:math"]


async def test_the_picker(bot: Bot) -> None:
    picker = await bot.send(PRIVATE, "/subscribe")

    assert actions(picker) == [f"pick:{a}" for a in sorted(taxonomy.archives())]
    assert await bot.subscription(PRIVATE) is None

    listing = await bot.press(PRIVATE, "pick:cs")

    expected = [f"sub:{c}" for c in taxonomy.archive_categories("cs")] + ["all:cs"]
    assert actions(listing) == expected
    assert "cs.AI (Artificial Intelligence)" in text(listing)
    assert await bot.subscription(PRIVATE) is None

    await bot.press(PRIVATE, "sub:cs.AI")
    await bot.press(PRIVATE, "sub:cs.LG")

    assert (await bot.stored(PRIVATE)).categories == ("cs.AI", "cs.LG")


async def test_unsubscribe(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG stat.ML")
    await bot.send(PRIVATE, "/keywords add LLM")

    answer = await bot.send(PRIVATE, "/unsubscribe cs.lg")

    assert (await bot.stored(PRIVATE)).categories == ("cs.AI", "stat.ML")
    assert "Unsubscribed from cs.LG. This chat now follows cs.AI, stat.ML." in text(answer)

    choose = await bot.send(PRIVATE, "/unsubscribe")
    assert actions(choose) == ["unsub:cs.AI", "unsub:stat.ML", "unsub:all"]
    await bot.press(PRIVATE, "unsub:stat.ML")
    assert (await bot.stored(PRIVATE)).categories == ("cs.AI",)


async def test_unsubscribe_all_keeps_the_keywords(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")
    await bot.send(PRIVATE, '/keywords add LLM "mixture of experts"')

    answer = await bot.send(PRIVATE, "/unsubscribe all")

    sub = await bot.stored(PRIVATE)
    assert sub.categories == ()
    assert sub.keywords == ("LLM", "mixture of experts")
    assert "Your keywords are kept" in text(answer)
    assert await bot.services.store.list_subscriptions(delivering_only=True) == []


async def test_unsubscribe_a_whole_archive_by_button(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    await bot.press(PRIVATE, "all:math")

    await bot.press(PRIVATE, "unsub:math")

    assert (await bot.stored(PRIVATE)).categories == ("cs.AI",)


# --- /keywords and /exclude ---------------------------------------------------------------


async def test_keywords_add_remove_set_clear(bot: Bot) -> None:
    answer = await bot.send(
        PRIVATE, '/keywords add LLM "  mixture   of experts " \u201cspeculative decoding\u201d'
    )
    assert (await bot.stored(PRIVATE)).keywords == (
        "LLM",
        "mixture of experts",
        "speculative decoding",
    )
    assert text(answer) == 'Keywords (3): LLM, "mixture of experts", "speculative decoding"'

    # Duplicates are dropped case-insensitively; a bare word list means "add".
    await bot.send(PRIVATE, "/keywords llm RL 深度学习")
    assert (await bot.stored(PRIVATE)).keywords == (
        "LLM",
        "mixture of experts",
        "speculative decoding",
        "RL",
        "深度学习",
    )

    await bot.send(PRIVATE, '/keywords remove "Mixture of Experts" rl')
    assert (await bot.stored(PRIVATE)).keywords == ("LLM", "speculative decoding", "深度学习")

    await bot.send(PRIVATE, "/keywords rm 深度学习")
    assert (await bot.stored(PRIVATE)).keywords == ("LLM", "speculative decoding")

    await bot.send(PRIVATE, "/keywords set \u201ehallucination detection\u201c, RAG")
    assert (await bot.stored(PRIVATE)).keywords == ("hallucination detection", "RAG")

    await bot.send(PRIVATE, "/keywords clear")
    assert (await bot.stored(PRIVATE)).keywords == ()


async def test_keywords_list_shows_and_changes_nothing(bot: Bot) -> None:
    await bot.send(PRIVATE, '/keywords add LLM "mixture of experts"')
    before = await bot.stored(PRIVATE)

    for typed in ("/keywords", "/keywords list", "/keywords list LLM"):
        answer = await bot.send(PRIVATE, typed)
        assert 'Keywords (2): LLM, "mixture of experts"' in text(answer), typed
        assert await bot.stored(PRIVATE) == before, typed


async def test_exclude(bot: Bot) -> None:
    await bot.send(PRIVATE, "/keywords add LLM")

    answer = await bot.send(PRIVATE, '/exclude add survey "literature review"')

    sub = await bot.stored(PRIVATE)
    assert sub.exclude == ("survey", "literature review")
    assert sub.keywords == ("LLM",)
    assert text(answer) == 'Excluded keywords (2): survey, "literature review"'

    await bot.send(PRIVATE, "/exclude remove Survey")
    assert (await bot.stored(PRIVATE)).exclude == ("literature review",)
    await bot.send(PRIVATE, "/exclude clear")
    assert (await bot.stored(PRIVATE)).exclude == ()
    assert (await bot.stored(PRIVATE)).keywords == ("LLM",)


# --- /time, /language, /frequency ---------------------------------------------------------


async def test_time_and_zone(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "/time 8:30 Europe/Berlin")

    sub = await bot.stored(PRIVATE)
    assert (sub.delivery_time, sub.timezone) == ("08:30", "Europe/Berlin")
    assert text(answer) == (
        "Digests will arrive every announcement day at 08:30 Europe/Berlin. "
        "Next: Wed 25 Nov 2026, 08:30 CET."
    )

    # The zone is kept when only the time changes; 20:15 CET is still to come today.
    answer = await bot.send(PRIVATE, "/time 20h15")
    sub = await bot.stored(PRIVATE)
    assert (sub.delivery_time, sub.timezone) == ("20:15", "Europe/Berlin")
    assert "Next: Tue 24 Nov 2026, 20:15 CET." in text(answer)

    await bot.send(PRIVATE, "/time 07.05 america/new_york")
    sub = await bot.stored(PRIVATE)
    assert (sub.delivery_time, sub.timezone) == ("07:05", "America/New_York")

    before = sub
    assert "07:05 America/New_York" in text(await bot.send(PRIVATE, "/time"))
    assert await bot.stored(PRIVATE) == before


async def test_time_is_dst_correct(bot: Bot) -> None:
    # The night Europe/Berlin springs forward, 02:30 does not exist: it is 03:30 CEST.
    bot.now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)

    answer = await bot.send(PRIVATE, "/time 02:30 Europe/Berlin")

    assert "Next: Sun 29 Mar 2026, 03:30 CEST." in text(answer)
    assert (await bot.stored(PRIVATE)).delivery_time == "02:30"
    # The day after, it is 02:30 summer time again.
    bot.now = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    assert "next digest Mon 30 Mar 2026, 02:30 CEST" in text(
        await bot.send(PRIVATE, "/subscribe cs.AI")
    )


@pytest.mark.parametrize(
    ("typed", "code", "name"),
    [("de", "de", "German"), ("ZH", "zh", "Chinese"), ("pt-BR", "pt", "Portuguese")],
)
async def test_language(bot: Bot, typed: str, code: str, name: str) -> None:
    answer = await bot.send(PRIVATE, f"/language {typed}")

    assert (await bot.stored(PRIVATE)).language == code
    assert text(answer) == f"Summaries will be written in {name} ({code})."
    assert f"Summary language: {name}" in text(await bot.send(PRIVATE, "/settings"))


async def test_language_without_a_code_shows_it(bot: Bot) -> None:
    await bot.send(PRIVATE, "/language de")
    before = await bot.stored(PRIVATE)

    assert "German (de)" in text(await bot.send(PRIVATE, "/language"))
    assert await bot.stored(PRIVATE) == before


async def test_frequency(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")

    answer = await bot.send(PRIVATE, "/frequency weekly fri")

    sub = await bot.stored(PRIVATE)
    assert (sub.frequency, sub.weekday) == ("weekly", 4)
    assert text(answer) == (
        "Digests will arrive weekly on Friday at 08:00 UTC with the best papers of the week."
    )
    assert "next digest Fri 27 Nov 2026, 08:00 UTC" in text(await bot.send(PRIVATE, "/settings"))

    await bot.send(PRIVATE, "/frequency daily")
    assert (await bot.stored(PRIVATE)).frequency == "daily"
    # Weekly again without a day: the day chosen before.
    await bot.send(PRIVATE, "/frequency Weekly")
    sub = await bot.stored(PRIVATE)
    assert (sub.frequency, sub.weekday) == ("weekly", 4)
    await bot.send(PRIVATE, "/frequency weekly su")
    assert (await bot.stored(PRIVATE)).weekday == 6


# --- /settings, /pause, /resume -----------------------------------------------------------


async def test_settings_and_list_show_everything(bot: Bot) -> None:
    for typed in (
        "/subscribe cs.AI cs.LG",
        '/keywords add LLM "mixture of experts"',
        "/exclude add survey",
        '/authors add "Yann LeCun" Li!',
        "/time 8:30 Europe/Berlin",
        "/language de",
    ):
        await bot.send(PRIVATE, typed)
    before = await bot.stored(PRIVATE)

    shown = text(await bot.send(PRIVATE, "/settings"))

    assert shown.splitlines() == [
        "Settings of this chat",
        "Active: next digest Wed 25 Nov 2026, 08:30 CET.",
        "Categories: cs.AI (Artificial Intelligence), cs.LG (Machine Learning)",
        'Keywords: LLM, "mixture of experts"',
        "Excluded: survey",
        "Interests: none (set them with /interests)",
        "Interests match by: words (BM25; no embeddings configured)",
        'Authors: "Yann LeCun", Li!',
        "Delivery: every announcement day at 08:30 Europe/Berlin",
        "Papers: up to 10, minimum score 0, cross-lists not included",
        "Summary language: German",
        "Votes: none yet (👍/👎 under each paper of a digest)",
    ]
    assert text(await bot.send(PRIVATE, "/list")) == shown
    assert text(await bot.send(PRIVATE, "/SETTINGS")) == shown
    assert await bot.stored(PRIVATE) == before


async def test_pause_and_resume(bot: Bot) -> None:
    store = bot.services.store
    await bot.send(PRIVATE, "/subscribe cs.AI")

    assert "Paused" in text(await bot.send(PRIVATE, "/pause"))
    assert (await bot.stored(PRIVATE)).paused is True
    assert await store.list_subscriptions(delivering_only=True) == []
    assert "Paused: no digests until /resume." in text(await bot.send(PRIVATE, "/settings"))
    paused = await bot.stored(PRIVATE)
    assert "already paused" in text(await bot.send(PRIVATE, "/pause"))
    assert await bot.stored(PRIVATE) == paused

    answer = await bot.send(PRIVATE, "/resume")

    assert "Resumed." in text(answer)
    sub = await bot.stored(PRIVATE)
    assert sub.paused is False
    assert sub.categories == ("cs.AI",)
    assert [s.chat_id for s in await store.list_subscriptions(delivering_only=True)] == ["alice"]
    assert "not paused" in text(await bot.send(PRIVATE, "/resume"))
    assert await bot.stored(PRIVATE) == sub


async def test_resume_restarts_a_stopped_chat(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    stopped = replace(await bot.stored(PRIVATE), active=False, inactive_reason="kicked")
    await bot.services.store.save_subscription(stopped)

    await bot.send(PRIVATE, "/resume")

    sub = await bot.stored(PRIVATE)
    assert (sub.active, sub.inactive_reason, sub.paused) == (True, None, False)


async def test_a_group_admin_sets_up_the_group(bot: Bot) -> None:
    await bot.send(GROUP_ADMIN, "/subscribe cs.AI")
    await bot.send(GROUP_ADMIN, "/keywords add LLM")

    sub = await bot.stored(GROUP_ADMIN)
    assert (sub.chat_id, sub.chat_kind, sub.created_by) == ("-1001", "group", "alice")
    assert (sub.categories, sub.keywords) == (("cs.AI",), ("LLM",))
    # Anyone in the group reads the same subscription.
    assert "Keywords: LLM" in text(await bot.send(GROUP_MEMBER, "/settings"))
    # The private chat of the same person is another subscription.
    assert await bot.subscription(PRIVATE) is None
