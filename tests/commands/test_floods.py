"""Floods: one person repeating expensive commands (/digest, /summarize, the summary button)
cannot queue unbounded arXiv and model work. The same request runs once at a time in a chat,
and each person starts a few per minute; a refusal is friendly, immediate and changes
nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Reply
from tests.commands.support import GROUP_ADMIN, GROUP_MEMBER, PRIVATE, Bot, is_error, text
from tests.fakes.fake_arxiv import FakeArxiv

CAROL = CommandContext(ChatRef("test", "carol", "private"), "carol", is_admin=True)


async def test_a_repeated_digest_waits_for_the_one_running_in_the_chat(
    bot: Bot, fake: FakeArxiv
) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_progress(_: Reply) -> None:
        entered.set()  # the first /digest is running ...
        await release.wait()  # ... and stays so until the test lets it go on

    first = asyncio.create_task(bot.router.handle_text(PRIVATE, "/digest", slow_progress))
    await entered.wait()
    requests_before = fake.count("rss")

    repeat = await bot.send(PRIVATE, "/digest")
    elsewhere = await bot.send(CAROL, "/digest")  # another chat is not held up

    assert not is_error(repeat)
    assert "still working on the /digest" in text(repeat)
    assert fake.count("rss") == requests_before + 1  # only the other chat's digest asked arXiv
    assert "still working" not in text(elsewhere)
    release.set()
    answer = await first
    assert answer is not None
    assert "still working" not in text(answer)
    again = await bot.send(PRIVATE, "/digest")  # once it is done, a new one runs
    assert "still working" not in text(again)


async def test_each_person_starts_a_few_expensive_requests_a_minute(
    bot: Bot, fake: FakeArxiv
) -> None:
    limit = bot.services.settings.expensive_per_user_per_minute
    for _ in range(limit):
        answer = await bot.send(PRIVATE, "/summarize 2611.00001")
        assert "please wait" not in text(answer)
    requests = fake.count("api"), fake.count("html"), fake.count("pdf")

    refused = await bot.send(PRIVATE, "/summarize 2611.00001")
    pressed = await bot.press(PRIVATE, "sum:2611.00001")

    assert "please wait 60 seconds" in text(refused)
    assert "please wait" in text(pressed)
    assert (fake.count("api"), fake.count("html"), fake.count("pdf")) == requests
    other = await bot.send(CAROL, "/summarize 2611.00001")  # someone else is not limited
    assert "please wait" not in text(other)

    bot.now += timedelta(seconds=30)
    assert "please wait 30 seconds" in text(await bot.send(PRIVATE, "/digest"))
    bot.now += timedelta(seconds=31)
    assert "please wait" not in text(await bot.send(PRIVATE, "/summarize 2611.00001"))


async def test_cheap_commands_are_never_rationed(bot: Bot) -> None:
    for _ in range(3 * bot.services.settings.expensive_per_user_per_minute):
        assert "please wait" not in text(await bot.send(PRIVATE, "/settings"))


async def test_in_a_group_a_members_repeat_joins_the_running_digest(bot: Bot) -> None:
    await bot.send(GROUP_ADMIN, "/subscribe cs.AI")
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_progress(_: Reply) -> None:
        entered.set()
        await release.wait()

    first = asyncio.create_task(bot.router.handle_text(GROUP_ADMIN, "/digest", slow_progress))
    await entered.wait()
    member = await bot.send(GROUP_MEMBER, "/digest")
    release.set()
    await first

    assert "still working on the /digest asked for in this chat" in text(member)
