"""Digests posted in channels (``adapter.send``): within every Discord limit, without pinging
anyone, paced below Discord's rate limits, deduplicated by a nonce, and a channel that refuses
delivery is switched off (and told about it) without touching any other channel."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.contract.chats import ChatRef
from bot.contract.messages import Button, Reply, reply
from bot.contract.outbound import DeliveryError
from bot.rendering.paper_cards import digest_reply
from tests.discord.conftest import Bot
from tests.discord.support import (
    CHAN,
    CHAN2,
    CHAN3,
    DM_USER,
    GUILD,
    TIMEOUT,
    all_text,
    long_digest,
    messages_of,
    short_reply,
    text_of,
)
from tests.fakes.fake_discord import ADMIN_PERMS, MEMBER_PERMS, FakeDiscord, PostedMessage


def channel(chat_id: int) -> ChatRef:
    return ChatRef("discord", str(chat_id), "channel")


def posts_to(fake: FakeDiscord, chat_id: int) -> list[int | None]:
    """Statuses of every message POST to a channel (None while unanswered)."""
    return [
        r.status
        for r in fake.requests
        if r.method == "POST" and r.path == f"/channels/{chat_id}/messages"
    ]


def channel_posts(fake: FakeDiscord, chat_id: int) -> list[PostedMessage]:
    """Messages the bot posted in a channel itself (not interaction responses)."""
    return [m for m in fake.messages_in(chat_id) if m.via == "channel"]


def embed_size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward a message's 6,000."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    for f in embed.get("fields", []):
        total += len(f["name"]) + len(f["value"])
    return total + len(embed.get("footer", {}).get("text", ""))


def check_limits(message: PostedMessage) -> None:
    """Discord's limits, checked again here (the fake answers 400 to any breach)."""
    assert len(message.content) <= 2000
    assert len(message.embeds) <= 10
    assert sum(embed_size(e) for e in message.embeds) <= 6000
    for e in message.embeds:
        assert len(e.get("title", "")) <= 256
        assert len(e.get("description", "")) <= 4096
        assert all(len(f["value"]) <= 1024 for f in e.get("fields", []))
    assert len(message.custom_ids()) <= 25
    assert message.allowed_mentions == {"parse": []}


# --- a digest within every limit ------------------------------------------------------------


async def test_a_30_paper_digest_fits_every_limit(bot: Bot) -> None:
    """Titles over 256 characters, 40 authors, a "why" longer than a field and long TL;DRs:
    every paper is posted once, with its own URL and Summary button, in messages Discord
    accepts; and a channel gets at most 5 messages in any 5 seconds."""
    adapter = await bot.start()
    digest = long_digest(30)
    progress: list[int] = []

    async def on_sent(n: int) -> None:
        progress.append(n)

    async with asyncio.timeout(TIMEOUT + 10):
        count = await adapter.send(channel(CHAN), digest_reply(digest), key="d1", on_sent=on_sent)

    posted = channel_posts(bot.fake, CHAN)
    assert len(posted) == count == 10  # 3 papers a message: 6,000 characters is the limit
    assert progress == list(range(1, count + 1))
    assert set(posts_to(bot.fake, CHAN)) == {200}
    assert not [r for r in bot.fake.requests if r.status == 400]
    for message in posted:
        check_limits(message)
    assert "arXiv digest · Tue 24 Nov 2026" in posted[0].content
    assert "30 of 500 papers" in posted[0].content
    embeds = [e for m in posted for e in m.embeds]
    expected = [s.paper for s in digest.papers]
    assert [e["url"] for e in embeds] == [p.url for p in expected]  # each once, in order
    assert len({e["url"] for e in embeds}) == 30  # Discord merges embeds sharing a URL
    assert [e["footer"]["text"] for e in embeds] == [f"arXiv:{p.versioned_id}" for p in expected]
    assert all(e["title"].startswith(f"Paper {n}: sparse") for n, e in enumerate(embeds, 1))
    assert all(len(e["title"]) == 256 and e["title"].endswith("…") for e in embeds)
    assert all("et al. (40 authors)" in e["description"] for e in embeds)
    assert all("The paper shows that sparse experts scale" in e["description"] for e in embeds)
    why = [f["value"] for e in embeds for f in e["fields"] if f["name"] == "Why"]
    assert len(why) == 30
    assert all(len(w) == 1024 and w.endswith("…") for w in why)  # cut, not refused
    verbs = ("sum", "ask", "up", "down")  # the summary, Ask, 👍 and 👎
    buttons = [cid for m in posted for cid in m.custom_ids()]
    assert buttons == [f"{v}:{p.versioned_id}" for p in expected for v in verbs]
    for message in posted:  # each message carries the buttons of its own papers
        ids = [e["footer"]["text"].removeprefix("arXiv:") for e in message.embeds]
        assert message.custom_ids() == [f"{v}:{i}" for i in ids for v in verbs]
        assert all(
            (message.component(c) or {})["label"].startswith(
                "Summary: " if c.startswith("sum:") else "Ask: "
            )
            for c in message.custom_ids()
            if c.startswith("sum:")
        )
    # Per-channel pacing: never a sixth message within 5 seconds of the first of five.
    times = [datetime.fromisoformat(m.raw["timestamp"]) for m in posted]
    assert all((b - a).total_seconds() > 4.9 for a, b in zip(times, times[5:], strict=False))


