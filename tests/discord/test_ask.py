"""The "Ask" button beside each paper: it opens a modal for the question, and the answer goes
to a thread under the message (started on the first question, reused after), where the
conversation goes on; in DMs, or where the bot may not start a thread, only the asker sees
it. Against the fake Discord (modals, modal submits and threads as Discord has them)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.discord import DiscordAdapter
from tests.discord.conftest import Bot
from tests.discord.support import (
    ATTENTION,
    CHAN,
    DM_USER,
    MEMBER_USER,
    MOE_LLM,
    TIMEOUT,
    all_text,
    messages_of,
    text_of,
)
from tests.discord.test_summary_button import post_digest
from tests.fakes.fake_discord import (
    BOT_PERMS,
    CREATE_PUBLIC_THREADS,
    MEMBER_PERMS,
    InteractionCallback,
    PostedMessage,
)
from tests.fakes.fake_openai import FakeOpenAI, grounded_answer_responder

ASK = f"ask:{MOE_LLM.arxiv_id}v1"
QUESTION = "How is the routing done?"


@pytest.fixture(autouse=True)
def grounded(llm: FakeOpenAI) -> None:
    llm.responder = grounded_answer_responder


async def open_modal(bot: Bot, message: PostedMessage, custom_id: str = ASK) -> str:
    """Press Ask as an ordinary member; the modal must open. Returns the press's id."""
    iid = bot.fake.press(message, custom_id, user_id=MEMBER_USER, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        callback = await bot.fake.wait_for_callback(iid)
    assert callback.type == 9  # MODAL
    return iid


async def ask(bot: Bot, message: PostedMessage, question: str, marker: str, **kw: str) -> str:
    """Ask through the button and the modal; wait until ``marker`` shows in the answers to
    the submit. Returns the submit's interaction id."""
    opened = await open_modal(bot, message, **kw)
    iid = bot.fake.submit_modal(opened, {"Your question": question})
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(lambda: marker in all_text(bot.fake.responses_for(iid)))
    return iid


def thread_messages(bot: Bot, thread: int) -> list[PostedMessage]:
    return [m for m in bot.fake.messages_in(thread) if m.via == "channel"]


async def test_every_paper_has_an_ask_button_beside_its_summary_button(bot: Bot) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)

    ids = digest.custom_ids()
    assert ASK in ids
    assert ids.index(ASK) == ids.index(f"sum:{MOE_LLM.arxiv_id}v1") + 1
    assert digest.component(ASK)["label"].startswith("Ask: Mixture-of-Experts")  # type: ignore[index]


async def test_ask_opens_a_modal_and_the_answer_goes_to_a_thread(
    bot: Bot, llm: FakeOpenAI
) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)

    opened = await open_modal(bot, digest)
    modal = bot.fake.interactions[opened].callback
    assert isinstance(modal, InteractionCallback)
    assert modal.data["title"] == f"Ask about arXiv:{MOE_LLM.arxiv_id}v1"
    submit = bot.fake.submit_modal(opened, {"Your question": QUESTION})
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(lambda: "Answered in the thread" in all_text(
            bot.fake.responses_for(submit)))  # fmt: skip

    thread = bot.fake.threads[digest.message_id]  # a thread started from the digest
    assert thread["parent_id"] == str(CHAN)
    [answer] = thread_messages(bot, digest.message_id)
    shown = text_of(answer)
    assert f"**Q:** {QUESTION}" in shown
    assert "Routing is learned." in shown
    assert "From: Abstract" in shown
    assert answer.allowed_mentions == {"parse": []}
    assert answer.custom_ids() == [ASK]  # "Ask a follow-up" in the thread
    note = messages_of(bot.fake.responses_for(submit))
    assert all(m.ephemeral for m in note)
    assert bot.fake.callbacks[-1].ephemeral  # the deferral: nothing shown in the channel
    assert [c for c in llm.calls if "<question>" in c.last_user_text]


async def test_a_follow_up_in_the_thread_continues_the_conversation(
    bot: Bot, llm: FakeOpenAI
) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    await ask(bot, digest, QUESTION, "Answered in the thread")
    [first] = thread_messages(bot, digest.message_id)

    await ask(bot, first, "And what do they serve on few GPUs?", "Answered in the thread")
    await ask(bot, digest, "Is the model sparse?", "Answered in the thread")  # from the digest

    answers = thread_messages(bot, digest.message_id)
    assert len(answers) == 3
    assert "**Q:** And what do they serve on few GPUs?" in text_of(answers[1])
    assert "**Q:** Is the model sparse?" in text_of(answers[2])
    starts = [r for r in bot.fake.requests if r.path.endswith("/threads")]
    assert [r.status for r in starts] == [201, 400]  # started once, then found again
    asked = [c for c in llm.calls if "<question>" in c.last_user_text]
    assert QUESTION in asked[1].text_of("user")  # the thread is one conversation
    assert QUESTION in asked[2].text_of("user")
    assert len(bot.fake.threads) == 1


async def test_without_the_right_to_start_threads_the_answer_is_private(bot: Bot) -> None:
    adapter = await bot.start()
    digest = await post_digest(bot, adapter)
    bot.fake.bot_permissions = BOT_PERMS & ~CREATE_PUBLIC_THREADS

    submit = await ask(bot, digest, QUESTION, "Routing is learned.")

    shown = messages_of(bot.fake.responses_for(submit))
    assert shown
    assert all(m.ephemeral for m in shown)
    assert "From: Abstract" in all_text(bot.fake.responses_for(submit))
    assert bot.fake.threads == {}
    assert [r.status for r in bot.fake.requests if r.path.endswith("/threads")] == [403]


async def test_in_a_dm_the_answer_is_shown_to_the_asker(bot: Bot) -> None:
    await bot.start()
    responses = await bot.slash(
        "summarize", {"paper": "2512.03394"}, dm=True, user_id=DM_USER, n=2
    )
    [summary] = [m for m in messages_of(responses) if m.custom_ids()]
    custom_id = f"ask:{ATTENTION.arxiv_id}v2"
    assert custom_id in summary.custom_ids()

    iid = bot.fake.press(summary, custom_id, user_id=DM_USER)
    async with asyncio.timeout(TIMEOUT):
        assert (await bot.fake.wait_for_callback(iid)).type == 9
    submit = bot.fake.submit_modal(iid, {"Your question": "Does attention still work?"})
    async with asyncio.timeout(TIMEOUT):
        await bot.fake.wait_for(
            lambda: "We revisit attention." in all_text(bot.fake.responses_for(submit))
        )

    assert all(m.ephemeral for m in messages_of(bot.fake.responses_for(submit)))
    assert bot.fake.threads == {}


async def test_past_the_limit_the_refusal_is_private_and_starts_no_thread(
    bot: Bot, llm: FakeOpenAI
) -> None:
    adapter: DiscordAdapter = await bot.start()
    digest = await post_digest(bot, adapter)
    bot.services.summarizer.per_user_per_day = 0  # the operator's setting, at its lowest

    submit = await ask(bot, digest, QUESTION, "daily limit")

    assert all(m.ephemeral for m in messages_of(bot.fake.responses_for(submit)))
    assert bot.fake.threads == {}
    assert llm.attempts == 0
