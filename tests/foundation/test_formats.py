"""bot/rendering/formats.py: the legacy Markdown layout, the JSON shape, the text listing."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from bot.model.papers import ANNOUNCE_TYPES, Paper
from bot.ranking.digest import Digest
from bot.ranking.scoring import Match, ScoredPaper
from bot.rendering.formats import markdown_escape, render, to_json, to_markdown
from tests.conftest import make_paper

LEGACY_EXCERPT = 300  # "first 300 characters of the abstract..." (the legacy README layout)

LONG_ABSTRACT = (
    "We propose a fast method for LLM inference that schedules prefill and decode phases "
    "across a cluster of accelerators, reducing latency by half while keeping throughput. "
    "Our analysis covers attention kernels, pipeline parallelism and quantization to FP8, "
    "and we release the code. Experiments on many models show consistent gains everywhere."
)
FIRST = make_paper(
    "2611.00001",
    "Fast LLM Inference at Scale",
    LONG_ABSTRACT,
    categories=("cs.LG", "cs.DC"),
    authors=("Ada Lovelace", "Alan Turing", "Grace Hopper"),
)
SECOND = make_paper(
    "2611.00002",
    "深度学习 🚀 with Ω-divergences",
    "大语言模型的推理 🤖 short.",
    categories=("cs.CL",),
    version=3,
    announce_type="replace",
    authors=("张伟",),
)
DIGEST = Digest(
    generated_at=datetime(2026, 11, 24, 8, 0, 5, tzinfo=UTC),
    categories=("cs.AI", "cs.CL", "cs.LG"),
    announcement_day=date(2026, 11, 24),
    announced=42,
    papers=(
        ScoredPaper(FIRST, 9.0, (Match("LLM", True), Match("inference", False)), "new"),
        ScoredPaper(SECOND, 12.5, (), "replace"),
    ),
)


def digest_of(*papers: Paper, score: float = 1.0) -> Digest:
    return Digest(
        generated_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        categories=("cs.AI",),
        announcement_day=date(2026, 11, 24),
        announced=len(papers),
        papers=tuple(ScoredPaper(p, score, (), p.announce_type) for p in papers),
    )


# --- Markdown --------------------------------------------------------------------------------


def paper_block(markdown: str, n: int) -> list[str]:
    lines = markdown.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"### {n}. "))
    end = lines.index("---", start)
    return lines[start : end + 1]


def test_markdown_follows_the_legacy_layout() -> None:
    md = to_markdown(DIGEST)
    assert md.startswith("# arXiv Daily Digest\n")
    assert "- **Last Updated**: 2026-11-24 08:00:05 UTC" in md
    assert "- **Total Papers**: 2" in md
    assert "- **Categories Monitored**: cs.AI, cs.CL, cs.LG" in md

    block = [line.rstrip() for line in paper_block(md, 1)]
    assert block == [
        "### 1. [Fast LLM Inference at Scale](https://arxiv.org/abs/2611.00001)",
        "",
        "**Authors**: Ada Lovelace, Alan Turing, Grace Hopper",
        "**Category**: cs.LG",
        "**Published**: 2026-11-24",
        "**Score**: 9.0",
        "**Type**: new",
        "**ArXiv ID**: 2611.00001v1",
        "",
        "#### Abstract",
        block[10],
        "",
        "---",
    ]
    # metadata lines end in two spaces: Markdown line breaks, as in the legacy README
    raw = paper_block(md, 1)
    assert all(raw[i].endswith("  ") for i in range(2, 7))

    second = [line.rstrip() for line in paper_block(md, 2)]
    assert second[0] == (
        "### 2. [深度学习 🚀 with Ω-divergences](https://arxiv.org/abs/2611.00002)"
    )
    assert "**Score**: 12.5" in second
    assert "**Type**: replace" in second
    assert "**ArXiv ID**: 2611.00002v3" in second
    assert "**Authors**: 张伟" in second
    assert second[second.index("#### Abstract") + 1] == "大语言模型的推理 🤖 short."


LONG_EXCERPT = LONG_ABSTRACT[: LONG_ABSTRACT.rindex(" ", 0, LEGACY_EXCERPT)] + "..."


def test_markdown_abstract_is_a_300_character_excerpt() -> None:
    assert len(LONG_ABSTRACT) > LEGACY_EXCERPT
    block = paper_block(to_markdown(DIGEST), 1)
    shown = block[block.index("#### Abstract") + 1]
    assert shown.endswith("...")
    body = shown.removesuffix("...")
    assert LONG_ABSTRACT.startswith(body)
    assert 0.8 * LEGACY_EXCERPT <= len(body) <= LEGACY_EXCERPT
    assert LONG_ABSTRACT[len(body)] == " "  # cut at a word boundary
    assert shown == LONG_EXCERPT


def shown_abstract(abstract: str) -> str:
    block = paper_block(to_markdown(digest_of(make_paper(abstract=abstract))), 1)
    return block[block.index("#### Abstract") + 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("x" * 300, "x" * 300),
        ("x" * 301, "x" * 300 + "..."),
        ("word " * 100, ("word " * 60).rstrip() + "..."),
    ],
)
def test_excerpt(text: str, expected: str) -> None:
    assert shown_abstract(text) == expected


def test_empty_digest_says_so() -> None:
    md = to_markdown(digest_of())
    assert "- **Total Papers**: 0" in md
    assert "No matching papers in today's announcement." in md
    assert "###" not in md


HOSTILE_TITLES = [
    "Evil](http://evil.example) [click](javascript:alert(1))",
    "<details><summary>open me</summary>hidden</details>",
    "<script>alert(1)</script> <img src=x onerror=alert(1)>",
    "Title with \\] backslash ]( and ) parens",
    "`code` *bold* _em_ ~~strike~~ | pipe | # hash ![img](http://evil.example/x.png)",
    "&lt;b&gt; entity &amp; literal &#60;script&#62;",
    "x<y and y>z & 5% of a_b",
]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_cannot_break_the_link_or_inject_html(title: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    paper = make_paper("2611.00001", title, title, authors=(title,))
    md = to_markdown(digest_of(paper))
    heading = next(line for line in md.split("\n") if line.startswith("### 1. "))
    assert heading.endswith("](https://arxiv.org/abs/2611.00001)")

    # Render with a CommonMark renderer that passes raw HTML through, as GitHub would.
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(md)
    parsed = _Collector()
    parsed.feed(html)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"details", "summary", "script", "img", "b", "code", "em", "del"}
    assert tags <= {"h1", "h2", "h3", "h4", "ul", "li", "strong", "hr", "p", "a", "br"}
    links = [attrs.get("href") for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["https://arxiv.org/abs/2611.00001"]
    # and the reader sees the title exactly, once decoded
    h3 = re.search(r"<h3>(.*?)</h3>", html, re.S)
    assert h3 is not None
    title_view = _Collector()
    title_view.feed(h3.group(1))
    assert "".join(title_view.text) == f"1. {title}"


def test_markdown_escape_makes_markup_inert() -> None:
    assert markdown_escape("a](b)") == "a\\]\\(b\\)"
    assert markdown_escape("<x>&") == "\\<x\\>&amp;"
    assert markdown_escape("深度 🚀") == "深度 🚀"


# --- JSON ------------------------------------------------------------------------------------

PAPER_KEYS = {
    "arxiv_id": str,
    "version": int,
    "title": str,
    "authors": list,
    "primary_category": str,
    "categories": list,
    "announce_type": str,
    "published": str,
    "score": float,
    "matched": list,
    "similarity": type(None),  # a number (0..1) when the profile has interests
    "abstract": str,
    "url": str,
    "pdf_url": str,
    "summary": type(None),
}


def test_json_has_exactly_the_documented_keys_and_types() -> None:
    text = to_json(DIGEST)
    doc = json.loads(text)
    assert set(doc) == {"generated_at", "categories", "papers"}
    assert datetime.fromisoformat(doc["generated_at"]) == DIGEST.generated_at
    assert doc["categories"] == ["cs.AI", "cs.CL", "cs.LG"]
    assert len(doc["papers"]) == 2
    for item in doc["papers"]:
        assert set(item) == set(PAPER_KEYS)
        for key, kind in PAPER_KEYS.items():
            assert type(item[key]) is kind, key
        assert all(isinstance(a, str) for a in item["authors"])
        assert all(isinstance(c, str) for c in item["categories"])
        assert item["announce_type"] in ANNOUNCE_TYPES
        assert date.fromisoformat(item["published"]) == date(2026, 11, 24)
        for match in item["matched"]:
            assert set(match) == {"keyword", "in_title"}
            assert isinstance(match["keyword"], str)
            assert isinstance(match["in_title"], bool)

    first, second = doc["papers"]
    assert first["arxiv_id"] == "2611.00001"
    assert first["version"] == 1
    assert first["primary_category"] == "cs.LG"
    assert first["categories"] == ["cs.LG", "cs.DC"]
    assert first["score"] == 9.0
    assert first["matched"] == [
        {"keyword": "LLM", "in_title": True},
        {"keyword": "inference", "in_title": False},
    ]
    assert first["abstract"] == LONG_ABSTRACT  # whole, not an excerpt
    assert first["url"] == "https://arxiv.org/abs/2611.00001"
    assert first["pdf_url"] == "https://arxiv.org/pdf/2611.00001v1"
    assert (second["version"], second["announce_type"]) == (3, "replace")
    assert second["pdf_url"] == "https://arxiv.org/pdf/2611.00002v3"


def test_json_matched_names_a_followed_author_first_beside_the_keywords() -> None:
    scored = ScoredPaper(FIRST, 1.5, (Match("LLM", True),), "cross", author="Grace Hopper")
    zero = ScoredPaper(SECOND, 0.0, (), "new", author="张伟")
    doc = json.loads(to_json(replace(DIGEST, papers=(scored, zero))))
    first, second = doc["papers"]
    assert set(first) == set(PAPER_KEYS)  # no field added, renamed or dropped
    assert first["matched"] == [{"author": "Grace Hopper"}, {"keyword": "LLM", "in_title": True}]
    assert second["matched"] == [{"author": "张伟"}]
    assert second["score"] == 0.0
    listing = render(replace(DIGEST, papers=(scored, zero)), "text")
    assert "cross, score 1.5 - author: Grace Hopper, LLM (title)" in listing
    assert "new, score 0.0 - author: 张伟" in listing


def test_json_round_trips_cjk_emoji_and_latex() -> None:
    text = to_json(DIGEST)
    assert "深度学习 🚀" in text  # written as UTF-8 characters, not \\u escapes
    assert "\\ud83d" not in text
    second = json.loads(text)["papers"][1]
    assert second["title"] == SECOND.title
    assert second["abstract"] == SECOND.abstract
    assert second["authors"] == ["张伟"]
    # and survives a UTF-8 byte round trip
    assert json.loads(text.encode("utf-8").decode("utf-8")) == json.loads(text)


def test_json_keeps_hostile_text_verbatim() -> None:
    title = HOSTILE_TITLES[0] + ' "quoted" \\ backslash $\\alpha \\in \\mathbb{R}$ 深度 🚀'
    doc = json.loads(to_json(digest_of(make_paper(title=title))))
    assert doc["papers"][0]["title"] == title


# --- text ------------------------------------------------------------------------------------


def test_text_listing() -> None:
    text = render(DIGEST, "text")
    lines = text.split("\n")
    assert lines[0] == "arXiv digest for 2026-11-24: 2 of 42 papers in cs.AI, cs.CL, cs.LG"
    assert lines[1] == ""
    assert lines[2:8] == [
        "1. Fast LLM Inference at Scale",
        "   Ada Lovelace, Alan Turing, Grace Hopper",
        "   2611.00001v1 [cs.LG, cs.DC] new, score 9.0 - LLM (title), inference",
        "   https://arxiv.org/abs/2611.00001",
        "   " + LONG_EXCERPT,
        "",
    ]
    assert lines[8:13] == [
        "2. 深度学习 🚀 with Ω-divergences",
        "   张伟",
        "   2611.00002v3 [cs.CL] replace, score 12.5",
        "   https://arxiv.org/abs/2611.00002",
        "   大语言模型的推理 🤖 short.",
    ]


def test_text_without_announcement_day() -> None:
    digest = Digest(
        generated_at=datetime(2026, 11, 24, tzinfo=UTC),
        categories=("cs.AI",),
        announcement_day=None,
        announced=0,
        papers=(),
    )
    assert render(digest, "text").startswith("arXiv digest for today: 0 of 0 papers in cs.AI")


def test_render_dispatches_every_format() -> None:
    assert render(DIGEST, "markdown") == to_markdown(DIGEST)
    assert render(DIGEST, "json") == to_json(DIGEST)
    assert render(DIGEST, "text").startswith("arXiv digest for 2026-11-24")
