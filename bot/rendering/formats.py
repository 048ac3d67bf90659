"""Digest renderings for files and other tools: the legacy README Markdown, JSON and text.

Chat renderings live with their adapters; these are the ones the CLI (and feeds) write.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from bot.model.papers import Paper
from bot.model.summaries import Summary
from bot.ranking.digest import Digest
from bot.ranking.scoring import ScoredPaper
from bot.rendering.feed_documents import FeedFormat, FeedItem, build_feed
from bot.rendering.markdown import blocks_markdown, markdown_escape
from bot.rendering.summary_blocks import summary_body_blocks
from bot.rendering.text import blocks_text
from bot.text.excerpts import excerpt
from bot.text.latex import readable
from bot.text.markdown_tree import parse_markdown

Format = Literal["markdown", "json", "text", "rss", "atom"]
FORMATS: tuple[Format, ...] = ("markdown", "json", "text", "rss", "atom")
SUMMARY_FORMATS: tuple[Format, ...] = ("markdown", "json", "text")


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def to_markdown(digest: Digest) -> str:
    """The legacy script's README layout, paper for paper."""
    lines = [
        "# arXiv Daily Digest",
        "",
        "## 📊 Statistics",
        "",
        f"- **Last Updated**: {_timestamp(digest.generated_at)}",
        f"- **Total Papers**: {len(digest.papers)}",
        f"- **Categories Monitored**: {', '.join(digest.categories)}",
    ]
    if digest.announcement_day:
        lines.append(f"- **Announcement**: {digest.announcement_day.isoformat()}")
    lines += ["", "---", ""]
    if not digest.papers:
        lines += ["No matching papers in today's announcement.", ""]
    for n, scored in enumerate(digest.papers, 1):
        p = scored.paper
        lines += [
            f"### {n}. [{markdown_escape(readable(p.title))}]({p.url})",
            "",
            f"**Authors**: {markdown_escape(readable(', '.join(p.authors)))}  ",
            f"**Category**: {p.primary_category}  ",
            f"**Published**: {p.published.isoformat()}  ",
            f"**Score**: {scored.score:.1f}  ",
            f"**Type**: {scored.announce_type}  ",
            f"**ArXiv ID**: {p.versioned_id}",
            "",
            "#### Abstract",
            markdown_escape(readable(excerpt(p.abstract))),
            "",
        ]
        summary = digest.summary_of(scored)
        if summary is not None and not summary.is_extract:
            lines += [
                "<details>",
                f"<summary><strong>🤖 AI Summary (by {markdown_escape(summary.key.model)})"
                "</strong> - Click to expand</summary>",
                "",
                summary_markdown(summary),
                "",
                "</details>",
                "",
            ]
        lines += ["---", ""]
    return "\n".join(lines)


def summary_markdown(summary: Summary) -> str:
    """The model's summary as safe Markdown: parsed into text nodes, written back escaped."""
    tldr = f"**TL;DR**: {markdown_escape(readable(summary.tldr))}"
    return f"{tldr}\n\n{blocks_markdown(parse_markdown(summary.body))}".strip()


