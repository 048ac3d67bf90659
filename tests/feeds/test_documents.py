"""The digest as RSS 2.0 and Atom 1.0 documents (``bot.rendering.formats.render``,
``bot.rendering.feed_documents``), read back as a feed reader reads them: every field, stable
ids, and hostile text from papers and from the model escaped into the same visible text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.arxiv.announcements import Announcement
from bot.config import profile_from_settings
from bot.model.papers import Paper
from bot.model.profile import Profile
from bot.ranking.digest import make_digest
from bot.ranking.scoring import Scorer
from bot.rendering.feed_documents import FeedItem, build_feed
from bot.rendering.formats import render
from bot.summaries.digests import with_summaries
from tests.fakes.fake_openai import correcting_responder, hostile_markup_responder
from tests.feeds.conftest import World
from tests.feeds.support import (
    DAY1_DEFAULT_IDS,
    NS_ATOM,
    NS_DC,
    announced_day,
    entry_html,
    entry_ids,
    parse_feed,
    raw_feed,
    visible,
)

FORMATS = ("rss", "atom")
ALLOWED_TAGS = {"p", "b", "i", "code", "pre", "a", "ul", "ol", "li", "h4", "details", "summary"}
ALPHA, BETA = "\u03b1", "\u03b2"  # what LaTeX $\\alpha$, $\\beta$ read as
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def authors_in_xml(body: bytes, fmt: str) -> list[list[str]]:
    """Each item's authors as the XML carries them: RSS ``dc:creator``, Atom ``author``."""
    root = ET.fromstring(body)
    if fmt == "rss":
        return [
            [c.text or "" for c in item.findall(f"{{{NS_DC}}}creator")]
            for item in root.iter("item")
        ]
    return [
        [n.text or "" for n in entry.findall(f"{{{NS_ATOM}}}author/{{{NS_ATOM}}}name")]
        for entry in root.iter(f"{{{NS_ATOM}}}entry")
    ]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_field_of_every_item(world: World, fmt: str) -> None:
    """Title, link to the abs page, authors, categories, announcement date, a stable id and
    HTML content with why the paper matched, the abstract and the cached summary."""
    services = world.services
    announcement = await services.announcements.fetch(world.settings.categories)
    digest = make_digest(announcement, profile_from_settings(world.settings))
    digest = await with_summaries(digest, services.summarizer, "en", limit=1, deadline=30)
    assert len(digest.summaries) == 1
    assert world.llm.attempts == 1
    [summary] = digest.summaries.values()

    body = render(digest, fmt).encode("utf-8")  # type: ignore[arg-type]
    parsed = parse_feed(body, fmt)

    assert parsed.feed.title == "arXiv digest: cs.AI, cs.LG, cs.CL"
    assert entry_ids(parsed) == [f"arXiv:{i}" for i in DAY1_DEFAULT_IDS]
    assert [s.paper.arxiv_id for s in digest.papers] == DAY1_DEFAULT_IDS
    first, moe = parsed.entries[0], parsed.entries[1]
    assert first.title == "Fast LLM Inference 深度学习 🚀"
    assert first.link == "https://arxiv.org/abs/2611.00001"
    assert [t.term for t in first.tags] == ["cs.LG", "cs.AI"]
    assert announced_day(first) == date(2026, 11, 24) == digest.announcement_day
    # Authors once each, affiliations dropped, CJK kept: RSS by dc:creator, Atom by author.
    assert authors_in_xml(body, fmt)[:2] == [
        ["Ada Lovelace", "Alan Turing"],
        ["Grace Hopper", "张伟"],
    ]
    assert [a.name for a in first.authors] == ["Ada Lovelace", "Alan Turing"]
    assert [a.name for a in moe.authors] == ["Grace Hopper", "张伟"]

    shown, tags = visible(entry_html(first))
    assert set(tags) <= ALLOWED_TAGS
    assert "Why: LLM (title), inference (title) (score 3)" in shown
    # The abstract, LaTeX made readable, '<' and '&' as text.
    assert f"We make LLM inference fast with {ALPHA}-scheduling. x<y & 大语言模型 🤖." in shown
    assert "$\\alpha$" not in shown
    assert f"TL;DR: {summary.tldr}" in shown
    assert "Contributions" in shown  # the summary's sections
    assert summary.credit() in shown
    # The second paper has no summary: its abstract, no TL;DR.
    shown_moe, _ = visible(entry_html(moe))
    assert "Why: LLM, mixture of experts (title) (score 2.5)" in shown_moe
    assert "Routing tokens for LLM layers." in shown_moe
    assert "TL;DR" not in shown_moe