async def test_thirty_short_papers_make_messages_of_eight_embeds_and_their_buttons(
    bot: Bot,
) -> None:
    adapter = await bot.start()
    digest = long_digest(30)
    short = replace(
        digest,
        summaries={},
        papers=tuple(
            replace(
                s,
                matched=s.matched[:2],
                paper=replace(
                    s.paper, title=f"Short {n}", authors=("A. Person",), abstract="Short."
                ),
            )
            for n, s in enumerate(digest.papers)
        ),
    )

    await adapter.send(channel(CHAN), digest_reply(short))

    posted = channel_posts(bot.fake, CHAN)
    # Four buttons a paper (Summary, Ask, 👍, 👎) and 25 a message: six papers a message.
    assert [len(m.embeds) for m in posted] == [6, 6, 6, 6, 6]
    assert [len(m.custom_ids()) for m in posted] == [24, 24, 24, 24, 24]
    for message in posted:
        check_limits(message)


async def test_many_buttons_in_one_reply_are_spread_over_messages(bot: Bot) -> None:
    """A reply with more buttons than a message holds (a category picker)."""
    adapter = await bot.start()
    rows = tuple(
        tuple(Button(f"cs.{n:02d}{m}", f"sub:cs.{n:02d}{m}") for m in "ABCDE") for n in range(8)
    )
    picker = reply("Pick categories:", buttons=rows)

    await adapter.send(channel(CHAN), picker)

    posted = channel_posts(bot.fake, CHAN)
    assert [len(m.custom_ids()) for m in posted] == [25, 15]
    assert [c for m in posted for c in m.custom_ids()] == [b.action for r in rows for b in r]
    for message in posted:
        check_limits(message)


# --- the nonce ------------------------------------------------------------------------------


async def test_a_resend_with_the_same_key_is_dropped_by_discord(bot: Bot) -> None:
    adapter = await bot.start()
    digest = digest_reply(long_digest(6))

    first = await adapter.send(channel(CHAN), digest, key="2026-11-24:discord:1")
    posted = list(channel_posts(bot.fake, CHAN))
    assert bot.fake.nonce_hits == 0
    again = await adapter.send(channel(CHAN), digest, key="2026-11-24:discord:1")

    assert first == again == len(posted) == 2
    assert channel_posts(bot.fake, CHAN) == posted  # one message per index, not two
    assert bot.fake.nonce_hits == 2
    nonces = [m.nonce for m in posted]
    assert len(set(nonces)) == 2
    assert all(isinstance(n, str) and len(n) <= 25 for n in nonces)

    # After a crash mid-delivery, the resend skips what the ledger says went out; anything
    # the ledger missed is still dropped by its nonce.
    await adapter.send(channel(CHAN), digest, key="2026-11-24:discord:1", skip=1)
    assert channel_posts(bot.fake, CHAN) == posted
    assert bot.fake.nonce_hits == 3

    # The same delivery key in another channel is another delivery; so is another key.
    await adapter.send(channel(CHAN2), digest, key="2026-11-24:discord:1")
    await adapter.send(channel(CHAN3), digest, key="2026-11-25:discord:1")
    assert len(channel_posts(bot.fake, CHAN2)) == 2
    assert len(channel_posts(bot.fake, CHAN3)) == 2
    assert channel_posts(bot.fake, CHAN) == posted
    assert bot.fake.nonce_hits == 3