def summary_json(summary: Summary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {
        "tldr": summary.tldr,
        "text": summary.body,
        "model": summary.key.model,
        "language": summary.key.language,
        "source": summary.source,
        "created_at": summary.created_at.isoformat(),
        "numbers": summary.numbers.as_json() if summary.numbers is not None else None,
    }


def paper_json(scored: ScoredPaper, summary: Summary | None = None) -> dict[str, Any]:
    """One paper in the stable JSON shape other tools read (names must not change). Text is
    as arXiv and the model wrote it (LaTeX included): consumers render it themselves."""
    p = scored.paper
    return {
        "arxiv_id": p.arxiv_id,
        "version": p.version,
        "title": p.title,
        "authors": list(p.authors),
        "primary_category": p.primary_category,
        "categories": list(p.categories),
        "announce_type": scored.announce_type,
        "published": p.published.isoformat(),
        "score": scored.score,
        "matched": _matched_json(scored),
        "similarity": scored.similarity,
        "abstract": p.abstract,
        "url": p.url,
        "pdf_url": p.pdf_url,
        "summary": summary_json(summary),
    }


def _matched_json(scored: ScoredPaper) -> list[dict[str, Any]]:
    """Why the paper is in the digest: ``{"author": name}`` for a followed author (first),
    then ``{"keyword": ..., "in_title": ...}`` for each keyword found."""
    by_author: list[dict[str, Any]] = [{"author": scored.author}] if scored.author else []
    keywords = [{"keyword": m.keyword, "in_title": m.in_title} for m in scored.matched]
    return by_author + keywords


def to_json(digest: Digest) -> str:
    doc = {
        "generated_at": digest.generated_at.isoformat(),
        "categories": list(digest.categories),
        "papers": [paper_json(s, digest.summary_of(s)) for s in digest.papers],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def to_text(digest: Digest) -> str:
    day = digest.announcement_day.isoformat() if digest.announcement_day else "today"
    lines = [
        f"arXiv digest for {day}: {len(digest.papers)} of {digest.announced} papers "
        f"in {', '.join(digest.categories)}",
        "",
    ]
    for n, scored in enumerate(digest.papers, 1):
        p = scored.paper
        reason = f" - {scored.why}" if scored.why else ""
        summary = digest.summary_of(scored)
        lines += [
            f"{n}. {readable(p.title)}",
            f"   {readable(', '.join(p.authors))}",
            f"   {p.versioned_id} [{', '.join(p.categories)}] {scored.announce_type}, "
            f"score {scored.score:.1f}{reason}",
            f"   {p.url}",
            f"   {readable(summary.tldr if summary else excerpt(p.abstract))}",
            "",
        ]
    return "\n".join(lines)


def digest_feed(digest: Digest, fmt: FeedFormat, *, feed_url: str | None = None) -> str:
    """The digest as an RSS or Atom document (same papers and order as the other formats)."""
    cats = "+".join(digest.categories)
    site = f"https://arxiv.org/list/{cats}/new"
    day = digest.announcement_day or digest.generated_at.date()
    items = [FeedItem(s, day, digest.summary_of(s)) for s in digest.papers]
    return build_feed(
        items,
        fmt=fmt,
        title=f"arXiv digest: {', '.join(digest.categories)}",
        feed_url=feed_url or f"urn:arxiv-digest-bot:{fmt}:{cats}",
        site_url=site,
        description=f"The best new papers in {', '.join(digest.categories)}, by keyword score.",
        updated=digest.generated_at,
    ).decode("utf-8")


def render(digest: Digest, fmt: Format) -> str:
    if fmt in ("rss", "atom"):
        return digest_feed(digest, fmt)
    renderers = {"markdown": to_markdown, "json": to_json, "text": to_text}
    return renderers[fmt](digest)


def summary_document(paper: Paper, summary: Summary, fmt: Format, *, note: str = "") -> str:
    """One paper's summary for ``arxiv-bot summarize``; ``note`` replaces the credit line
    (an extract that stands in for a summary the model could not make says so)."""
    credit = note or summary.credit()
    if fmt == "json":
        doc = {
            "arxiv_id": paper.arxiv_id,
            "version": paper.version,
            "title": paper.title,
            "authors": list(paper.authors),
            "categories": list(paper.categories),
            "url": paper.url,
            "pdf_url": paper.pdf_url,
            "summary": summary_json(summary),
        }
        if note:
            doc["note"] = note
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return (
            f"## [{markdown_escape(readable(paper.title))}]({paper.url})\n\n"
            f"**Authors**: {markdown_escape(readable(', '.join(paper.authors)))}  \n"
            f"**ArXiv ID**: {paper.versioned_id}\n\n"
            f"{summary_markdown(summary)}\n\n*{markdown_escape(credit)}*\n"
        )
    body = blocks_text(summary_body_blocks(summary))
    return (
        f"{readable(paper.title)}\n{readable(', '.join(paper.authors))}\n{paper.url}\n\n"
        f"TL;DR: {readable(summary.tldr)}\n\n{body}\n\n{credit}\n"
    )
