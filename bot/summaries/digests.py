"""Digests on demand (``arxiv-bot digest``, ``/digest``): the announcement fetched, ranked for a
profile (:func:`bot.ranking.digest.make_digest`), and the top papers summarized within a
deadline. Scheduled delivery ranks with the same :func:`bot.ranking.digest.rank` and summarizes
every digest of a fan-out at once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.arxiv.announcements import AnnouncementProvider
from bot.model.profile import Profile
from bot.model.store import PaperStore
from bot.ranking.digest import Digest, make_digest
from bot.ranking.scoring import ScoringMode
from bot.summaries.embeddings import Embedder, fallback_note, profile_vector_of
from bot.summaries.summarizer import Summarizer


async def with_summaries(
    digest: Digest, summarizer: Summarizer, language: str, *, limit: int, deadline: float
) -> Digest:
    """The digest with summaries for its top ``limit`` papers, waiting at most ``deadline``
    seconds: a paper whose summary is late goes out with its abstract."""
    top = [s.paper for s in digest.papers[:limit]]
    found = await summarizer.summarize_many(top, language, deadline=deadline)
    return replace(digest, summaries=found)


async def build_digest(
    announcements: AnnouncementProvider,
    profile: Profile,
    *,
    mode: ScoringMode,
    papers: PaperStore | None = None,
    summarizer: Summarizer | None = None,
    language: str = "en",
    limit: int = 0,
    deadline: float = 0.0,
    now: datetime | None = None,
    embedder: Embedder | None = None,
) -> Digest:
    """Today's digest for ``profile``: one feed request for its categories, its papers kept in
    ``papers`` (so /summarize finds them without asking arXiv again), then ranking, then
    summaries of the top ``limit`` when a summarizer is given."""
    announcement = await announcements.fetch(profile.categories)
    if papers is not None:
        await papers.save_papers(announcement.papers)
    vectors = vector = None
    note = ""
    if embedder is not None and profile.personal:  # by meaning, else by words (BM25)
        vectors = await embedder.papers(announcement.papers)
        vector = await profile_vector_of(embedder, profile) if vectors is not None else None
        note = "" if vector is not None else fallback_note(embedder)
    digest = make_digest(
        announcement, profile, mode=mode, now=now, vectors=vectors, vector=vector, note=note
    )
    if summarizer is None or limit <= 0:
        return digest
    return await with_summaries(digest, summarizer, language, limit=limit, deadline=deadline)