def test_rss_and_atom_namespaces() -> None:
    paper = Paper("2611.00001", 1, "T", "A", ("Ada",), ("cs.LG",), "new", date(2026, 11, 24))
    [scored] = Scorer([paper]).score(Profile(categories=("cs.LG",)))
    docs = {
        fmt: build_feed(
            [FeedItem(scored, date(2026, 11, 24))], fmt=fmt, title="t",  # type: ignore[arg-type]
            feed_url="https://feeds.example.org/rss", site_url="https://arxiv.org/list/cs.LG/new",
            description="d", updated=datetime(2026, 11, 25, 1, 30, tzinfo=UTC),
        )
        for fmt in FORMATS
    }  # fmt: skip
    rss = ET.fromstring(docs["rss"])
    assert (rss.tag, rss.get("version")) == ("rss", "2.0")
    assert rss.find("channel/item/guid") is not None
    assert rss.find("channel/item/guid").get("isPermaLink") == "false"  # type: ignore[union-attr]
    atom = ET.fromstring(docs["atom"])
    assert atom.tag == f"{{{NS_ATOM}}}feed"
    assert atom.find(f"{{{NS_ATOM}}}entry/{{{NS_ATOM}}}id") is not None
    assert parse_feed(docs["rss"], "rss").entries[0].id == "arXiv:2611.00001"
    assert parse_feed(docs["atom"], "atom").entries[0].id == "arXiv:2611.00001"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_version_keeps_the_item_id(fmt: str) -> None:
    """v1 announced, then v2: the reader sees one item updated, not a second one."""
    profile = Profile(categories=("cs.LG",), keywords=("experts",))
    ids, links = [], []
    for version, title in ((1, "Sparse experts"), (2, "Sparse experts, revised")):
        paper = Paper(
            "2611.00042", version, title, "On experts.", ("Ada",), ("cs.LG",), "new",
            date(2026, 11, 24),
        )  # fmt: skip
        [scored] = Scorer([paper]).score(profile)
        body = build_feed(
            [FeedItem(scored, date(2026, 11, 23 + version))], fmt=fmt,  # type: ignore[arg-type]
            title="t", feed_url="urn:x", site_url="https://arxiv.org/", description="d",
            updated=datetime(2026, 11, 25, tzinfo=UTC),
        )  # fmt: skip
        [entry] = parse_feed(body, fmt).entries
        assert entry.title == title
        ids.append(entry.id)
        links.append(entry.link)
    assert ids == ["arXiv:2611.00042", "arXiv:2611.00042"]
    assert links == ["https://arxiv.org/abs/2611.00042"] * 2


HOSTILE_TITLE = "<script>alert(1)</script> R&D ]]> \x01bell\x0b $\\alpha<\\beta$ 论文 🤖"
HOSTILE_ABSTRACT = (
    "We show x<y && y>z ]]> <![CDATA[ raw ]]> <img src=x onerror=alert(1)> "
    "\x00\x08nul \ufffe $\\alpha<\\beta$ 深度学习 🚀 &amp; done."
)
HOSTILE_AUTHORS = ("Ada <Lovelace> & Co", "张伟", "]]>\x02 Mallory")


