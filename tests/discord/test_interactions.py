"""Interactions as Discord really delivers them: sometimes twice (a replayed interaction id is
handled once), and with a three-second window for the first answer."""

from __future__ import annotations

import asyncio
import copy

import pytest

from tests.discord.conftest import Bot
from tests.discord.support import ATTENTION, CHAN, TIMEOUT, all_text, messages_of, text_of
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_discord import MEMBER_PERMS, FakeDiscord, InteractionCallback


def feed_address(text: str) -> str:
    start = text.index("/feed/")
    return text[start:].split()[0].split("?")[0]


async def test_a_replayed_interaction_runs_its_command_once(bot: Bot, fake: FakeDiscord) -> None:
    bot.services.settings = bot.settings.model_copy(update={"public_url": "https://b.example/"})
    await bot.start()
    first = await bot.slash("feed", channel_id=CHAN)
    address = feed_address(all_text(first))

    iid = fake.slash("feed", {"action": "reset"}, channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        reset = await fake.wait_for_responses(iid, 1)
    rotated = feed_address(all_text(reset))
    assert rotated != address

    # The same interaction again, then a new one: both take the same path through the
    # adapter, so the replay has been dealt with by the time the new one is answered.
    fake.dispatch_event("INTERACTION_CREATE", copy.deepcopy(fake.interactions[iid].payload))
    after = await bot.slash("feed", channel_id=CHAN)
    callbacks = [r for r in fake.requests if r.path.startswith(f"/interactions/{iid}/")]
    assert len(callbacks) == 1, [r.status for r in callbacks]  # no second answer attempted
    assert feed_address(all_text(after)) == rotated, "the replay rotated the address again"


@pytest.mark.parametrize("retry_after", [1.2, 2.2])
async def test_a_slow_answer_meeting_a_429_still_reaches_the_member(
    bot: Bot, fake: FakeDiscord, arxiv: FakeArxiv, retry_after: float
) -> None:
    """The first answer to an interaction gets a 429 (discord.py waits it out): an answer
    started late in the three seconds would miss the window ("interaction failed"). A
    /summarize waits on arXiv (behind the summaries being made ahead, say) without saying
    so: deferred after a second, a 2.2 s wait missed the window and the member never got an
    answer. A command that waits is deferred at once, so even that wait fits."""
    await bot.start()
    arxiv.delay = 1.9  # arXiv is slow to look the paper up
    fake.fail_next(
        "POST /interactions/",
        429,
        {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
    )
    iid = fake.slash("summarize", {"paper": ATTENTION.arxiv_id}, channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for(lambda: "Attention, again" in all_text(fake.responses_for(iid)))
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert callback.type == 5  # deferred: the answer followed up
    statuses = [r.status for r in fake.requests if r.path.startswith(f"/interactions/{iid}/")]
    assert statuses == [429, 200]


async def test_bad_input_to_a_waiting_command_is_answered_directly(
    bot: Bot, fake: FakeDiscord
) -> None:
    await bot.start()
    iid = fake.slash("summarize", {"paper": "not-an-id"}, channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_responses(iid, 1)
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert callback.type == 4  # the refusal itself, not a "thinking" message first
    assert "not an arXiv identifier" in all_text(fake.responses_for(iid))


async def test_an_error_after_a_public_deferral_is_shown_only_to_the_asker(
    bot: Bot, fake: FakeDiscord, arxiv: FakeArxiv
) -> None:
    """/digest answers the channel, so its "thinking" message is public; arXiv being down
    is news for the asker only: the error follows up privately and nothing stays public."""
    await bot.start()
    arxiv.fail_next("rss", *[503] * 5)
    iid = fake.slash("digest", channel_id=CHAN, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for(lambda: "arXiv is not answering" in all_text(fake.responses_for(iid)))
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert callback.type == 5
    assert not callback.flags & 64  # a public deferral
    errors = [m for m in messages_of(fake.responses_for(iid)) if "arXiv is not" in text_of(m)]
    assert [m.ephemeral for m in errors] == [True]
    # The public "thinking" message was settled, then deleted: nothing public is left.
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for(
            lambda: any(r.method == "DELETE" and r.status == 204 for r in fake.requests)
        )
    public = [m for m in fake.messages if m.interaction_id == iid and not m.ephemeral]
    assert public, "the deferral's placeholder"
    assert all(fake.message(m.message_id) is None for m in public)
    assert all("arXiv" not in text_of(m) for m in public)


async def test_a_press_of_a_button_the_bot_does_not_know_is_answered_privately(
    bot: Bot, fake: FakeDiscord
) -> None:
    """Forged ids, and ids with an empty argument (which no button of the bot matches), got
    silence: the member saw "This interaction failed"."""
    await bot.start()
    for custom_id in ("zzz", "x" * 100, "sum:", "ask:", "UNKNOWN:foo", "sum:2611.00001 extra"):
        iid = fake.forge_press(custom_id, channel_id=CHAN)
        async with asyncio.timeout(TIMEOUT):
            await fake.wait_for_responses(iid, 1)
        [callback, *_] = fake.responses_for(iid)
        assert isinstance(callback, InteractionCallback)
        assert callback.flags & 64, custom_id  # private
        assert "That button has expired" in all_text(fake.responses_for(iid)), custom_id


async def test_a_buttons_argument_is_checked_like_typed_text(bot: Bot, fake: FakeDiscord) -> None:
    await bot.start()
    iid = fake.forge_press("sub:\u202eevil\u200b", channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_responses(iid, 1)
    shown = all_text(fake.responses_for(iid))
    assert "invisible character" in shown
    assert "\u202e" not in shown


async def test_an_ask_button_with_a_forged_paper_is_refused_before_the_form_opens(
    bot: Bot, fake: FakeDiscord
) -> None:
    await bot.start()
    iid = fake.forge_press("ask:junk", channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_responses(iid, 1)
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert callback.type == 4  # a message, not the modal (9)
    assert callback.flags & 64
    assert "not an arXiv identifier" in all_text(fake.responses_for(iid))


async def test_a_command_in_an_older_form_is_answered_not_dropped(
    bot: Bot, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord updates global commands slowly: an interaction may carry the options of an
    older version of a command (here, /time without its required time)."""
    await bot.start()
    iid = fake.slash("time", [], channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_responses(iid, 1)
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert callback.flags & 64
    assert "try again in a minute" in all_text(fake.responses_for(iid))
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("discord"))


async def test_a_refusal_for_flooding_is_shown_only_to_whoever_asked(
    bot: Bot, fake: FakeDiscord
) -> None:
    await bot.start()
    limit = bot.settings.expensive_per_user_per_minute
    for _ in range(limit):
        await bot.slash_until(
            "summarize", {"paper": ATTENTION.arxiv_id}, "Attention, again", channel_id=CHAN
        )
    iid = fake.slash("summarize", {"paper": ATTENTION.arxiv_id}, channel_id=CHAN)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_responses(iid, 1)
    [callback, *_] = fake.responses_for(iid)
    assert isinstance(callback, InteractionCallback)
    assert "please wait" in all_text(fake.responses_for(iid))
    assert callback.flags & 64
