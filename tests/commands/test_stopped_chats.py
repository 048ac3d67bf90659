"""A chat the platform stopped us delivering to (blocked, kicked, no right to post): whatever
command someone uses there, and whoever they are, one sentence says so and what to do; /start
and /resume turn it back on with one sentence too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.contract.chats import CommandContext
from bot.delivery.unusable import BACK_ON_TEXT, stopped_text
from tests.commands.support import GROUP_ADMIN, GROUP_MEMBER, Bot, text

REASON = "Forbidden: bot was kicked from the group chat"
SENTENCE = stopped_text(REASON)


@pytest.fixture
async def stopped(bot: Bot) -> None:
    await bot.send(GROUP_ADMIN, "/subscribe cs.AI")
    sub = await bot.stored(GROUP_ADMIN)
    await bot.services.store.save_subscription(replace(sub, active=False, inactive_reason=REASON))


@pytest.mark.usefixtures("stopped")
@pytest.mark.parametrize(
    ("who", "command"),
    [
        (GROUP_MEMBER, "/start"),  # shows the chat's state: may not turn it on
        (GROUP_MEMBER, "/resume"),  # refused: only administrators may (it used to say nothing)
        (GROUP_MEMBER, "/keywords add LLM"),  # refused likewise
        (GROUP_MEMBER, "/status"),  # for operators
        (GROUP_MEMBER, "/settings"),
        (GROUP_MEMBER, "/help"),
        (GROUP_ADMIN, "/pause"),
        (GROUP_ADMIN, "/keywords add LLM"),
    ],
    ids=lambda v: v if isinstance(v, str) else v.user_id,
)
async def test_every_command_says_a_stopped_chat_is_stopped_in_one_sentence(
    bot: Bot, who: CommandContext, command: str
) -> None:
    answer = text(await bot.send(who, command))

    assert answer.count(SENTENCE) == 1, answer
    assert answer.count("Digests to this chat are stopped") == 1, answer
    assert not (await bot.stored(GROUP_ADMIN)).active


@pytest.mark.usefixtures("stopped")
@pytest.mark.parametrize("command", ["/start", "/resume"])
async def test_start_and_resume_turn_a_stopped_chat_back_on_in_the_same_words(
    bot: Bot, command: str
) -> None:
    answer = text(await bot.send(GROUP_ADMIN, command))

    assert BACK_ON_TEXT in answer  # "Resumed." said /resume, "Welcome back..." /start
    assert "Resumed." not in answer
    assert "stopped" not in answer
    sub = await bot.stored(GROUP_ADMIN)
    assert (sub.active, sub.inactive_reason) == (True, None)
