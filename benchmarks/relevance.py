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
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from benchmarks.relevance_pool import DAYS, KEYWORDS, PROFILE, as_paper, read_day
from bot.model.papers import Paper
from bot.model.profile import SIMILARITY_ENTRY, SIMILARITY_WEIGHT, Profile
from bot.ranking.scoring import Scorer

LABELS = Path(__file__).parent / "data" / "relevance" / "efficient-llm-systems.jsonl"
NARROW = ("KV cache", "speculative decoding", "quantization")
"""A reader who wrote three specific keywords (most relevant papers use none of them)."""
WEIGHTS = (0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0)
ENTRIES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)
"""1.01: similarity never brings in a paper without a keyword."""
VOTES = 10
TOP = 20


@dataclass(frozen=True, slots=True)
class Day:
    day: str
    papers: list[Paper]
    relevant: frozenset[str]
    scorer: Scorer


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
    for name, keywords in (("16 keywords", KEYWORDS), ("3 narrow keywords", NARROW)):
        grid(days, name, keywords)


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
