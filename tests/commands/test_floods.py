"""Floods: one person repeating expensive commands (/digest, /summarize, the summary button)
cannot queue unbounded arXiv and model work. The same request runs once at a time in a chat,
and each person starts a few per minute; a refusal is friendly, immediate and changes
nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.commands import CommandRouter
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Reply
from tests.commands.support import GROUP_ADMIN, GROUP_MEMBER, PRIVATE, Bot, is_error, text
from tests.fakes.fake_arxiv import FakeArxiv

CAROL = CommandContext(ChatRef("test", "carol", "private"), "carol", is_admin=True)


async def held_digest(
    bot: Bot, ctx: CommandContext
) -> tuple[asyncio.Task[Reply | None], asyncio.Event]:
    """A /digest in ``ctx``'s chat, running and held at its first progress message until the
    returned event is set."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow_progress(_: Reply) -> None:
        entered.set()  # the /digest is running ...
        await release.wait()  # ... and stays so until the test lets it go on

    first = asyncio.create_task(bot.router.handle_text(ctx, "/digest", slow_progress))
    await entered.wait()
    return first, release


async def test_a_repeated_digest_waits_for_the_one_running_in_the_chat(
    bot: Bot, fake: FakeArxiv
) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    first, release = await held_digest(bot, PRIVATE)
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
    first, release = await held_digest(bot, GROUP_ADMIN)
    member = await bot.send(GROUP_MEMBER, "/digest")
    release.set()
    await first

    assert "still working on the /digest asked for in this chat" in text(member)


async def test_a_flood_of_repeats_is_told_once_not_once_per_repeat(bot: Bot) -> None:
    """Each answer to a repeat is a message the chat delivers before the digest itself:
    typed repeats are told once, and again only after a pause (Discord, which must answer
    every command, still gets an answer to each)."""
    await bot.send(PRIVATE, "/subscribe cs.AI")
    first, release = await held_digest(bot, PRIVATE)

    answers = [await bot.router.handle_text(PRIVATE, "/digest") for _ in range(20)]
    told = [a for a in answers if a is not None]
    assert len(told) == 1
    assert "still working on the /digest" in text(told[0])
    spec = bot.router.registry.get("digest")
    assert spec is not None
    typed_option = await bot.router.run(spec, PRIVATE, "")  # as Discord's slash command
    assert "still working on the /digest" in text(typed_option)

    bot.now += timedelta(seconds=10)
    assert "still working" in text(await bot.router.handle_text(PRIVATE, "/digest"))
    release.set()
    await first


async def test_a_person_over_the_limit_is_told_once_until_the_wait_changes(bot: Bot) -> None:
    limit = bot.services.settings.expensive_per_user_per_minute
    for _ in range(limit):
        await bot.send(PRIVATE, "/summarize 2611.00001")

    assert "please wait 60 seconds" in text(await bot.send(PRIVATE, "/summarize 2611.00001"))
    repeats = [await bot.router.handle_text(PRIVATE, "/summarize 2611.00001") for _ in range(9)]
    assert repeats == [None] * 9
    assert "please wait" in text(await bot.press(PRIVATE, "sum:2611.00001"))  # a button: always

    bot.now += timedelta(seconds=15)
    assert "please wait 45 seconds" in text(await bot.send(PRIVATE, "/digest"))
    bot.now += timedelta(seconds=46)
    assert "please wait" not in text(await bot.send(PRIVATE, "/summarize 2611.00001"))


async def test_the_same_bad_message_repeated_is_answered_once_in_a_while(bot: Bot) -> None:
    """25 x '/time 24:60' put 25 refusals before the next real answer in a chat that
    delivers its messages in turn: a repeat of the same message with the same error is
    answered again only after a pause. Another message, or another error, is answered."""
    first = await bot.router.handle_text(PRIVATE, "/time 24:60")
    repeats = [await bot.router.handle_text(PRIVATE, "/time  24:60") for _ in range(24)]
    other = await bot.router.handle_text(PRIVATE, "/time 25:00")
    member = await bot.router.handle_text(GROUP_MEMBER, "/subscribe cs.CV")
    member_again = await bot.router.handle_text(GROUP_MEMBER, "/keywords add LLM")

    assert first is not None
    assert is_error(first)
    assert repeats == [None] * 24
    assert other is not None
    assert is_error(other)
    assert member is not None
    assert member_again is not None
    assert "Settings of this chat" in text(await bot.send(PRIVATE, "/settings"))
    bot.now += timedelta(seconds=10)
    assert await bot.router.handle_text(PRIVATE, "/time 24:60") is not None


async def test_a_terminal_answers_every_line(bot: Bot) -> None:
    router = CommandRouter(bot.services, repeats_quietly=False)
    answers = [await router.handle_text(PRIVATE, "/time 24:60") for _ in range(3)]
    assert all(a is not None and is_error(a) for a in answers)
