"""Rendering through the real client and the fake's Telegram-exact HTML parser: hostile text
stays text, digests are compact, long and emoji-heavy content is split within 4,096 UTF-16
units without cutting an entity, and link previews are always off."""

from __future__ import annotations

import re
from pathlib import Path

from app.wiring import open_services
from bot.config import Settings
from bot.contract.messages import Collapsible, Reply, bold, para, reply
from bot.summaries.prompt import MAX_SUMMARY_CHARS
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import (
    FakeOpenAI,
    correcting_responder,
    hostile_markup_responder,
    static_responder,
)
from tests.fakes.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import OpenServices, RunBot
from tests.telegram.support import (
    HOSTILE,
    HOSTILE_TEXT,
    NOW,
    OTHER_USER,
    TODAY,
    USER,
    TgBot,
    expandable,
    normalized,
    texts,
)

LIMIT = 4096


def assert_accepted(tg: FakeTelegram) -> None:
    """Nothing refused, everything within Telegram's limits, no link previews anywhere."""
    assert not tg.rejections, tg.rejections[:3]
    assert tg.sent
    for message in tg.sent:
        assert message.text_length <= LIMIT
        assert message.link_preview_options == {"is_disabled": True}
        html = message.html
        assert html.count("<blockquote") == html.count("</blockquote>"), html[-200:]


