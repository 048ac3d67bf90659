"""/digest and /summarize against the local fake arXiv, and what plain text does."""

from __future__ import annotations

import pytest

from tests.commands.conftest import RETRIES
from tests.commands.support import (
    AGENTS,
    ATTENTION,
    GROUP_ADMIN,
    GROUP_MEMBER,
    LLM_INFERENCE,
    MOE_LLM,
    PRIVATE,
    TODAY,
    Bot,
    actions,
    cards,
    folded,
    is_error,
    text,
)
from tests.fakes.fake_arxiv import FakeArxiv


async def subscribe_with_keywords(bot: Bot) -> None:
    for typed in (
        "/subscribe cs.AI cs.LG",
        '/keywords add LLM "mixture of experts"',
        "/exclude add survey",
    ):
        assert not is_error(await bot.send(PRIVATE, typed))


# --- /digest ------------------------------------------------------------------------------


async def test_digest_lists_the_best_papers_first_with_why(bot: Bot, fake: FakeArxiv) -> None:
    await subscribe_with_keywords(bot)
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, "/digest")

    assert not is_error(answer)
    found = cards(answer)
    assert [c.arxiv_id for c in found] == ["2611.00001v1", "2611.00004v1", "2611.00002v1"]
    assert [c.score for c in found] == [3.0, 2.5, 1.0]
    assert [c.why for c in found] == [
        "LLM (title), mixture of experts (title)",
        "LLM (title), mixture of experts",
        "LLM",
    ]
    first = found[0]
    assert first.title == MOE_LLM.title
    assert first.url == "https://arxiv.org/abs/2611.00001"
    assert first.authors == ("Ada Lovelace", "Alan Turing")  # affiliations dropped
    assert first.categories == ("cs.LG", "cs.AI")
    assert first.tldr == MOE_LLM.abstract
    ids = ["2611.00001v1", "2611.00004v1", "2611.00002v1"]  # each: summary, 👍, 👎
    assert actions(answer) == [f"{verb}:{i}" for i in ids for verb in ("sum", "up", "down")]
    # Six papers are in cs.AI + cs.LG today; the cs.CL one is not.
    assert "arXiv digest · Tue 24 Nov 2026 · cs.AI, cs.LG · 3 of 6 papers" in text(answer)
    assert "survey" not in text(answer).lower()
    # One request for both categories; every announced paper is remembered.
    assert [r.path for r in fake.requests if r.route == "rss"] == ["/rss/cs.AI+cs.LG"]
    for fp in TODAY:
        stored = await bot.services.store.get_paper(fp.arxiv_id)
        assert (stored is not None) == (fp.arxiv_id != "2611.00003"), fp.arxiv_id
    assert await bot.stored(PRIVATE) == before


async def test_a_digest_card_button_is_answered_from_the_store(bot: Bot, fake: FakeArxiv) -> None:
    await subscribe_with_keywords(bot)
    await bot.send(PRIVATE, "/digest")

    answer = await bot.press(PRIVATE, "sum:2611.00004v1")

    (card,) = cards(answer)
    assert (card.arxiv_id, card.title) == ("2611.00004v1", LLM_INFERENCE.title)
    assert LLM_INFERENCE.abstract in folded(card)
    assert fake.count("api") == 0


