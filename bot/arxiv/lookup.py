"""Finding one paper by what a user typed: our own store first, then arXiv's API."""

from __future__ import annotations

from typing import Protocol

from bot.arxiv.ids import ArxivId, parse_arxiv_id
from bot.errors import BadInput
from bot.model.papers import Paper
from bot.model.store import PaperStore


class PaperLookup(Protocol):
    async def get(self, arxiv_id: ArxivId | str) -> Paper | None: ...


class PaperNotFound(BadInput, LookupError):
    """arXiv has no paper with that identifier."""


async def find_paper(store: PaperStore, api: PaperLookup, text: str) -> Paper:
    """Raises :class:`bot.arxiv.ids.InvalidArxivId`, :class:`PaperNotFound`, or the arXiv
    errors of :mod:`bot.arxiv.transport`."""
    wanted = parse_arxiv_id(text)
    paper = await store.get_paper(wanted.id, wanted.version)
    if paper is not None:
        return paper
    paper = await api.get(wanted)
    if paper is None:
        raise PaperNotFound(f"arXiv has no paper {wanted}")
    await store.save_papers([paper])
    return paper
