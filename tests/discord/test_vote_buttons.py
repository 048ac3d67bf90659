"""👍/👎 under every paper of a posted digest, pressed as Discord component interactions: a
private acknowledgement, one vote per member and paper, kept for that channel only."""

from __future__ import annotations

import asyncio

from tests.discord.conftest import Bot
from tests.discord.support import ADMIN_USER, CHAN, MEMBER_USER, MOE_LLM, TIMEOUT, messages_of
from tests.discord.test_summary_button import post_digest
from tests.fakes.fake_discord import MEMBER_PERMS, PostedMessage
from tests.fakes.fake_openai import FakeOpenAI


async def press(bot: Bot, message: PostedMessage, custom_id: str, user_id: int) -> str:
    iid = bot.fake.press(message, custom_id, user_id=user_id, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(lambda: bool(messages_of(bot.fake.responses_for(iid))))
    shown = messages_of(bot.fake.responses_for(iid))
    assert all(m.ephemeral for m in shown)
    return "\n".join(m.content for m in shown)


async def test_votes_count_once_per_member_and_only_in_their_channel(
    bot: Bot, llm: FakeOpenAI
) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    up, down = f"up:{MOE_LLM.arxiv_id}v1", f"down:{MOE_LLM.arxiv_id}v1"
    assert {up, down} <= set(digest.custom_ids())
    assert len(digest.custom_ids()) <= 25

    noted = await press(bot, digest, up, MEMBER_USER)
    again = await press(bot, digest, up, MEMBER_USER)
    await press(bot, digest, down, ADMIN_USER)
    changed = await press(bot, digest, up, ADMIN_USER)  # a member changes their mind

    store = bot.services.store
    assert "👍 noted" in noted
    assert "already voted" in again
    assert "👍 noted" in changed
    assert await store.chat_votes("discord", str(CHAN)) == {MOE_LLM.arxiv_id: (2, 0)}
    assert await store.chat_votes("discord", str(MEMBER_USER)) == {}
    # Nothing was posted in the channel for everyone.
    assert [m.message_id for m in bot.fake.messages_in(CHAN) if not m.ephemeral] == [
        digest.message_id
    ]
