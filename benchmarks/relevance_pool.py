"""The pooled candidates of the relevance labels in ``benchmarks/data/relevance/``.

    python -m benchmarks.relevance_pool [--days DIR] [--out FILE]

For each real announcement day (``*.jsonl`` with id, title, authors, categories, abstract), the
union of three pools: the top 40 by keyword score (the project's own :class:`Scorer`, words
mode, with the profile's keywords), the top 40 by BM25 of the profile's paragraph over the
day's titles and abstracts, and 20 papers drawn at random (seeded by the day). A judge then
labels every pooled paper by reading its title and abstract; papers outside the pool count as
not relevant. Writes one JSON line per pooled paper, in a random order so that the judge cannot
tell which ranker chose it: day, id, title, abstract.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.model.papers import Paper
from bot.model.profile import Profile
from bot.ranking.keywords import tokens
from bot.ranking.scoring import Scorer

PROFILE = (
    "A researcher who works on efficient LLM systems: inference and serving efficiency, "
    "quantization, KV cache, speculative decoding, sparse attention and mixture-of-experts "
    "efficiency, long-context efficiency, distillation and compression of LLMs, and efficient "
    "training of LLMs."
)
KEYWORDS = (
    "LLM", "inference", "efficient", "quantization", "KV cache", "speculative decoding",
    "sparse", "mixture of experts", "MoE", "distillation", "long context", "serving",
    "compression", "pruning", "throughput", "latency",
)  # fmt: skip
TOP_KEYWORD = 40
TOP_BM25 = 40
RANDOM = 20
DAYS = Path("/work/shared/data/arxiv-days")


def read_day(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def as_paper(row: dict[str, object], published: date) -> Paper:
    categories = tuple(str(c) for c in row["categories"])  # type: ignore[attr-defined]
    return Paper(
        arxiv_id=str(row["id"]),
        version=1,
        title=str(row["title"]),
        abstract=str(row["abstract"]),
        authors=tuple(str(a) for a in row["authors"]),  # type: ignore[attr-defined]
        categories=categories,
        announce_type="new",
        published=published,
    )


def keyword_top(papers: Sequence[Paper], k: int) -> list[str]:
    categories = tuple(sorted({c for p in papers for c in p.categories}))
    profile = Profile(categories, keywords=KEYWORDS, max_papers=k)
    return [s.paper.arxiv_id for s in Scorer(papers).score(profile)]


def bm25_top(papers: Sequence[Paper], query: str, k: int) -> list[str]:
    """Okapi BM25 (k1 1.5, b 0.75) of the query's words over the papers' titles + abstracts."""
    docs = [tokens(f"{p.title} {p.abstract}") for p in papers]
    average = sum(map(len, docs)) / len(docs)
    df = Counter(word for doc in docs for word in set(doc))
    words = set(tokens(query))

    def score(doc: list[str]) -> float:
        counts = Counter(doc)
        total = 0.0
        for word in words & counts.keys():
            idf = math.log(1 + (len(docs) - df[word] + 0.5) / (df[word] + 0.5))
            tf = counts[word]
            total += idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * len(doc) / average))
        return total

    ranked = sorted(range(len(papers)), key=lambda i: (-score(docs[i]), papers[i].arxiv_id))
    return [papers[i].arxiv_id for i in ranked[:k]]


def pool(path: Path) -> list[dict[str, str]]:
    day = path.stem
    rows = read_day(path)
    papers = [as_paper(row, date.fromisoformat(day)) for row in rows]
    rng = random.Random(day)
    chosen = set(keyword_top(papers, TOP_KEYWORD)) | set(bm25_top(papers, PROFILE, TOP_BM25))
    rest = sorted(p.arxiv_id for p in papers if p.arxiv_id not in chosen)
    chosen |= set(rng.sample(rest, min(RANDOM, len(rest))))
    pooled = [
        {"day": day, "id": p.arxiv_id, "title": p.title, "abstract": p.abstract}
        for p in papers
        if p.arxiv_id in chosen
    ]
    rng.shuffle(pooled)
    return pooled


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance_pool")
    parser.add_argument("--days", type=Path, default=DAYS, help=f"day files ({DAYS})")
    parser.add_argument("--out", type=Path, required=True, help="JSON lines to write")
    args = parser.parse_args(argv)
    with args.out.open("w", encoding="utf-8") as out:
        for path in sorted(args.days.glob("*.jsonl")):
            pooled = pool(path)
            print(f"{path.stem}: {len(pooled)} pooled")
            for row in pooled:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
