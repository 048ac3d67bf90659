"""A shutdown (SIGTERM: the adapter's ``stop``) while a command waits for the model: the
command is cancelled within seconds, and whoever asked is told to send it again rather than
left with "thinking..." until Discord gives up."""

from __future__ import annotations

import asyncio

import pytest

import adapters.discord.adapter as discord_adapter
from adapters.discord import DiscordAdapter
from bot.commands.router import INTERRUPTED_TEXT
from tests.discord.conftest import Bot
from tests.discord.support import CHAN, TIMEOUT, messages_of, text_of
from tests.discord.test_ask import open_modal
from tests.discord.test_summary_button import post_digest
from tests.fakes.fake_discord import MEMBER_PERMS
from tests.fakes.fake_openai import FakeOpenAI


async def test_a_command_cut_short_by_the_shutdown_is_answered_that_the_bot_is_restarting(
    bot: Bot, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.05)
    adapter = await bot.start()
    llm.hold()  # the model never answers: the command is in progress at the shutdown

    iid = bot.fake.slash(
        "summarize", {"paper": "2512.03394"}, channel_id=CHAN, permissions=MEMBER_PERMS
    )
    async with asyncio.timeout(TIMEOUT):
        callback = await bot.fake.wait_for_callback(iid)
        await llm.wait_for_attempts(1)
    await stop(adapter, llm)

    # The "thinking..." message is followed up with the one sentence, and nothing else.
    assert callback.type == 5
    responses = bot.fake.responses_for(iid)
    assert [text_of(m) for m in messages_of(responses)] == [INTERRUPTED_TEXT]
    assert len(responses) == 2


async def test_a_question_cut_short_by_the_shutdown_is_answered_that_the_bot_is_restarting(
    bot: Bot, llm: FakeOpenAI
) -> None:
    """A question from the Ask modal: it was not even cancelled before (the shutdown left it
    to the end of the event loop)."""
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    llm.hold()
    opened = await open_modal(bot, digest)
    before = llm.attempts
    iid = bot.fake.submit_modal(opened, {"Your question": "How is the routing done?"})
    async with asyncio.timeout(TIMEOUT):
        await llm.wait_for_attempts(before + 1)
    await stop(adapter, llm)

    told = messages_of(bot.fake.responses_for(iid))
    assert [text_of(m) for m in told] == [INTERRUPTED_TEXT]
    assert all(m.ephemeral for m in told), "only the asker sees it"


async def stop(adapter: DiscordAdapter, llm: FakeOpenAI) -> None:
    """The adapter's part of a shutdown, bounded; the model is let go afterwards."""
    try:
        async with asyncio.timeout(TIMEOUT):
            await adapter.stop()
    finally:
        llm.release()
