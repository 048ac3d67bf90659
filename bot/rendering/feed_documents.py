"""Digests as RSS 2.0 and Atom 1.0 documents, built with feedgen (never string templates).

One item per paper, identified by ``arXiv:ID`` without version, so a new version updates the
reader's item instead of adding one. Item content is HTML built from the neutral tree, every
text escaped, whatever the paper or the model wrote; LaTeX is made readable; characters XML
cannot carry are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal

from feedgen.feed import FeedGenerator

from bot import __version__
from bot.contract.messages import Block, bold, para
from bot.model.summaries import Summary
from bot.ranking.scoring import ScoredPaper
from bot.rendering.html import blocks_html
from bot.rendering.summary_blocks import summary_body_blocks
from bot.text.latex import readable

FeedFormat = Literal["rss", "atom"]
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}

_XML_INVALID = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    return _XML_INVALID.sub("", text)


@dataclass(frozen=True, slots=True)
class FeedItem:
    scored: ScoredPaper
    day: date
    """The announcement the paper came with."""
    summary: Summary | None = None


def item_html(item: FeedItem) -> str:
    """Why it matched, who wrote it, the abstract and, when one exists, the summary."""
    paper = item.scored.paper
    blocks: list[Block] = []
    reason = item.scored.why
    score = f"score {item.scored.score:g}"
    blocks.append(para(bold("Why: "), f"{reason} ({score})" if reason else score))
    blocks.append(para(bold("Authors: "), readable(", ".join(paper.authors))))
    blocks.append(
        para(bold("Categories: "), f"{', '.join(paper.categories)} · {item.scored.announce_type}")
    )
    if item.summary is not None and not item.summary.is_extract:
        blocks.append(para(bold("TL;DR: "), readable(item.summary.tldr)))
    blocks.append(para(bold("Abstract: "), readable(paper.abstract)))
    if item.summary is not None and not item.summary.is_extract:
        blocks.extend(summary_body_blocks(item.summary))
        blocks.append(para(item.summary.credit()))
    return xml_safe(blocks_html(blocks))


def build_feed(
    items: Sequence[FeedItem],
    *,
    fmt: FeedFormat,
    title: str,
    feed_url: str,
    site_url: str,
    description: str,
    updated: datetime,
) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(feed_url)
    fg.title(xml_safe(title))
    fg.description(xml_safe(description))
    fg.link(href=feed_url, rel="self")
    fg.link(href=site_url, rel="alternate")
    fg.language("en")
    fg.generator("arxiv-digest-bot", version=__version__)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for item in items:
        paper = item.scored.paper
        announced = datetime.combine(item.day, time(0), tzinfo=UTC)
        entry = fg.add_entry(order="append")
        entry.id(f"arXiv:{paper.arxiv_id}")
        entry.guid(f"arXiv:{paper.arxiv_id}", permalink=False)
        entry.title(xml_safe(readable(paper.title)))
        entry.link(href=paper.url)
        for name in paper.authors:
            # Atom has <author>; RSS 2.0's <author> wants an e-mail, so names go in dc:creator
            # there. Only one of the two per format, or Atom readers list every author twice.
            entry.author({"name": xml_safe(readable(name))})
            if fmt == "rss":
                entry.dc.dc_creator(xml_safe(readable(name)))
        for category in paper.categories:
            entry.category(term=category)
        entry.published(announced)
        entry.updated(announced)
        content = item_html(item)
        if fmt == "rss":
            entry.description(content)
        else:
            entry.content(content, type="html")
    document: bytes = fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)
    return document
