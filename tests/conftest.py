"""Shared fixtures. Every server a test talks to is a local fake on 127.0.0.1."""

from __future__ import annotations

from datetime import date

from bot.model.papers import AnnounceType, Paper


def make_paper(
    arxiv_id: str = "2611.00001",
    title: str = "A paper",
    abstract: str = "An abstract.",
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    announce_type: AnnounceType = "new",
    version: int = 1,
    authors: tuple[str, ...] = ("Ada Lovelace",),
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        announce_type=announce_type,
        published=date(2026, 11, 24),
    )
