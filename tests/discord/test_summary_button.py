"""The "Summary" button under every paper of a posted digest: an ephemeral full summary, split
over embeds when long, from a persistent ``DynamicItem`` that still works after a restart."""

from __future__ import annotations

import asyncio

from adapters.discord import DiscordAdapter
from bot.contract.chats import ChatRef
from bot.model.profile import Profile
from bot.ranking.digest import make_digest
from bot.rendering.paper_cards import digest_reply
from tests.discord.conftest import Bot
from tests.discord.support import (
    CHAN,
    MEMBER_USER,
    MOE_LLM,
    TIMEOUT,
    all_text,
    messages_of,
)
from tests.fakes.fake_discord import MEMBER_PERMS, InteractionCallback, PostedMessage
from tests.fakes.fake_openai import FakeOpenAI, correcting_responder, static_responder

CREDIT = "Summary by fake-model"


def long_summary() -> tuple[str, list[str]]:
    """About 9,000 characters of model output; returns it and the markers it holds (the
    summarizer keeps the first 8,000 characters, so only the markers within those)."""
    bullets = [
        f"- Point M{n:03d}: the experts route tokens by learned gates, "
        "and the load stays balanced across devices without auxiliary losses."
        for n in range(1, 72)
    ]
    sections = [
        "## Contributions",
        *bullets[:20],
        "## Method and setup",
        *bullets[20:40],
        "## Results",
        *bullets[40:60],
        "## Conclusions and limitations",
        *bullets[60:],
    ]
    text = "TL;DR: Sparse experts serve LLMs on few GPUs.\n\n" + "\n".join(sections)
    assert 8_500 < len(text) < 10_000
    kept = text[:8000]
    markers = [f"M{n:03d}" for n in range(1, 72) if f"M{n:03d}:" in kept]
    return text, markers


async def post_digest(bot: Bot, adapter: DiscordAdapter) -> PostedMessage:
    """Today's digest from the fake arXiv, posted in CHAN as the daily delivery would."""
    announcement = await bot.services.announcements.fetch(("cs.AI", "cs.LG"))
    await bot.services.store.save_papers(announcement.papers)
    digest = make_digest(announcement, Profile(categories=("cs.AI", "cs.LG"), keywords=("LLM",)))
    await adapter.send(ChatRef("discord", str(CHAN), "channel"), digest_reply(digest), key="d")
    (message,) = [m for m in bot.fake.messages_in(CHAN) if m.via == "channel"]
    return message


async def press_until(bot: Bot, message: PostedMessage, custom_id: str, marker: str) -> list:
    """Press a button as an ordinary member; wait until ``marker`` shows in the answers."""
    iid = bot.fake.press(message, custom_id, user_id=MEMBER_USER, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(lambda: marker in all_text(bot.fake.responses_for(iid)))
    return bot.fake.responses_for(iid)


async def test_the_summary_button_answers_privately_with_the_whole_summary(
    bot: Bot, llm: FakeOpenAI
) -> None:
    text, markers = long_summary()
    llm.responder = static_responder(text)
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    button = f"sum:{MOE_LLM.arxiv_id}v1"
    assert button in digest.custom_ids()

    responses = await press_until(bot, digest, button, CREDIT)

    first = responses[0]
    assert isinstance(first, InteractionCallback)
    assert first.ephemeral  # also while the model is still writing
    shown = messages_of(responses)
    assert shown
    assert all(m.ephemeral for m in shown)
    assert all(m.allowed_mentions == {"parse": []} for m in shown)
    embeds = [e for m in shown for e in m.embeds]
    assert embeds[0]["title"] == MOE_LLM.title
    assert embeds[0]["url"] == "https://arxiv.org/abs/2611.00001"
    assert "Sparse experts serve LLMs on few GPUs." in embeds[0]["description"]
    bodies = [e["description"] for e in embeds[1:]]
    assert len(bodies) >= 2  # the summary did not fit one embed: it was split, not cut
    assert all(len(b) <= 4096 for b in bodies)
    whole = "\n".join(bodies)
    for marker in markers:
        assert whole.count(f"{marker}:") == 1, marker  # every point once, none lost
    assert whole.index("Contributions") < whole.index("Results") < whole.index(CREDIT)
    assert len(llm.calls) == 1
    # Nothing was posted in the channel for everyone.
    assert [m.message_id for m in bot.fake.messages_in(CHAN) if not m.ephemeral] == [
        digest.message_id
    ]


async def test_the_button_still_works_after_a_restart(bot: Bot, llm: FakeOpenAI) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    button = f"sum:{MOE_LLM.arxiv_id}v1"
    before = await press_until(bot, digest, button, CREDIT)
    await adapter.stop()

    restarted = await bot.start()  # a new process: new client, same store, old message
    after = await press_until(bot, digest, button, CREDIT)

    assert restarted is not adapter
    assert bot.fake.ready_count == 2
    first = after[0]
    assert isinstance(first, InteractionCallback)
    assert first.type == 4
    assert first.ephemeral
    assert "Contributions" in all_text(after)
    assert all_text(after) == all_text(before)  # the same summary, from the cache
    assert len(llm.calls) == 1  # the summary was made once


async def test_another_papers_button_gets_that_papers_summary(bot: Bot, llm: FakeOpenAI) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    second = [c for c in digest.custom_ids() if c.startswith("sum:")][1]

    responses = await press_until(bot, digest, second, CREDIT)

    titles = [e["title"] for m in messages_of(responses) for e in m.embeds if "title" in e]
    paper_id = second.removeprefix("sum:")
    assert titles
    assert titles[0] == next(
        e["title"] for e in digest.embeds if e["footer"]["text"] == f"arXiv:{paper_id}"
    )
    assert len(llm.calls) == 1


async def test_a_number_not_in_the_paper_is_marked_in_the_summary_embeds(
    bot: Bot, llm: FakeOpenAI
) -> None:
    """MOE_LLM's abstract (what the model reads: no full text) states no numbers; the model
    invents two and answers the correction request unchanged."""
    llm.responder = correcting_responder(
        "TL;DR: Serving is 4.2x faster.\n\n## Results\n- Latency drops by 37% on few GPUs."
    )
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)

    responses = await press_until(bot, digest, f"sum:{MOE_LLM.arxiv_id}v1", CREDIT)

    embeds = [e for m in messages_of(responses) for e in m.embeds]
    assert "Serving is 4.2x (⚠ not found in the paper) faster." in embeds[0]["description"]
    body = "\n".join(e.get("description", "") for e in embeds[1:])
    assert "Latency drops by 37% (⚠ not found in the paper) on few GPUs." in body
    assert len(llm.calls) == 2