def assert_in_order(haystack: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"{needle!r} missing (or out of order) after {position}"
        position = found + len(needle)


# --- hostile text ---------------------------------------------------------------------------


async def test_hostile_titles_abstracts_and_model_output_stay_text(
    bot: TgBot, tg: FakeTelegram, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    arxiv.papers.append(HOSTILE)
    llm.responder = hostile_markup_responder
    await bot.exchange(USER, "/subscribe cs.LG")
    await bot.exchange(USER, "/keywords add unclosed")  # the hostile paper comes first

    _ack, *digest = await bot.exchange(USER, "/digest")
    card = digest[0]
    assert HOSTILE.title in card.text, "the title, verbatim"
    assert card.links[0] == "https://arxiv.org/abs/2611.06666"

    [summary] = await bot.exchange(USER, "/summarize 2611.06666")  # made for the digest
    assert summary.text.startswith(HOSTILE.title)
    # the markup stays text; "A & B" is two authors (bot.text.author_lists, the one rule)
    assert "<i>Mallory</i>, Eve, 张伟" in summary.text
    [quote] = expandable(summary)
    for fragment in ("<b>unclosed", "<script>alert(1)</script>", "R&D", "]]>", "@everyone",
                     "论文", "🤖", "\N{GREEK SMALL LETTER ALPHA} < \N{GREEK SMALL LETTER BETA}",
                     "recall > baseline", "<@&123456>"):  # fmt: skip
        assert fragment in quote, fragment
    assert "zerowidth" in quote  # invisible characters are dropped, the words stay
    assert "print('<i>not closed')" in summary.entities_of("pre")
    # Only the paper's own link: none from the model's Markdown, no unsafe scheme.
    assert summary.links == ["https://arxiv.org/abs/2611.06666"]
    assert {e["type"] for e in summary.entities} <= {
        "bold", "italic", "text_link", "pre", "code", "expandable_blockquote",
    }  # fmt: skip
    assert_accepted(tg)


async def test_a_hostile_abstract_is_readable_when_there_is_no_summary(
    bot: TgBot, tg: FakeTelegram, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    arxiv.papers.append(HOSTILE)
    llm.fail_next(400)  # the model refuses: the abstract is folded instead
    answer = await bot.exchange(USER, "/summarize 2611.06666")
    summary = answer[-1]
    [quote] = expandable(summary)
    for fragment in HOSTILE_TEXT:
        if fragment in ("<b>unclosed", "<script>alert(1)</script>", "x < y > z"):
            continue  # title-only fragments
        shown = fragment.replace("\u200b", "")
        assert fragment in quote or shown in quote, fragment
    assert "\N{GREEK SMALL LETTER ALPHA}<\N{GREEK SMALL LETTER BETA}" in quote  # LaTeX, readable
    assert "\\alpha" not in quote
    assert summary.links == ["https://arxiv.org/abs/2611.06666"]
    assert_accepted(tg)


# --- digests --------------------------------------------------------------------------------


async def digest_messages(bot: TgBot, chat_id: int) -> list[SentMessage]:
    await bot.exchange(chat_id, "/subscribe cs.LG")
    ack, *digest = await bot.exchange(chat_id, "/digest")
    assert ack.text == "Fetching today's papers..."
    return digest


async def test_a_digest_of_ten_papers_takes_at_most_two_messages(
    run_bot: RunBot,
    open_fixed_services: OpenServices,
    settings: Settings,
    tg: FakeTelegram,
    tmp_path: Path,
) -> None:
    """Realistic titles, 4-6 authors, and TL;DRs from the model or, with no model
    configured (on a database without cached summaries), extracts of ~150-word abstracts."""
    runs: dict[str, list[SentMessage]] = {}
    async with open_fixed_services() as services, run_bot(services) as bot:
        runs["model TL;DRs"] = await digest_messages(bot, USER)
    no_model = settings.model_copy(
        update={"openai_api_key": None, "database_url": f"sqlite:///{tmp_path / 'other.db'}"}
    )
    async with open_services(no_model) as services, run_bot(services) as bot:
        services.clock = lambda: NOW
        runs["abstract TL;DRs"] = await digest_messages(bot, OTHER_USER)

    titles = [p.title for p in TODAY[:10]]
    for name, digest in runs.items():
        assert len(digest) <= 2, (name, [m.text_length for m in digest])
        assert all(t in texts(digest) for t in titles), name
        assert sum(len(expandable(m)) for m in digest) == 10, name
        assert sum(len(m.callback_data) for m in digest) == 30, name  # summary, 👍, 👎
    assert "proposes a simple, scalable method" in texts(runs["model TL;DRs"])
    assert "proposes a simple, scalable method" not in texts(runs["abstract TL;DRs"])
    assert sum(len(d) for d in runs.values()) / len(runs) <= 2
    assert_accepted(tg)


# --- long content ---------------------------------------------------------------------------


def long_markdown(n: int, *, width: int = 260) -> tuple[str, list[str]]:
    """A model answer: a TL;DR line, then ``n`` numbered paragraphs under headings."""
    paragraphs = []
    for i in range(n):
        words = f"Paragraph P{i:03d} says something precise about the method, " * 20
        paragraphs.append((f"P{i:03d} " + words)[:width].rsplit(" ", 1)[0] + ".")
    body = []
    for i, text in enumerate(paragraphs):
        if i % 10 == 0:
            body.append(f"## Section {i // 10}")
        body.append(text)
    return "TL;DR: A long answer.\n\n" + "\n\n".join(body), paragraphs


async def test_a_20000_character_summary_is_split_without_cutting_anything(
    bot: TgBot, tg: FakeTelegram, llm: FakeOpenAI
) -> None:
    answer, paragraphs = long_markdown(80)
    assert len(answer) > 20_000
    llm.responder = static_responder(answer)
    _ack, *parts = await bot.exchange(USER, "/summarize 2512.03394")

    assert len(parts) >= 2
    assert_accepted(tg)
    # The summary is capped at MAX_SUMMARY_CHARS by the core; everything kept is shown, in
    # order, each paragraph whole inside one message, inside a closed expandable quote.
    kept = [p for p in paragraphs if answer.index(p) + len(p) <= MAX_SUMMARY_CHARS]
    assert len(kept) >= 25
    assert_in_order(texts(parts), kept)
    for p in kept:
        assert sum(p in m.text for m in parts) == 1, p[:10]
        assert any(p in q for m in parts for q in expandable(m)), p[:10]
    for m in parts:
        assert expandable(m), "every part keeps its text folded"


async def test_a_reply_far_over_the_limit_is_split_at_paragraphs(
    bot: TgBot, tg: FakeTelegram
) -> None:
    """Straight through ``send``: 20,000+ characters of folded paragraphs plus one paragraph
    longer than a whole message."""
    _, paragraphs = long_markdown(70)
    giant = " ".join(f"Sentence S{i:03d} of the giant paragraph." for i in range(300))
    assert len(giant) > 2 * LIMIT
    folded = (*(para(p) for p in paragraphs), para(giant), para("The end."))
    blocks = (para(bold("Heading")), Collapsible((para("TL;DR shows"),), folded))
    total = sum(len(p) for p in paragraphs) + len(giant)
    assert total > 20_000

    count = await bot.adapter.send(bot.chat(USER), Reply(blocks))
    parts = tg.sent_to(USER)
    assert count == len(parts) >= 6
    assert_accepted(tg)
    assert parts[0].text.startswith("Heading\n\nTL;DR shows\n\nP000")
    assert_in_order(texts(parts), [*paragraphs, "Sentence S000", "Sentence S299", "The end."])
    for p in paragraphs:
        assert sum(p in m.text for m in parts) == 1, "a paragraph is never cut"
    assert normalized(giant) in normalized(" ".join(m.text for m in parts))
    for m in parts[1:]:
        assert m.text == expandable(m)[0], "continued parts are wholly folded"


async def test_emoji_heavy_text_is_counted_in_utf16_units(bot: TgBot, tg: FakeTelegram) -> None:
    """Telegram counts UTF-16 units: each 🧪 is two. 2,102 code points can be too long."""
    near = reply("🧪" * 1000, "🧪" * 1000)  # 4,002 units: one message
    await bot.adapter.send(bot.chat(USER), near)
    [one] = tg.sent_to(USER)
    assert one.text_length == 4002

    over = reply("🧪" * 1000, "🧪" * 1000, "🧪" * 100)  # 4,204 units, 2,102 code points
    assert await bot.adapter.send(bot.chat(USER), over) == 2
    first, second = tg.sent_to(USER)[1:]
    assert first.text_length == 4002
    assert second.text == "🧪" * 100

    one_paragraph = reply("x🧪" * 2500)  # 7,500 units without a space: cut anyway
    sent = await bot.adapter.send(bot.chat(USER), one_paragraph)
    assert sent >= 2
    tail = tg.sent_to(USER)[3:]
    assert "".join(m.text for m in tail) == "x🧪" * 2500
    assert_accepted(tg)


async def test_link_previews_are_off_in_digests_and_summaries(
    bot: TgBot, tg: FakeTelegram
) -> None:
    await bot.exchange(USER, "/subscribe cs.LG")
    await bot.exchange(USER, "/digest")
    await bot.exchange(USER, "/summarize https://arxiv.org/abs/2512.03394")
    assert len(tg.sent) >= 4
    assert all(m.links for m in tg.sent if re.search(r"<a href", m.html))
    assert_accepted(tg)


# What Telegram clients turn into url entities in plain text: a scheme, www., name.tld/path.
_AUTO_URL = re.compile(
    r"[a-z][\w+.-]*\s*:\s*//\S+|www\.\S+|[\w-]+(?:\.[\w-]+)+/\S*|[\w-]+\.(?:com|me|example)\b",
    re.I,
)
_SAFE = re.compile(r"(https?://)?(arxiv\.org|doi\.org)/")


def url_entities(message: SentMessage) -> list[str]:
    """The addresses Telegram would make clickable: ``text_link`` entities, and the bare
    URLs its clients linkify (the fake leaves those automatic entities out)."""
    bare = [m[0] for m in _AUTO_URL.finditer(message.text)]
    return [*message.links, *bare]


async def test_bare_urls_from_the_model_are_never_clickable(
    bot: TgBot, tg: FakeTelegram, arxiv: FakeArxiv, llm: FakeOpenAI
) -> None:
    arxiv.papers.append(HOSTILE)
    llm.responder = static_responder(
        "TL;DR: Code at https://evil.example/x and www.evil.example.\n\n"
        "## Results\n"
        "- Mirror: evil.example/path and hxxp://evil.example/y, http ://evil.example/z\n"
        "- Also phish.com, t.me/joinchat/abc and [a link](https://evil.example/md)\n"
        "- The paper: https://arxiv.org/abs/2611.06666 and doi.org/10.1145/3600006\n"
    )

    messages = await bot.exchange(USER, "/summarize 2611.06666")

    summary = messages[-1]
    urls = url_entities(summary)
    assert [u for u in urls if not _SAFE.match(u)] == [], urls
    assert "https://arxiv.org/abs/2611.06666" in summary.text
    assert "doi.org/10.1145/3600006" in summary.text
    assert "[link removed]" in summary.text
    assert "evil" not in summary.text
    assert_accepted(tg)


# --- numbers the paper does not state ---------------------------------------------------------


async def test_a_number_not_in_the_paper_is_marked_in_the_summary_message(
    bot: TgBot, tg: FakeTelegram, llm: FakeOpenAI
) -> None:
    """ATTENTION's abstract (the text the model gets) has no numbers; the model invents two
    and does not correct them when asked."""
    llm.responder = correcting_responder(
        "TL;DR: Attention is 4.2x faster.\n\n## Results\n- **91.3%** accuracy on GLUE."
    )

    _ack, summary = await bot.exchange(USER, "/summarize 2512.03394")

    assert_accepted(tg)
    assert len(llm.calls) == 2  # the summary and its one correction
    [quote] = expandable(summary)
    assert "Attention is 4.2x (⚠ not found in the paper) faster." in quote
    assert "91.3% (⚠ not found in the paper) accuracy on GLUE" in quote
    # In the HTML Telegram parsed: the mark is text inside the quote (and the bold span).
    assert "<b>91.3% (⚠ not found in the paper)</b>" in summary.html
