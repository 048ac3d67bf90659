"""Unicode as people really type it: fullwidth and other-script digits mean what they look like;
invisible characters that reorder or hide text are refused (and change nothing); the joiners
that emoji and Persian, Hindi or Urdu words need are kept everywhere."""

from __future__ import annotations

import pytest

from bot.summaries.prompt import parse_answer
from bot.text.unicode import clean_text
from tests.commands.support import PRIVATE, Bot, is_error, text

ZWNJ = "\u200c"
ZWJ = "\u200d"
PERSIAN = f"می{ZWNJ}خواهم"  # "I want": the non-joiner is part of the spelling
FAMILY = f"\U0001f468{ZWJ}\U0001f469{ZWJ}\U0001f467"  # one emoji, three joined


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("/time \uff10\uff18:\uff13\uff10", "08:30"),  # fullwidth digits
        ("/time 08\uff1a30", "08:30"),  # fullwidth colon
        ("/time ٠٨:٣٠", "08:30"),  # Arabic-Indic digits
        ("/time ०८:३०", "08:30"),  # Devanagari digits
    ],
)
async def test_times_in_any_digits_are_stored_as_plain_times(
    bot: Bot, typed: str, stored: str
) -> None:
    answer = await bot.send(PRIVATE, typed)
    assert not is_error(answer), text(answer)
    assert (await bot.stored(PRIVATE)).delivery_time == stored


async def test_fullwidth_categories_and_keywords_read_as_what_they_look_like(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe \uff43\uff53.\uff21\uff29")
    await bot.send(PRIVATE, "/keywords add \uff2c\uff2c\uff2d")
    sub = await bot.stored(PRIVATE)
    assert sub.categories == ("cs.AI",)
    assert sub.keywords == ("LLM",)


@pytest.mark.parametrize(
    "hidden",
    [
        "\u202e",  # right-to-left override
        "\u2067",  # right-to-left isolate
        "\u2069",  # pop directional isolate
        "\u200f",  # right-to-left mark
        "\u200b",  # zero-width space
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark
        "\U000e0041",  # tag latin capital letter A
        "\u00ad",  # soft hyphen
        "\u3164",  # Hangul filler: shows as a blank
        "\u206a",  # inhibit symmetric swapping (deprecated format control)
        "\ufffb",  # interlinear annotation terminator
    ],
)
async def test_invisible_characters_in_keywords_are_refused_and_change_nothing(
    bot: Bot, hidden: str
) -> None:
    await bot.send(PRIVATE, "/keywords add LLM")
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, f"/keywords add evil{hidden}word")

    assert is_error(answer)
    assert "invisible" in text(answer)
    assert f"U+{ord(hidden):04X}" in text(answer)
    assert await bot.stored(PRIVATE) == before


async def test_a_persian_keyword_keeps_its_non_joiner(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, f"/keywords add {PERSIAN}")
    assert not is_error(answer), text(answer)
    assert (await bot.stored(PRIVATE)).keywords == (PERSIAN,)
    assert PERSIAN in text(await bot.send(PRIVATE, "/settings"))


def test_papers_and_model_answers_lose_what_hides_text_but_keep_joiners() -> None:
    title = f"Fast \u202eLLM\u202c inference{ZWJ} with {FAMILY} and {PERSIAN}\u200b"
    assert clean_text(title) == f"Fast LLM inference{ZWJ} with {FAMILY} and {PERSIAN}"
    tldr, body = parse_answer(f"TL;DR: {FAMILY} works\u2066 well\n\n- {PERSIAN}\u202e done")
    assert tldr == f"{FAMILY} works well"
    assert body == f"- {PERSIAN} done"


@pytest.mark.parametrize(
    "typed",
    [
        f"{ZWJ}lead",  # at the start of a word
        f"trail{ZWNJ}",  # at its end
        f"dou{ZWJ}{ZWJ}ble",  # doubled
        f"{ZWNJ}",  # alone
    ],
)
async def test_joiners_that_join_nothing_are_refused(bot: Bot, typed: str) -> None:
    await bot.send(PRIVATE, "/keywords add LLM")
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, f"/keywords add {typed}")

    assert is_error(answer)
    assert "joins nothing" in text(answer)
    assert await bot.stored(PRIVATE) == before


@pytest.mark.parametrize(
    "typed",
    [
        "\u0662\u0666\u0661\u0661.\u0660\u0660\u0660\u0660\u0661",  # Arabic-Indic digits
        "\u06f2\u06f6\u06f1\u06f1.\u06f0\u06f0\u06f0\u06f0\u06f1",  # Persian digits
        "\u0968\u096c\u0967\u0967.\u0966\u0966\u0966\u0966\u0967",  # Devanagari digits
        "arXiv:\uff12\uff16\uff11\uff11.\uff10\uff10\uff10\uff10\uff11",  # fullwidth
    ],
)
async def test_an_arxiv_id_in_any_scripts_digits_is_the_id_it_reads_as(
    bot: Bot, typed: str
) -> None:
    answer = await bot.send(PRIVATE, f"/summarize {typed}")
    assert not is_error(answer), text(answer)
    assert "Mixture-of-Experts LLM serving" in text(answer)
