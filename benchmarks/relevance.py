"""Ranking quality on real announcement days with relevance labels, and what it costs.

    python -m benchmarks.relevance [--days DIR] [--labels FILE] [--profiles 10000]

The reader, the days and the labels are those of ``benchmarks/data/relevance/`` (see its
README: profile "efficient LLM systems", 10 days, 758 pooled papers, 88 relevant; papers
outside the pool count as not relevant). For each day, every paper is ranked for the reader
with its keywords (``benchmarks.relevance_pool.KEYWORDS``), its one-paragraph interests
(``PROFILE``), or both, and the benchmark prints precision@10 and recall@20, averaged over the
days, for:

- keyword-only: the keyword score alone;
- similarity-only: interests alone, by words (BM25), and by embeddings of the fake endpoint
  (hashed bags of words: the pipeline, not a model's quality) and of a local model when the
  ``local-embeddings`` extra is installed;
- combined: keyword score + weight x similarity, over a grid of weights and entry thresholds
  (how the defaults were chosen), and at the defaults;
- 10 votes: for each day, the reader votes on the first 10 papers of the combined digests of
  the *other* days (👍 if labelled relevant, 👎 if not), and the day is ranked again with
  those votes (Rocchio), so no day is judged with its own labels.

Cost: embedding calls and texts per announcement for many subscribers (each paper once), and
the time to rank 10,000 profiles over the largest day with embeddings.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
from openai import AsyncOpenAI

from benchmarks.relevance_pool import DAYS, KEYWORDS, PROFILE, as_paper, read_day
from bot.model.papers import Paper
from bot.model.profile import SIMILARITY_ENTRY, SIMILARITY_WEIGHT, Feedback, Profile
from bot.ranking.scoring import Scorer
from bot.ranking.similarity import Vector, profile_vector
from bot.services import utc_now
from bot.summaries.embeddings import (
    Embedder,
    EmbeddingBackend,
    EndpointEmbeddings,
    LocalEmbeddings,
    paper_text,
)
from storage import SqliteStore
from tests.fakes.fake_openai import FakeOpenAI

LABELS = Path(__file__).parent / "data" / "relevance" / "efficient-llm-systems.jsonl"
NARROW = ("KV cache", "speculative decoding", "quantization")
"""A reader who wrote three specific keywords (most relevant papers use none of them)."""
WEIGHTS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0)
ENTRIES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)
"""1.01: similarity never brings in a paper without a keyword."""
VOTES = 10
TOP = 20
SUBSCRIBERS = 1_000
"""Subscribers with interests (10 different texts) for the embedding-call count."""
LOCAL_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 1536
"""text-embedding-3-small's, for the timing."""


@dataclass(frozen=True, slots=True)
class Day:
    day: str
    papers: list[Paper]
    relevant: frozenset[str]
    scorer: Scorer
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    """The papers' embeddings by backend name (rows in ``scorer.papers`` order)."""
    interests: dict[str, Vector] = field(default_factory=dict)
    """The interests' embedding by backend name."""


Ranker = Callable[[Day], list[str]]


def load_days(days_dir: Path, labels: Path) -> list[Day]:
    wanted: dict[str, set[str]] = {}
    with labels.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            found = wanted.setdefault(row["day"], set())
            if row["relevant"]:
                found.add(row["id"])
    out = []
    for day, relevant in sorted(wanted.items()):
        rows = read_day(days_dir / f"{day}.jsonl")
        papers = [as_paper(r, date.fromisoformat(day)) for r in rows]
        out.append(Day(day, papers, frozenset(relevant), Scorer(papers)))
    return out


def base_profile(day: Day) -> Profile:
    categories = tuple(sorted({c for p in day.papers for c in p.categories}))
    return Profile(categories, max_papers=TOP)


def quality(days: Sequence[Day], ranker: Ranker) -> tuple[float, float]:
    """Mean precision@10 and recall@20 over the days."""
    p10, r20 = [], []
    for day in days:
        ranked = ranker(day)
        p10.append(len(day.relevant.intersection(ranked[:10])) / 10)
        r20.append(len(day.relevant.intersection(ranked[:20])) / len(day.relevant))
    return statistics.mean(p10), statistics.mean(r20)


def ranked_by(make: Callable[[Day], Profile]) -> Ranker:
    def rank(day: Day) -> list[str]:
        return [s.paper.arxiv_id for s in day.scorer.score(make(day))]

    return rank


def keywords_only(keywords: tuple[str, ...]) -> Callable[[Day], Profile]:
    def make(day: Day) -> Profile:
        return replace(base_profile(day), keywords=keywords)

    return make


def interests_only(day: Day) -> Profile:
    return replace(base_profile(day), interests=PROFILE)


def combined(
    keywords: tuple[str, ...],
    weight: float = SIMILARITY_WEIGHT,
    entry: float = SIMILARITY_ENTRY,
) -> Callable[[Day], Profile]:
    def make(day: Day) -> Profile:
        return replace(
            base_profile(day),
            keywords=keywords,
            interests=PROFILE,
            similarity_weight=weight,
            similarity_entry=entry,
        )

    return make