@pytest.mark.parametrize("fmt", FORMATS)
async def test_hostile_papers_and_model_output_keep_their_visible_text(
    world: World, fmt: str
) -> None:
    paper = Paper(
        "2611.00666", 1, HOSTILE_TITLE, HOSTILE_ABSTRACT, HOSTILE_AUTHORS, ("cs.LG", "cs.AI"),
        "new", date(2026, 11, 24),
    )  # fmt: skip
    await world.services.store.save_papers([paper])
    world.llm.responder = hostile_markup_responder
    summary = await world.services.summarizer.summary(paper, "en")  # cached by the real one
    assert world.llm.attempts == 1
    announcement = Announcement(("cs.LG",), date(2026, 11, 24), (paper,))
    digest = make_digest(announcement, Profile(categories=("cs.LG",), keywords=("alert",)))
    digest = replace(digest, summaries={paper.versioned_id: summary})

    body = render(digest, fmt).encode("utf-8")  # type: ignore[arg-type]
    assert not XML_FORBIDDEN.search(body.decode("utf-8"))
    parsed = parse_feed(body, fmt)  # well-formed XML, and a feed without complaints
    [entry] = parsed.entries
    assert entry.id == "arXiv:2611.00666"
    # The title as text: markup shown, not run; LaTeX readable; controls gone; CJK, emoji kept.
    assert entry.title == f"<script>alert(1)</script> R&D ]]> bell {ALPHA}<{BETA} 论文 🤖"
    assert [a.name for a in entry.authors] == ["Ada <Lovelace> & Co", "张伟", "]]> Mallory"]

    for content in (entry_html(entry), entry_html(raw_feed(body).entries[0])):
        shown, tags = visible(content)
        assert set(tags) <= ALLOWED_TAGS, tags  # no <script>, <img>, ... from anyone
        assert "script" not in tags
        assert "img" not in tags
        # The abstract, as the visible text it is.
        assert (
            "We show x<y && y>z ]]> <![CDATA[ raw ]]> <img src=x onerror=alert(1)> nul "
            f"{ALPHA}<{BETA} 深度学习 🚀 &amp; done."
        ) in shown
        assert "Authors: Ada <Lovelace> & Co, 张伟, ]]> Mallory" in shown
        # The model's answer: every hostile fragment shows as text.
        assert "<b>unclosed <script>alert(1)</script> R&D ]]> @everyone" in shown
        assert f"{ALPHA} < {BETA} 论文 🤖" in shown
        assert "<b>bold claim without a closing tag" in shown
        assert "print('<i>not closed')" in shown
        assert f"Accuracy {ALPHA} < {BETA} & recall > baseline ]]>" in shown
        assert "\u202e" not in shown
        assert "\u200b" not in shown
        assert "evil.example" not in " ".join(re.findall(r'href="([^"]*)"', content))


async def test_a_number_not_in_the_paper_is_marked_in_feeds_and_markdown(world: World) -> None:
    """The abstract (what the model reads here) states 12.5%; the model writes 15.5% and
    answers the correction request unchanged."""
    paper = Paper(
        "2611.00777", 1, "Sparse routing", "Routing cuts latency by 12.5% on TPUs.",
        ("Ada Lovelace",), ("cs.LG",), "new", date(2026, 11, 24),
    )  # fmt: skip
    await world.services.store.save_papers([paper])
    world.llm.responder = correcting_responder(
        "TL;DR: Routing cuts latency by 15.5%.\n\n## Results\n- Latency falls by *15.5%* on TPUs."
    )
    summary = await world.services.summarizer.summary(paper, "en")
    assert world.llm.attempts == 2
    announcement = Announcement(("cs.LG",), date(2026, 11, 24), (paper,))
    digest = make_digest(announcement, Profile(categories=("cs.LG",), keywords=("routing",)))
    digest = replace(digest, summaries={paper.versioned_id: summary})

    for fmt in FORMATS:
        [entry] = parse_feed(render(digest, fmt).encode("utf-8"), fmt).entries  # type: ignore[arg-type]
        shown, _ = visible(entry_html(entry))
        assert "Routing cuts latency by 15.5% (⚠ not found in the paper)." in shown, fmt
        assert "Latency falls by 15.5% (⚠ not found in the paper) on TPUs." in shown, fmt
    markdown = render(digest, "markdown")  # parentheses escaped, shown as typed
    assert r"Routing cuts latency by 15.5% \(⚠ not found in the paper\)." in markdown
    assert r"Latency falls by *15.5% \(⚠ not found in the paper\)* on TPUs." in markdown
