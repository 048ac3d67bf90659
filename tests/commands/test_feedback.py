"""👍/👎 on digest papers: they move the chat's ranking, count once per member and paper,
show in /settings and /feedback, are forgotten by /feedback reset, and never leak to another
chat."""

from __future__ import annotations

from tests.commands.support import (
    AGENTS,
    GROUP_ADMIN,
    GROUP_MEMBER,
    LLM_INFERENCE,
    PRIVATE,
    Bot,
    actions,
    cards,
    is_error,
    text,
)
from tests.harness import CommandContext

OTHER_MEMBER = CommandContext(GROUP_MEMBER.chat, "carol", is_admin=False)


async def ranked(bot: Bot, ctx: CommandContext) -> list[str]:
    return [c.arxiv_id.split("v")[0] for c in cards(await bot.send(ctx, "/digest"))]


async def set_up(bot: Bot, ctx: CommandContext) -> list[str]:
    await bot.send(GROUP_ADMIN if ctx.chat.kind == "group" else ctx, "/subscribe cs.AI cs.LG")
    await bot.send(GROUP_ADMIN if ctx.chat.kind == "group" else ctx, "/keywords add LLM")
    return await ranked(bot, ctx)


async def test_every_paper_of_a_digest_has_vote_buttons(bot: Bot) -> None:
    await set_up(bot, PRIVATE)

    answer = await bot.send(PRIVATE, "/digest")

    for card in cards(answer):
        assert [a.action for a in card.actions] == [
            f"sum:{card.arxiv_id}",
            f"up:{card.arxiv_id}",
            f"down:{card.arxiv_id}",
        ]
    assert f"up:{AGENTS.arxiv_id}v1" in actions(answer)


async def test_a_like_lifts_the_paper_and_a_dislike_sinks_it(bot: Bot) -> None:
    before = await set_up(bot, PRIVATE)
    assert before[-1] == AGENTS.arxiv_id  # LLM only in its abstract

    await bot.press(PRIVATE, f"up:{AGENTS.arxiv_id}v1")
    liked = await ranked(bot, PRIVATE)
    await bot.press(PRIVATE, f"down:{AGENTS.arxiv_id}v1")  # a change of mind replaces it
    disliked = await ranked(bot, PRIVATE)

    assert liked[0] == AGENTS.arxiv_id
    assert set(liked) == set(before)
    # Below the minimum score (0) now: out of the digest; the others stay.
    assert disliked == [p for p in before if p != AGENTS.arxiv_id]


async def test_each_member_counts_once_per_paper_and_settings_show_it(bot: Bot) -> None:
    await set_up(bot, GROUP_MEMBER)
    vote = f"up:{LLM_INFERENCE.arxiv_id}v1"

    first = await bot.press(GROUP_MEMBER, vote)
    again = await bot.press(GROUP_MEMBER, vote)
    await bot.press(OTHER_MEMBER, vote)
    await bot.press(GROUP_ADMIN, f"down:{AGENTS.arxiv_id}v1")

    assert "👍 noted" in text(first)
    assert "already voted" in text(again)
    shown = text(await bot.send(GROUP_MEMBER, "/settings"))
    assert "Votes: 3 (2 👍, 1 👎) on 2 papers shape the ranking" in shown
    assert "Votes: 3 (2 👍, 1 👎) on 2 papers" in text(await bot.send(GROUP_MEMBER, "/feedback"))


async def test_votes_never_leak_between_chats(bot: Bot) -> None:
    private_before = await set_up(bot, PRIVATE)
    group_before = await set_up(bot, GROUP_MEMBER)
    assert private_before == group_before

    await bot.press(GROUP_MEMBER, f"up:{AGENTS.arxiv_id}v1")

    assert (await ranked(bot, GROUP_MEMBER))[0] == AGENTS.arxiv_id
    assert await ranked(bot, PRIVATE) == private_before
    assert "Votes: none yet" in text(await bot.send(PRIVATE, "/settings"))


async def test_feedback_reset_forgets_the_votes_and_is_for_admins(bot: Bot) -> None:
    before = await set_up(bot, GROUP_MEMBER)
    await bot.press(GROUP_MEMBER, f"up:{AGENTS.arxiv_id}v1")

    refused = await bot.send(GROUP_MEMBER, "/feedback reset")
    assert is_error(refused)
    assert (await ranked(bot, GROUP_MEMBER))[0] == AGENTS.arxiv_id

    done = await bot.send(GROUP_ADMIN, "/feedback reset")

    assert "Forgot 1 votes" in text(done)
    assert await ranked(bot, GROUP_MEMBER) == before
    assert "Votes: none yet" in text(await bot.send(GROUP_MEMBER, "/settings"))


async def test_a_bad_or_unknown_vote_changes_nothing(bot: Bot) -> None:
    await set_up(bot, PRIVATE)

    assert is_error(await bot.press(PRIVATE, "up:not-a-paper"))
    assert is_error(await bot.press(PRIVATE, "down:2611.99999v1"))
    assert is_error(await bot.send(PRIVATE, "/feedback forget"))
    assert await bot.services.store.chat_votes("test", "alice") == {}
