"""What the feed tests share: the announcement on the fake arXiv, the operator's settings, and
ways to read a feed back as a feed reader does (feedparser) and as XML (ElementTree)."""

from __future__ import annotations

import socket
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser

from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Block, Link, Paragraph, Reply
from tests.fakes.fake_arxiv import FakePaper
from tests.harness import text

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_DC = "http://purl.org/dc/elements/1.1/"

_SCRIPT = Path(sys.executable).parent / "arxiv-bot"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]

EASTERN = timezone(timedelta(hours=-5))
DAY1 = datetime(2026, 11, 24, 0, 0, tzinfo=EASTERN)
"""The first announcement (the fake's channel date; the bot stores it as 2026-11-24)."""
FETCHED1 = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
"""When the bot fetched it: half an hour after 20:00 US Eastern on the 24th."""

PUBLIC_URL = "https://feeds.example.org/arxiv/"
OPERATOR_ENV = {
    "ARXIV_BOT_CATEGORIES": "cs.AI,cs.LG,cs.CL",
    "ARXIV_BOT_KEYWORDS": 'LLM,inference,"mixture of experts"',
    "ARXIV_BOT_EXCLUDE_KEYWORDS": "survey",
}

PLATFORM = "test"
PRIVATE = CommandContext(ChatRef(PLATFORM, "alice", "private"), "alice", is_admin=True)
OTHER_PRIVATE = CommandContext(ChatRef(PLATFORM, "carol", "private"), "carol", is_admin=True)
GROUP_ADMIN = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "alice", is_admin=True)
GROUP_MEMBER = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "bob", is_admin=False)


def paper(arxiv_id: str, title: str, abstract: str, *categories: str, **extra: Any) -> FakePaper:
    extra.setdefault("authors", ["Ada Lovelace (Analytical Engines, London)", "Alan Turing"])
    return FakePaper(
        arxiv_id=arxiv_id, title=title, abstract=abstract, categories=list(categories), **extra
    )


# The first announcement. Operator defaults: cs.AI, cs.LG, cs.CL; LLM, inference, mixture of
# experts; exclude survey. Scores under those defaults are noted.
FAST_LLM = paper(  # LLM (title) 1.5 + inference (title) 1.5 = 3.0
    "2611.00001",
    "Fast LLM Inference 深度学习 🚀",
    "We make LLM inference fast with $\\alpha$-scheduling. x<y & 大语言模型 🤖.",
    "cs.LG",
    "cs.AI",
    html="We study fast inference.",
)
MOE = paper(  # mixture of experts (title) 1.5 + LLM 1.0 = 2.5
    "2611.00002",
    "Mixture-of-Experts routing",
    "Routing tokens for LLM layers.",
    "cs.CL",
    authors=["Grace Hopper", "张伟"],
)
SURVEY = paper(  # excluded: survey
    "2611.00003", "A survey of LLM inference", "We survey the field.", "cs.AI"
)
PLANNING = paper(  # LLM 1.0
    "2611.00004", "Agents that plan", "Planning with LLMs and search.", "cs.AI"
)
COLOURING = paper(  # no keyword
    "2611.00005", "Graph colouring", "Colour graphs quickly.", "cs.AI"
)
CROSS = paper(  # primary math.OC: a cross-list, left out by default
    "2611.00006", "LLM step sizes", "Optimising LLM training.", "math.OC", "cs.LG"
)
REVISED = paper(  # a replacement: never in a digest
    "2610.00007",
    "LLM inference, revised",
    "LLM inference again.",
    "cs.LG",
    version=2,
    replaced=True,
)
VISION = paper(  # cs.CV: only in feeds of cs.CV or the whole cs archive
    "2611.00008", "LLM vision inference", "Seeing with an LLM.", "cs.CV"
)
DAY1_PAPERS = [FAST_LLM, MOE, SURVEY, PLANNING, COLOURING, CROSS, REVISED, VISION]
DAY1_DEFAULT_IDS = ["2611.00001", "2611.00002", "2611.00004"]
"""The operator's default digest of the first announcement, best first."""


# --- reading feeds --------------------------------------------------------------------------


def parse_feed(body: bytes, fmt: str) -> Any:
    """The document as a feed reader sees it, after checking it is well-formed XML of the
    right kind: RSS 2.0 (``<rss version="2.0">``) or Atom 1.0 (the Atom namespace)."""
    root = ET.fromstring(body)  # raises on anything that is not well-formed
    if fmt == "rss":
        assert root.tag == "rss", root.tag
        assert root.get("version") == "2.0"
        assert root.find("channel") is not None
    else:
        assert root.tag == f"{{{NS_ATOM}}}feed", root.tag
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if fmt == "rss" else "atom10"), parsed.version
    return parsed


def raw_feed(body: bytes) -> Any:
    """feedparser without its HTML sanitiser: the item content exactly as the bot wrote it."""
    return feedparser.parse(body, sanitize_html=False)


def entry_ids(parsed: Any) -> list[str]:
    return [e.id for e in parsed.entries]


def entry_html(entry: Any) -> str:
    """The item's HTML content (Atom ``content``, RSS ``description``)."""
    if "content" in entry:
        value: str = entry.content[0].value
        return value
    summary: str = entry.summary
    return summary


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible(html_text: str) -> tuple[str, list[str]]:
    """What a browser would show of an HTML fragment (whitespace runs as one space), and
    the tags it holds."""
    parser = _Visible()
    parser.feed(html_text)
    parser.close()
    return " ".join("".join(parser.parts).split()), parser.tags


def announced_day(entry: Any) -> date:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    assert stamp is not None, "no announcement date"
    return date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday)


# --- reading replies ------------------------------------------------------------------------


def _links(blocks: tuple[Block, ...]) -> list[str]:
    return [
        node.url
        for block in blocks
        if isinstance(block, Paragraph)
        for node in block.inlines
        if isinstance(node, Link)
    ]


def reply_links(reply: Reply) -> list[str]:
    return _links(reply.blocks) + [url for extra in reply.extra for url in reply_links(extra)]


reply_text = text


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Done:
    code: int
    stdout: bytes
    stderr: str
