"""Slash commands end to end: a user's interaction on the fake Discord, through real
discord.py, the adapter and the command layer, to the store and back as a Discord response."""

from __future__ import annotations

import asyncio

import pytest

import adapters.discord.adapter as discord_adapter
from bot.commands.router import ADMIN_ONLY_TEXT
from bot.model.subscriptions import Subscription
from tests.discord.conftest import Bot
from tests.discord.support import (
    ATTENTION,
    CHAN,
    CHAN2,
    DM_USER,
    MEMBER_USER,
    MOE_LLM,
    TIMEOUT,
    all_text,
    message_of,
    messages_of,
    text_of,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_discord import (
    ADMINISTRATOR,
    MANAGE_CHANNELS,
    MANAGE_GUILD,
    MEMBER_PERMS,
    InteractionCallback,
    PostedMessage,
)
from tests.fakes.fake_openai import FakeOpenAI

MODERATOR = MEMBER_PERMS | MANAGE_CHANNELS
"""A member whose role has Manage Channels, and nothing else of note."""
OWNER_ONLY_ADMIN = MEMBER_PERMS | ADMINISTRATOR
"""A member whose role has only the Administrator bit on top of an ordinary member's."""


def only_callback(responses: list[InteractionCallback | PostedMessage]) -> PostedMessage:
    """The message of an interaction answered at once (callback type 4)."""
    first = responses[0]
    assert isinstance(first, InteractionCallback)
    assert first.type == 4, f"expected an immediate answer, got callback type {first.type}"
    assert first.message is not None
    return first.message


# --- commands open to everyone ------------------------------------------------------------


async def test_start_describes_the_bot_and_this_channel(bot: Bot) -> None:
    await bot.start()

    message = only_callback(await bot.slash("start", permissions=MEMBER_PERMS))

    text = text_of(message)
    assert "I follow arXiv for this chat" in text
    assert "/subscribe" in text
    assert "Not subscribed" in text
    assert message.allowed_mentions == {"parse": []}
    assert await bot.subscription(CHAN) is None  # reading does not create anything


async def test_help_is_ephemeral_and_lists_every_command(bot: Bot) -> None:
    await bot.start()

    message = only_callback(await bot.slash("help", permissions=MEMBER_PERMS))

    assert message.ephemeral
    for spec in bot.router.registry.specs():
        assert f"/{spec.name}" in message.content
    # Markdown escapes only where Markdown would apply: no stray backslash before a space
    # (Discord shows "\ " literally).
    assert "\\ " not in message.content


async def test_help_for_one_command(bot: Bot) -> None:
    await bot.start()

    message = only_callback(await bot.slash("help", {"command": "keywords"}))

    assert message.ephemeral
    assert "/keywords" in message.content
    assert "quote phrases" in message.content


async def test_subscribe_by_a_member_with_manage_channels_belongs_to_the_channel(
    bot: Bot,
) -> None:
    await bot.start()

    message = only_callback(
        await bot.slash(
            "subscribe",
            {"categories": "cs.AI cs.LG"},
            channel_id=CHAN,
            user_id=MEMBER_USER,
            permissions=MODERATOR,
        )
    )

    assert message.ephemeral  # confirmations do not fill the channel
    assert "Subscribed to cs.AI (Artificial Intelligence), cs.LG (Machine Learning)" in (
        message.content
    )
    sub = await bot.stored(CHAN)
    assert (sub.platform, sub.chat_id, sub.chat_kind) == ("discord", str(CHAN), "channel")
    assert sub.categories == ("cs.AI", "cs.LG")
    assert sub.created_by == str(MEMBER_USER)
    assert sub.delivers
    assert await bot.subscription(CHAN2) is None  # another channel of the same server


async def test_settings_keywords_time_and_frequency(bot: Bot) -> None:
    await bot.start()
    await bot.subscribe(CHAN)

    keywords = only_callback(
        await bot.slash(
            "keywords", {"words": 'add LLM "mixture of experts"'}, permissions=MODERATOR
        )
    )
    at = only_callback(
        await bot.slash(
            "time", {"time": "08:30", "timezone": "Europe/Berlin"}, permissions=MODERATOR
        )
    )
    weekly = only_callback(
        await bot.slash(
            "frequency", {"frequency": "weekly", "weekday": "friday"}, permissions=MODERATOR
        )
    )
    settings = only_callback(await bot.slash("settings", permissions=MEMBER_PERMS))

    assert keywords.ephemeral
    assert at.ephemeral
    assert weekly.ephemeral
    assert 'Keywords (2): LLM, "mixture of experts"' in keywords.content
    assert "08:30 Europe/Berlin" in at.content
    sub = await bot.stored(CHAN)
    assert sub.keywords == ("LLM", "mixture of experts")
    assert (sub.delivery_time, sub.timezone) == ("08:30", "Europe/Berlin")
    assert (sub.frequency, sub.weekday) == ("weekly", 4)
    assert settings.ephemeral  # anyone may read them, privately
    assert "Settings of this chat" in settings.content
    assert '"mixture of experts"' in settings.content
    assert "Europe/Berlin" in settings.content


async def test_a_choice_outside_the_declared_ones_cannot_even_be_sent(bot: Bot) -> None:
    """``/frequency`` has Discord-side choices: a client cannot send another value."""
    await bot.start()

    with pytest.raises(ValueError, match="must be one of"):
        bot.fake.slash("frequency", {"frequency": "hourly"})


async def test_digest_is_public_with_one_embed_per_paper(bot: Bot) -> None:
    await bot.start()
    await bot.subscribe(CHAN)
    await bot.slash("keywords", {"words": 'add LLM "mixture of experts"'})

    responses = await bot.slash("digest", permissions=MEMBER_PERMS, n=2)

    first = responses[0]
    assert isinstance(first, InteractionCallback)
    assert first.type == 5
    assert not first.ephemeral
    (message,) = messages_of(responses[1:])
    assert not message.ephemeral
    assert "arXiv digest · Tue 24 Nov 2026" in message.content
    assert "3 of 3 papers" in message.content
    titles = [e["title"] for e in message.embeds]
    assert titles == ["Mixture-of-Experts LLM serving", "Faster LLM inference", "Agents that plan"]
    urls = [e["url"] for e in message.embeds]
    assert urls == [
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/abs/2611.00004",
        "https://arxiv.org/abs/2611.00002",
    ]
    top = message.embeds[0]
    assert "Ada Lovelace, Alan Turing" in top["description"]
    assert "(Analytical Engines)" not in top["description"]
    assert "proposes a simple, scalable method" in top["description"]  # the model's TL;DR
    fields = {f["name"]: f["value"] for f in top["fields"]}
    assert fields["Categories"] == "cs.LG, cs.AI · score 3"
    assert fields["Why"] == "LLM (title), mixture of experts (title)"
    assert top["footer"]["text"] == "arXiv:2611.00001v1"
    ids = ["2611.00001v1", "2611.00004v1", "2611.00002v1"]
    verbs = ("sum", "ask", "up", "down")
    assert message.custom_ids() == [f"{verb}:{i}" for i in ids for verb in verbs]
    labels = [(message.component(cid) or {}).get("label", "") for cid in message.custom_ids()]
    assert all(label.startswith("Summary") for label in labels[::4])
    assert all(label.startswith("Ask") for label in labels[1::4])
    assert all(label.startswith(("👍", "👎")) for n, label in enumerate(labels) if n % 4 > 1)
    assert message.allowed_mentions == {"parse": []}


async def test_summarize_outlasting_the_deadline_is_deferred_then_followed_up(
    bot: Bot, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A summary the model is still writing: the interaction is acknowledged at once (Discord
    drops it after 3 s) and the summary follows up when the model answers."""
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.05)
    await bot.start()
    llm.hold()

    iid = bot.fake.slash("summarize", {"paper": "2512.03394"}, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        callback = await bot.fake.wait_for_callback(iid)
        await llm.wait_for_attempts(1)
    assert callback.type == 5
    assert callback.elapsed < bot.fake.interaction_deadline
    assert len(bot.fake.responses_for(iid)) == 1  # nothing else until the model answers
    llm.release()
    async with asyncio.timeout(TIMEOUT):
        responses = await bot.fake.wait_for_responses(iid, 2)

    followup = message_of(responses[1])
    assert isinstance(followup, PostedMessage)
    assert followup.via == "followup"
    assert not followup.ephemeral
    card = followup.embeds[0]
    assert card["title"] == ATTENTION.title
    assert card["url"] == "https://arxiv.org/abs/2512.03394"
    assert "Grace Hopper, 张伟" in card["description"]
    text = all_text(responses)
    assert "## Contributions" not in text  # the model's Markdown became Discord formatting
    assert "Contributions" in text
    assert "Summary by fake-model" in text
    assert len(llm.calls) == 1


async def test_a_slow_paper_lookup_is_deferred_by_the_adapter_itself(
    bot: Bot, arxiv: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """arXiv is slow to answer before the command can say anything: the adapter defers once
    ``DEFER_AFTER`` has passed, well before arXiv answers."""
    monkeypatch.setattr(discord_adapter, "DEFER_AFTER", 0.05)
    lookup = arxiv.delay = 0.5
    await bot.start()

    iid = bot.fake.slash("summarize", {"paper": "2512.03394"})
    async with asyncio.timeout(TIMEOUT):
        callback = await bot.fake.wait_for_callback(iid)
        arxiv.delay = 0.0  # the full-text requests that follow need not wait
        responses = await bot.fake.wait_for_responses(iid, 2)

    assert callback.type == 5
    assert callback.elapsed < lookup  # before arXiv answered the lookup
    assert arxiv.count("api") == 1
    assert ATTENTION.title in all_text(responses)


# --- who may change what ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("subscribe", {"categories": "cs.CV"}),
        ("unsubscribe", {"categories": "cs.AI"}),
        ("keywords", {"words": "add RL"}),
        ("time", {"time": "09:00"}),
        ("frequency", {"frequency": "weekly"}),
        ("pause", None),
    ],
)
async def test_a_member_without_manage_channels_is_refused(
    bot: Bot, command: str, options: dict[str, str] | None
) -> None:
    await bot.start()
    before = await bot.subscribe(CHAN)

    message = only_callback(
        await bot.slash(command, options, user_id=MEMBER_USER, permissions=MEMBER_PERMS)
    )

    assert message.ephemeral
    assert message.content == ADMIN_ONLY_TEXT
    assert await bot.stored(CHAN) == before


async def test_a_refused_first_subscribe_stores_nothing(bot: Bot) -> None:
    await bot.start()

    message = only_callback(
        await bot.slash(
            "subscribe",
            {"categories": "cs.AI"},
            user_id=MEMBER_USER,
            permissions=MEMBER_PERMS | MANAGE_GUILD,  # Manage Server is not Manage Channels
        )
    )

    assert message.ephemeral
    assert message.content == ADMIN_ONLY_TEXT
    assert await bot.subscription(CHAN) is None


async def test_administrator_alone_is_enough(bot: Bot) -> None:
    await bot.start()

    message = only_callback(
        await bot.slash("subscribe", {"categories": "cs.AI"}, permissions=OWNER_ONLY_ADMIN)
    )

    assert message.content != ADMIN_ONLY_TEXT
    assert (await bot.stored(CHAN)).categories == ("cs.AI",)


async def test_anyone_may_read_settings_get_a_digest_and_a_summary(bot: Bot) -> None:
    await bot.start()
    await bot.subscribe(CHAN)
    before = await bot.stored(CHAN)

    answers = [
        await bot.slash("settings", user_id=MEMBER_USER, permissions=MEMBER_PERMS),
        await bot.slash("digest", user_id=MEMBER_USER, permissions=MEMBER_PERMS, n=2),
        await bot.slash(
            "summarize",
            {"paper": "2512.03394"},
            user_id=MEMBER_USER,
            permissions=MEMBER_PERMS,
            n=2,
        ),
    ]

    for responses in answers:
        assert ADMIN_ONLY_TEXT not in all_text(responses)
    assert "Settings of this chat" in all_text(answers[0])
    assert MOE_LLM.title in all_text(answers[1])
    assert ATTENTION.title in all_text(answers[2])
    assert await bot.stored(CHAN) == before


async def test_in_a_dm_the_user_owns_a_personal_subscription(bot: Bot) -> None:
    await bot.start()

    message = only_callback(
        await bot.slash("subscribe", {"categories": "cs.CL"}, dm=True, user_id=DM_USER)
    )

    dm_channel = bot.fake.dm_channels[DM_USER]
    assert message.channel_id == dm_channel
    assert "Subscribed to cs.CL" in message.content
    sub: Subscription = await bot.stored(dm_channel)
    assert (sub.chat_id, sub.chat_kind, sub.created_by) == (
        str(dm_channel),
        "private",
        str(DM_USER),
    )
    # Their own settings, changed without any server permission.
    only_callback(await bot.slash("keywords", {"words": "add LLM"}, dm=True, user_id=DM_USER))
    assert (await bot.stored(dm_channel)).keywords == ("LLM",)
    assert await bot.subscription(CHAN) is None
