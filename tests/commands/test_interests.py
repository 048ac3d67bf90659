"""/interests: a chat's interests in words, kept with its subscription and shown in /settings."""

from __future__ import annotations

from pydantic import SecretStr

from app.wiring import open_services
from bot.commands import CommandRouter
from bot.config import Settings
from bot.model.subscriptions import MAX_INTERESTS_CHARS
from tests.commands.conftest import OpenBot
from tests.commands.support import (
    GROUP_ADMIN,
    GROUP_MEMBER,
    NO_MATCH,
    PRIVATE,
    Bot,
    cards,
    is_error,
    text,
)
from tests.fakes.fake_openai import FakeOpenAI

INTERESTS = "efficient inference of LLMs:  KV cache,\n quantization"


async def test_interests_are_kept_one_line_and_shown_in_settings(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, f"/interests {INTERESTS}")

    kept = "efficient inference of LLMs: KV cache, quantization"
    assert not is_error(answer)
    assert (await bot.stored(PRIVATE)).interests == kept
    assert f"Interests: {kept}" in text(await bot.send(PRIVATE, "/settings"))
    assert f"Interests: {kept}" in text(await bot.send(PRIVATE, "/interests"))


async def test_interests_survive_a_restart(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        await bot.send(PRIVATE, "/interests sparse attention")
    async with open_bot() as bot:
        assert (await bot.stored(PRIVATE)).interests == "sparse attention"


async def test_clear_forgets_them(bot: Bot) -> None:
    await bot.send(PRIVATE, "/interests sparse attention")

    answer = await bot.send(PRIVATE, "/interests clear")

    assert "cleared" in text(answer)
    assert (await bot.stored(PRIVATE)).interests == ""
    assert "Interests: none" in text(await bot.send(PRIVATE, "/settings"))


async def test_only_admins_set_them_in_groups(bot: Bot) -> None:
    refused = await bot.send(GROUP_MEMBER, "/interests sparse attention")

    assert is_error(refused)
    assert await bot.subscription(GROUP_MEMBER) is None
    await bot.send(GROUP_ADMIN, "/interests sparse attention")
    assert (await bot.stored(GROUP_MEMBER)).interests == "sparse attention"


async def test_bad_interests_change_nothing(bot: Bot) -> None:
    await bot.send(PRIVATE, "/interests sparse attention")

    no_words = await bot.send(PRIVATE, "/interests ... --- !!!")

    assert is_error(no_words)
    assert "Nothing was changed" in text(no_words)
    assert (await bot.stored(PRIVATE)).interests == "sparse attention"
    long_text = "word " * (MAX_INTERESTS_CHARS // 5 + 1)
    assert is_error(await bot.send(PRIVATE, f"/interests {long_text}"))
    assert (await bot.stored(PRIVATE)).interests == "sparse attention"


async def test_digest_ranks_by_interests_and_says_why(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")
    await bot.send(PRIVATE, "/keywords add LLM")
    before = [c.arxiv_id for c in cards(await bot.send(PRIVATE, "/digest"))]
    await bot.send(PRIVATE, "/interests colouring graphs quickly")

    found = {c.arxiv_id: c for c in cards(await bot.send(PRIVATE, "/digest"))}

    assert NO_MATCH.arxiv_id + "v1" not in before
    graph = found[NO_MATCH.arxiv_id + "v1"]  # no keyword: in by closeness alone
    assert graph.why == "close to your interests 1.00"
    assert all(c.why.startswith("LLM") for k, c in found.items() if k != graph.arxiv_id)


async def test_settings_say_words_without_embeddings(bot: Bot) -> None:
    shown = text(await bot.send(PRIVATE, "/settings"))

    assert "Interests match by: words (BM25; no embeddings configured)" in shown


async def test_settings_say_which_similarity_is_in_use(settings: Settings) -> None:
    async with FakeOpenAI() as llm:
        configured = settings.model_copy(
            update={
                "openai_api_key": SecretStr("sk-test"),
                "openai_base_url": llm.base_url,
                "summaries_enabled": False,
                "llm_retries": 0,
            }
        )
        async with open_services(configured) as services:
            bot = Bot(services, CommandRouter(services))
            await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")
            await bot.send(PRIVATE, "/interests colouring graphs quickly")
            shown = text(await bot.send(PRIVATE, "/settings"))
            assert "match by: meaning: embeddings text-embedding-3-small" in shown

            by_meaning = await bot.send(PRIVATE, "/digest")
            assert "close to your interests 1.00" in text(by_meaning)
            assert len(llm.embedding_calls) == 2  # the papers in one batch, the interests

            llm.embeddings_down = True
            await bot.send(PRIVATE, "/interests graphs")
            by_words = text(await bot.send(PRIVATE, "/digest"))
            assert "Ranked by the words of your interests this time" in by_words
            assert "close to your interests" in by_words
            shown = text(await bot.send(PRIVATE, "/settings"))
            assert "match by: words for now: embeddings" in shown
            assert "(HTTP 503)" in shown