# --- 50013 and 10003 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("breakage", "code", "reason"),
    [
        ("missing_permissions", 50013, "missing permissions"),
        ("unknown_channels", 10003, "unknown channel"),
    ],
)
async def test_a_channel_that_refuses_delivery_is_switched_off_and_says_why(
    bot: Bot, breakage: str, code: int, reason: str
) -> None:
    adapter = await bot.start()
    await bot.subscribe(CHAN)
    await bot.subscribe(CHAN2)
    getattr(bot.fake, breakage).add(CHAN2)
    digest = digest_reply(long_digest(9))  # three messages

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(channel(CHAN2), digest, key="k")
    good = await adapter.send(channel(CHAN), digest, key="k")

    assert caught.value.kind == "gone"
    assert caught.value.reason == reason
    assert caught.value.sent == 0
    assert posts_to(bot.fake, CHAN2) == [403 if code == 50013 else 404]  # once, not per message
    broken = await bot.stored(CHAN2)
    assert not broken.active
    assert broken.inactive_reason == reason
    assert not broken.delivers
    fine = await bot.stored(CHAN)
    assert fine.active
    assert fine.delivers
    assert len(channel_posts(bot.fake, CHAN)) == good == 3

    # The next person to use a command there learns why (a member may read the settings).
    responses = await bot.slash("settings", channel_id=CHAN2, permissions=MEMBER_PERMS)
    text = all_text(responses)
    assert "Settings of this chat" in text
    assert f"Digests to this chat are stopped: the platform refused delivery ({reason})" in text
    assert "/resume" in text
    assert all(m.ephemeral for m in messages_of(responses))
    elsewhere = await bot.slash("settings", channel_id=CHAN, permissions=MEMBER_PERMS)
    assert "stopped" not in all_text(elsewhere)

    # Once the access is fixed, a moderator turns it back on.
    getattr(bot.fake, breakage).discard(CHAN2)
    resumed = await bot.slash("resume", channel_id=CHAN2, permissions=ADMIN_PERMS)
    assert "Welcome back: digests to this chat are on again." in all_text(resumed)
    assert (await bot.stored(CHAN2)).delivers
    assert await adapter.send(channel(CHAN2), digest, key="k2") == 3
    assert len(channel_posts(bot.fake, CHAN2)) == 3


async def test_a_bot_removed_from_the_server_is_missing_access_there(bot: Bot) -> None:
    """Kicked from a server, the bot gets 403 50001 for its channels: the same as gone."""
    adapter = await bot.start()
    await bot.subscribe(CHAN2)
    bot.fake.fail_next(
        f"POST /channels/{CHAN2}/messages", 403, {"code": 50001, "message": "Missing Access"}
    )

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(channel(CHAN2), short_reply("digest", parts=2), key="k")

    assert (caught.value.kind, caught.value.reason) == ("gone", "missing access")
    assert posts_to(bot.fake, CHAN2) == [403]
    assert (await bot.stored(CHAN2)).inactive_reason == "missing access"