async def test_digest_when_nothing_matches(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")
    await bot.send(PRIVATE, '/keywords set "quantum gravity"')

    answer = await bot.send(PRIVATE, "/digest")

    assert not is_error(answer)
    assert cards(answer) == []
    assert "none of the 6 announced papers matched this chat" in text(answer)


async def test_digest_without_keywords_lists_every_new_paper(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")

    answer = await bot.send(PRIVATE, "/digest")

    # New submissions whose primary category is cs.AI, by id (all score 0).
    assert [c.arxiv_id for c in cards(answer)] == [
        "2611.00002v1",
        "2611.00005v1",
        "2611.00007v1",
    ]


async def test_digest_before_subscribing_uses_the_defaults(bot: Bot, fake: FakeArxiv) -> None:
    answer = await bot.send(PRIVATE, "/digest")

    assert not is_error(answer)
    assert "This chat follows no categories yet" in text(answer)
    assert [r.path for r in fake.requests if r.route == "rss"] == [
        "/rss/" + "+".join(sorted(bot.services.settings.categories))
    ]
    assert AGENTS.title in [c.title for c in cards(answer)]
    assert await bot.subscription(PRIVATE) is None


async def test_digest_when_arxiv_is_down(bot: Bot, fake: FakeArxiv) -> None:
    await subscribe_with_keywords(bot)
    before = await bot.stored(PRIVATE)
    fake.fail_next("rss", *[503] * (RETRIES + 1))

    answer = await bot.send(PRIVATE, "/digest")

    assert is_error(answer)
    assert text(answer) == "arXiv is not answering right now; please try again in a few minutes."
    assert fake.count("rss") == RETRIES + 1
    assert await bot.stored(PRIVATE) == before
    assert await bot.services.store.get_paper(MOE_LLM.arxiv_id) is None
    # When arXiv is back, so is the digest (a failure is not cached).
    again = await bot.send(PRIVATE, "/digest")
    assert next(c.arxiv_id for c in cards(again)) == "2611.00001v1"


async def test_digest_when_arxiv_refuses(bot: Bot, fake: FakeArxiv) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    fake.fail_next("rss", 400)

    answer = await bot.send(PRIVATE, "/digest")

    assert is_error(answer)
    assert "arXiv refused the request" in text(answer)
    assert fake.count("rss") == 1


async def test_a_burst_of_digests_costs_arxiv_one_request(bot: Bot, fake: FakeArxiv) -> None:
    await bot.send(GROUP_ADMIN, "/subscribe cs.LG cs.AI")
    await bot.send(PRIVATE, "/subscribe cs.AI cs.LG")

    for ctx in (PRIVATE, GROUP_ADMIN, GROUP_MEMBER, PRIVATE):
        assert cards(await bot.send(ctx, "/digest"))

    assert fake.count("rss") == 1


# --- /summarize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "version"),
    [
        ("/summarize 2512.03394", 2),
        ("/summarize arXiv:2512.03394v2", 2),
        ("/summarize https://arxiv.org/abs/2512.03394v1", 1),
        ("/summary https://arxiv.org/pdf/2512.03394v1.pdf", 1),
    ],
)
async def test_summarize_by_id_or_url(bot: Bot, fake: FakeArxiv, typed: str, version: int) -> None:
    answer = await bot.send(PRIVATE, typed)

    assert not is_error(answer), text(answer)
    (card,) = cards(answer)
    assert card.arxiv_id == f"2512.03394v{version}"
    assert card.title == ATTENTION.title
    assert card.authors == ("Grace Hopper", "张伟")
    assert card.categories == ("cs.CL", "cs.LG")
    assert card.url == "https://arxiv.org/abs/2512.03394"
    assert ATTENTION.abstract in folded(card)
    stored = await bot.services.store.get_paper("2512.03394", version)
    assert stored is not None
    assert stored.title == ATTENTION.title
    assert fake.count("api") >= 1


async def test_a_paper_is_fetched_once(bot: Bot, fake: FakeArxiv) -> None:
    await bot.send(PRIVATE, "/summarize 2512.03394")
    asked = fake.count("api")

    answer = await bot.send(PRIVATE, "/summarize 2512.03394")

    assert cards(answer)[0].title == ATTENTION.title
    assert fake.count("api") == asked


async def test_summarize_when_arxiv_is_down(bot: Bot, fake: FakeArxiv) -> None:
    fake.fail_next("api", *[500] * 10)

    answer = await bot.send(PRIVATE, "/summarize 2512.03394")

    assert is_error(answer)
    assert "arXiv is not answering right now" in text(answer)
    assert await bot.services.store.get_paper("2512.03394") is None


async def test_summarize_needs_no_admin_and_changes_no_settings(bot: Bot) -> None:
    await bot.send(GROUP_ADMIN, "/subscribe cs.AI")
    before = await bot.stored(GROUP_ADMIN)

    answer = await bot.send(GROUP_MEMBER, "/summarize 2512.03394")

    assert cards(answer)[0].title == ATTENTION.title
    assert await bot.stored(GROUP_MEMBER) == before


# --- plain text ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2512.03394", "https://arxiv.org/abs/2512.03394"])
async def test_a_bare_id_in_a_private_chat_offers_a_summary(bot: Bot, typed: str) -> None:
    offer = await bot.send(PRIVATE, typed)

    assert text(offer) == "Summarize arXiv:2512.03394?"
    assert actions(offer) == ["sum:2512.03394"]
    assert await bot.services.store.get_paper("2512.03394") is None

    answer = await bot.press(PRIVATE, "sum:2512.03394")
    assert cards(answer)[0].title == ATTENTION.title


async def test_other_text_in_a_private_chat_points_to_help(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "hello bot")

    assert not is_error(answer)
    assert "/help" in text(answer)
    assert await bot.subscription(PRIVATE) is None


@pytest.mark.parametrize("typed", ["hello everyone", "2512.03394", "cs.AI", "  "])
async def test_plain_text_in_a_group_is_ignored(bot: Bot, fake: FakeArxiv, typed: str) -> None:
    for ctx in (GROUP_MEMBER, GROUP_ADMIN):
        assert await bot.router.handle_text(ctx, typed) is None
    assert await bot.router.handle_text(PRIVATE, "   ") is None
    assert fake.requests == []
