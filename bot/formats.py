"""Digest renderings for files and other tools: the legacy README Markdown, JSON and text.

Chat renderings live with their adapters; these are the ones the CLI (and feeds) write.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal

from bot.digest import Digest
from bot.scoring import ScoredPaper

Format = Literal["markdown", "json", "text"]
FORMATS: tuple[Format, ...] = ("markdown", "json", "text")
ABSTRACT_EXCERPT = 300

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_escape(text: str) -> str:
    """Make untrusted text inert in Markdown (and in the raw HTML GitHub allows)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def excerpt(text: str, limit: int = ABSTRACT_EXCERPT) -> str:
    """The first ``limit`` characters, cut at a word when one is near, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "..."


def why(scored: ScoredPaper) -> str:
    """``LLM (title), inference`` — the keywords that put the paper here."""
    return ", ".join(f"{m.keyword} (title)" if m.in_title else m.keyword for m in scored.matched)


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
            f"### {n}. [{markdown_escape(p.title)}]({p.url})",
            "",
            f"**Authors**: {markdown_escape(', '.join(p.authors))}  ",
            f"**Category**: {p.primary_category}  ",
            f"**Published**: {p.published.isoformat()}  ",
            f"**Score**: {scored.score:.1f}  ",
            f"**Type**: {scored.announce_type}  ",
            f"**ArXiv ID**: {p.versioned_id}",
            "",
            "#### Abstract",
            markdown_escape(excerpt(p.abstract)),
            "",
            "---",
            "",
        ]
    return "\n".join(lines)


def paper_json(scored: ScoredPaper) -> dict[str, Any]:
    """One paper in the stable JSON shape other tools read (names must not change)."""
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
        "matched": [{"keyword": m.keyword, "in_title": m.in_title} for m in scored.matched],
        "abstract": p.abstract,
        "url": p.url,
        "pdf_url": p.pdf_url,
        "summary": None,
    }


def to_json(digest: Digest) -> str:
    doc = {
        "generated_at": digest.generated_at.isoformat(),
        "categories": list(digest.categories),
        "papers": [paper_json(s) for s in digest.papers],
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
        reason = f" - {why(scored)}" if scored.matched else ""
        lines += [
            f"{n}. {p.title}",
            f"   {', '.join(p.authors)}",
            f"   {p.versioned_id} [{', '.join(p.categories)}] {scored.announce_type}, "
            f"score {scored.score:.1f}{reason}",
            f"   {p.url}",
            f"   {excerpt(p.abstract)}",
            "",
        ]
    return "\n".join(lines)


def render(digest: Digest, fmt: Format) -> str:
    renderers = {"markdown": to_markdown, "json": to_json, "text": to_text}
    return renderers[fmt](digest)