def by_meaning(backend: str, make: Callable[[Day], Profile]) -> Ranker:
    """Ranked with the day's embeddings from ``backend`` (votes move the vector too)."""

    def rank(day: Day) -> list[str]:
        profile = make(day)
        day.scorer.vectors = day.vectors[backend]
        voted = {f.paper_id: f for f in profile.feedback}
        liked = [VOTED[backend][k] for k, f in voted.items() if f.liked]
        disliked = [VOTED[backend][k] for k, f in voted.items() if not f.liked]
        vector = profile_vector(day.interests[backend], liked, disliked)
        try:
            return [s.paper.arxiv_id for s in day.scorer.score(profile, vector)]
        finally:
            day.scorer.vectors = None

    return rank


VOTED: dict[str, dict[str, Vector]] = {}
"""Embeddings of every paper, by backend and versioned id (for the votes)."""


def with_votes(days: Sequence[Day], make: Callable[[Day], Profile]) -> Callable[[Day], Profile]:
    """The reader's votes for ``day``: the first papers of the other days' combined digests,
    👍 when labelled relevant, 👎 when not, :data:`VOTES` in all."""
    feedback: dict[str, tuple[Feedback, ...]] = {}
    for day in days:
        votes: list[Feedback] = []
        for other in days:
            if other is day:
                continue
            shown = {s.paper.arxiv_id: s.paper for s in other.scorer.score(make(other))}
            for arxiv_id, paper in list(shown.items())[:2]:  # the top 2 of each day
                liked = arxiv_id in other.relevant
                votes.append(Feedback(paper.versioned_id, paper_text(paper), liked))
        feedback[day.day] = tuple(votes[:VOTES])

    def voted(day: Day) -> Profile:
        return replace(make(day), feedback=feedback[day.day])

    return voted


async def embed_days(days: Sequence[Day], name: str, backend: EmbeddingBackend) -> int:
    """Every paper of every day embedded once, and the interests; returns the calls made."""
    with tempfile.TemporaryDirectory() as folder:
        store = await SqliteStore.open(Path(folder) / "bench.db")
        try:
            embedder = Embedder(backend, store, clock=utc_now, daily_calls=10**9)
            calls = 0
            for day in days:
                vectors = await embedder.papers(day.scorer.papers)
                interests = await embedder.text(PROFILE)
                if vectors is None or interests is None:
                    raise SystemExit(f"embeddings failed: {embedder.failure}")
                day.vectors[name] = vectors
                day.interests[name] = interests
                VOTED.setdefault(name, {}).update(
                    zip((p.versioned_id for p in day.scorer.papers), vectors, strict=True)
                )
            usage = await store.llm_usage(utc_now().date())
            calls = usage.calls
        finally:
            await store.close()
    return calls


async def calls_per_announcement(day: Day) -> tuple[int, int, int]:
    """Embedding requests and texts for one announcement with :data:`SUBSCRIBERS`
    subscribers whose interests are 10 different texts, through the real client against the
    fake endpoint: (requests, paper texts, interest texts)."""
    async with FakeOpenAI() as fake, AsyncOpenAI(base_url=fake.base_url, api_key="sk-test") as c:
        with tempfile.TemporaryDirectory() as folder:
            store = await SqliteStore.open(Path(folder) / "bench.db")
            try:
                embedder = Embedder(EndpointEmbeddings(c, "text-embedding-3-small"), store,
                                    clock=utc_now, daily_calls=10**9)  # fmt: skip
                for n in range(SUBSCRIBERS):  # as delivery does: the papers once per batch
                    if n == 0:
                        await embedder.papers(day.scorer.papers)
                    await embedder.text(f"{PROFILE} (reader group {n % 10})")
            finally:
                await store.close()
        texts = [t for call in fake.embedding_calls for t in call.inputs]
        papers = sum(1 for t in texts if "\n\n" in t)
        return len(fake.embedding_calls), papers, len(texts) - papers


