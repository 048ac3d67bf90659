"""The paper record every part of the bot shares, and arXiv's announce-type rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
ANNOUNCE_TYPES: tuple[AnnounceType, ...] = ("new", "cross", "replace", "replace-cross")

ABS_URL = "https://arxiv.org/abs/{id}"
PDF_URL = "https://arxiv.org/pdf/{id}"


@dataclass(frozen=True, slots=True)
class Paper:
    """One announced paper. ``arxiv_id`` never carries the version; ``categories`` lists the
    primary category first (arXiv's own order)."""

    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    announce_type: AnnounceType
    published: date
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def url(self) -> str:
        return ABS_URL.format(id=self.arxiv_id)

    @property
    def pdf_url(self) -> str:
        return PDF_URL.format(id=self.versioned_id)

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in ("replace", "replace-cross")

    def announce_type_for(self, categories: Iterable[str]) -> AnnounceType | None:
        """The announce type this paper has in a feed of ``categories``; see
        :func:`announce_type_in`."""
        return announce_type_in(self, frozenset(categories))


def announce_type_in(paper: Paper, wanted: frozenset[str]) -> AnnounceType | None:
    """The announce type ``paper`` has in a feed of the ``wanted`` categories, as arXiv computes
    it (relative to the requested set), or None when the paper is not in that feed at all.

    This lets one fetch of the union of every subscriber's categories serve each subscriber as
    if it had fetched its own feed. A whole archive (``cs``) covers its categories.
    """
    inside = [c in wanted or c.split(".", 1)[0] in wanted for c in paper.categories]
    if not any(inside):
        return None
    if paper.is_replacement:
        return "replace" if inside[0] else "replace-cross"
    return "new" if inside[0] else "cross"