async def test_a_failure_after_the_first_message_reports_what_went_out(bot: Bot) -> None:
    adapter = await bot.start()
    await bot.subscribe(CHAN)
    reply = short_reply("hello", parts=3)
    sent: list[int] = []

    async def on_sent(n: int) -> None:
        sent.append(n)
        if n == 1:
            bot.fake.missing_permissions.add(CHAN)

    with pytest.raises(DeliveryError) as caught:
        await adapter.send(channel(CHAN), reply, on_sent=on_sent)

    assert caught.value.kind == "gone"
    assert caught.value.sent == 1
    assert sent == [1]
    assert posts_to(bot.fake, CHAN) == [200, 403]
    assert not (await bot.stored(CHAN)).active


async def test_a_dm_subscription_is_delivered_by_dm_and_a_closed_dm_switches_it_off(
    bot: Bot,
) -> None:
    adapter = await bot.start()
    await bot.slash("subscribe", {"categories": "cs.CL"}, dm=True, user_id=DM_USER)
    dm = bot.fake.dm_channels[DM_USER]
    sub = await bot.stored(dm)

    await adapter.send(sub.chat, short_reply("your digest"))
    bot.fake.dm_closed.add(DM_USER)
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(sub.chat, short_reply("your digest"))

    assert [text_of(m) for m in channel_posts(bot.fake, dm)] == ["your digest"]
    assert caught.value.kind == "gone"
    assert caught.value.reason == "cannot send messages to this user"
    assert not (await bot.stored(dm)).active


# --- pacing ---------------------------------------------------------------------------------


async def test_a_fan_out_stays_below_the_global_rate_limit(bot: Bot) -> None:
    """20 channels, 3 messages each (60 requests) at once against Discord's 50 requests/s:
    no 429, no invalid request beyond the two dead channels' single refusals, and a dead
    channel is not called again for the rest of its digest."""
    channels = [1_180_000_000_000_010_000 + n for n in range(20)]
    for chat_id in channels:
        bot.fake.add_channel(GUILD, chat_id)
    forbidden, deleted = channels[3], channels[11]
    bot.fake.missing_permissions.add(forbidden)
    bot.fake.unknown_channels.add(deleted)
    adapter: DiscordAdapter = await bot.start()
    bot.fake.global_limit = 50
    reply: Reply = short_reply("digest", parts=3)

    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(
            *(adapter.send(channel(c), reply, key="fan") for c in channels),
            return_exceptions=True,
        )

    failed = {c: r for c, r in zip(channels, results, strict=True) if isinstance(r, Exception)}
    assert set(failed) == {forbidden, deleted}
    assert all(isinstance(e, DeliveryError) and e.kind == "gone" for e in failed.values())
    statuses = [r.status for r in bot.fake.requests]
    assert 429 not in statuses
    assert bot.fake.invalid_requests == 1  # the 403 (a 404 does not count)
    assert posts_to(bot.fake, forbidden) == [403]
    assert posts_to(bot.fake, deleted) == [404]
    for chat_id in channels:
        if chat_id not in failed:
            assert len(channel_posts(bot.fake, chat_id)) == 3
    assert len([m for m in bot.fake.messages if m.via == "channel"]) == 18 * 3


async def test_a_stopped_channel_is_explained_in_one_wording_by_every_command(bot: Bot) -> None:
    """Whatever command someone uses there, the same sentence says why and what to do (it
    used to say "Use /start." in the settings and "use /resume" after other commands)."""
    adapter = await bot.start()
    await bot.subscribe(CHAN2)
    bot.fake.missing_permissions.add(CHAN2)
    with pytest.raises(DeliveryError):
        await adapter.send(channel(CHAN2), digest_reply(long_digest(3)), key="k")
    sentence = (
        "Digests to this chat are stopped: the platform refused delivery (missing permissions)."
        " Fix the bot's access here, then use /resume."
    )
    for command in ("settings", "help", "start"):
        iid = bot.fake.slash(command, channel_id=CHAN2, permissions=MEMBER_PERMS)
        async with asyncio.timeout(TIMEOUT):
            await bot.fake.wait_for(lambda i=iid: sentence in all_text(bot.fake.responses_for(i)))
        text = all_text(bot.fake.responses_for(iid))
        assert text.count("Digests to this chat are stopped") == 1, (command, text)
        assert "Use /start" not in text, command