def time_ranking(day: Day, profiles: int, *, embeddings: bool) -> float:
    """Seconds to rank ``profiles`` profiles (keywords + interests) over ``day``, with
    1536-dimension embeddings or by words."""
    rng = np.random.default_rng(1)
    base = replace(combined(KEYWORDS)(day), max_papers=10)
    vectors = rng.standard_normal((len(day.scorer.papers), DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scorer = Scorer(day.papers)
    if embeddings:
        scorer.vectors = vectors
    words = PROFILE.split()
    made = []
    for n in range(profiles):
        vector = rng.standard_normal(DIMENSIONS).astype(np.float32)
        interests = " ".join(words[n % 7 :: 2])  # different interests, similar lengths
        made.append((replace(base, interests=interests), vector / np.linalg.norm(vector)))
    started = time.perf_counter()
    for profile, vector in made:
        scorer.score(profile, vector if embeddings else None)
    return time.perf_counter() - started


def row(name: str, figures: tuple[float, float]) -> None:
    print(f"| {name} | {figures[0]:.2f} | {figures[1]:.2f} |")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance")
    parser.add_argument("--days", type=Path, default=DAYS, help=f"day files ({DAYS})")
    parser.add_argument("--labels", type=Path, default=LABELS, help="relevance labels")
    parser.add_argument("--profiles", type=int, default=10_000, help="profiles for the timing")
    args = parser.parse_args(argv)
    days = load_days(args.days, args.labels)
    relevant = sum(len(d.relevant) for d in days)
    print(f"{len(days)} days, {sum(len(d.papers) for d in days)} papers, {relevant} relevant")
    print(f"defaults: weight {SIMILARITY_WEIGHT:g}, entry {SIMILARITY_ENTRY:g}")
    print("\n| ranking | precision@10 | recall@20 |\n| --- | ---: | ---: |")
    row("keyword-only (16 keywords)", quality(days, ranked_by(keywords_only(KEYWORDS))))
    row("keyword-only (3 narrow keywords)", quality(days, ranked_by(keywords_only(NARROW))))
    row("similarity-only, words (BM25)", quality(days, ranked_by(interests_only)))
    row("combined, words, 16 keywords", quality(days, ranked_by(combined(KEYWORDS))))
    row("combined, words, 3 narrow keywords", quality(days, ranked_by(combined(NARROW))))
    voted = with_votes(days, combined(KEYWORDS))
    row(f"combined, words, 16 keywords, {VOTES} votes", quality(days, ranked_by(voted)))
    voted_narrow = with_votes(days, combined(NARROW))
    row(
        f"combined, words, 3 narrow keywords, {VOTES} votes",
        quality(days, ranked_by(voted_narrow)),
    )
    backends: list[tuple[str, Callable[[], EmbeddingBackend]]] = []
    if importlib.util.find_spec("sentence_transformers") is not None:
        backends.append(("local all-MiniLM-L6-v2", lambda: LocalEmbeddings(LOCAL_MODEL)))
    else:
        print("| (local model: the local-embeddings extra is not installed) | | |")
    for name, make_backend in [("fake endpoint (hashed words)", _fake_backend), *backends]:
        calls = asyncio.run(_embed(days, name, make_backend))
        row(f"similarity-only, {name}", quality(days, by_meaning(name, interests_only)))
        row(f"combined, {name}, 16 keywords", quality(days, by_meaning(name, combined(KEYWORDS))))
        row(
            f"combined, {name}, 3 narrow keywords",
            quality(days, by_meaning(name, combined(NARROW))),
        )
        row(
            f"combined, {name}, 16 keywords, {VOTES} votes",
            quality(days, by_meaning(name, voted)),
        )
        print(f"| ({name}: {calls} embedding calls for all {len(days)} days) | | |")
    largest = max(days, key=lambda d: len(d.papers))
    requests, papers, interests = asyncio.run(calls_per_announcement(largest))
    print(
        f"\nCost, largest day ({largest.day}, {len(largest.scorer.papers)} papers), "
        f"{SUBSCRIBERS} subscribers with 10 different interests: {requests} embedding "
        f"requests, {papers} paper texts (each once), {interests} interest texts"
    )
    for embeddings in (True, False):
        seconds = time_ranking(largest, args.profiles, embeddings=embeddings)
        how = f"embeddings ({DIMENSIONS} dimensions)" if embeddings else "words (BM25)"
        print(
            f"rank {args.profiles} profiles (16 keywords + interests) by {how}: "
            f"{seconds:.2f} s, {seconds / args.profiles * 1000:.2f} ms per profile"
        )
    for name, keywords in (("16 keywords", KEYWORDS), ("3 narrow keywords", NARROW)):
        grid(days, name, keywords)


def _fake_backend() -> EmbeddingBackend:
    raise RuntimeError("made in _embed")


async def _embed(
    days: Sequence[Day], name: str, make_backend: Callable[[], EmbeddingBackend]
) -> int:
    """Embed every day with the backend; the fake endpoint is started here."""
    if make_backend is not _fake_backend:
        return await embed_days(days, name, make_backend())
    async with FakeOpenAI() as fake, AsyncOpenAI(base_url=fake.base_url, api_key="sk-test") as c:
        return await embed_days(days, name, EndpointEmbeddings(c, "text-embedding-3-small"))


def grid(days: Sequence[Day], name: str, keywords: tuple[str, ...]) -> None:
    """How the defaults were chosen: every weight and entry threshold."""
    print(f"\nCombined, words, {name}: precision@10 / recall@20 by weight and entry\n")
    print("| weight | " + " | ".join(f"{e:g}" for e in ENTRIES) + " |")
    print("| ---: |" + " ---: |" * len(ENTRIES))
    for weight in WEIGHTS:
        cells = [quality(days, ranked_by(combined(keywords, weight, e))) for e in ENTRIES]
        print(f"| {weight:g} | " + " | ".join(f"{p:.2f} / {r:.2f}" for p, r in cells) + " |")


if __name__ == "__main__":
    main()
