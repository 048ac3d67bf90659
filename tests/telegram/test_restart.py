"""A restart: a new adapter and new services on the same database keep every subscription,
handle no update twice, and the buttons under messages sent before the restart still work."""

from __future__ import annotations

from tests.fakes.fake_telegram import FakeTelegram
from tests.telegram.conftest import OpenServices, RunBot
from tests.telegram.support import USER


async def test_subscriptions_and_old_buttons_survive_a_restart(
    run_bot: RunBot, open_fixed_services: OpenServices, tg: FakeTelegram
) -> None:
    async with open_fixed_services() as services, run_bot(services) as bot:
        [archives] = await bot.exchange(USER, "/subscribe")
        [categories] = await bot.press(archives, "pick:cs")
        await bot.press(categories, "sub:cs.AI")
        [offer] = await bot.exchange(USER, "2512.03394")
        assert (await bot.stored(USER)).categories == ("cs.AI",)
    sent_before = len(tg.sent)
    assert not tg.pending_updates

    async with open_fixed_services() as services, run_bot(services) as bot:
        sub = await bot.stored(USER)
        assert sub.categories == ("cs.AI",)
        assert sub.active

        # Buttons carry plain actions, not a cache of the old process: they still work.
        [more] = await bot.press(categories, "sub:cs.LG")
        assert "Subscribed to cs.LG" in more.text
        assert (await bot.stored(USER)).categories == ("cs.AI", "cs.LG")
        *_, summary = await bot.press(offer, "sum:2512.03394")
        assert summary.entities_of("expandable_blockquote")

        [settings] = await bot.exchange(USER, "/settings")
        assert "cs.AI (Artificial Intelligence), cs.LG (Machine Learning)" in settings.text

    # Nothing handled before the restart was handled again after it.
    after = tg.sent[sent_before:]
    assert len(after) == 4  # subscribed, acknowledgement, summary, settings
    assert after[0].text.startswith("Subscribed to cs.LG")
    assert len(tg.callback_answers) == 4
    assert not tg.rejections
