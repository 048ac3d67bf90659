"""Keyword scoring of a day's papers, for one profile or for thousands.

A :class:`Scorer` indexes the papers once (word -> papers); each profile then costs only the
postings of its own keywords, which keeps 10,000 profiles over 2,000 papers within seconds
(``benchmarks/scoring.py``). The score is the legacy one: ``keyword_weight`` for each keyword
found in title or abstract, plus ``title_bonus`` when it is in the title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.keywords import compounds, contains_sequence, is_substring_keyword, tokens
from bot.papers import AnnounceType, Paper, announce_type_in

ScoringMode = Literal["words", "substring"]


@dataclass(frozen=True, slots=True)
class Profile:
    """What one reader wants from a day's announcements."""

    categories: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_papers: int = 30
    min_score: float = 0.0
    include_cross: bool = False
    keyword_weight: float = 1.0
    title_bonus: float = 0.5


@dataclass(frozen=True, slots=True)
class Match:
    keyword: str
    in_title: bool


@dataclass(frozen=True, slots=True)
class ScoredPaper:
    """A paper as one profile sees it: its score, why, and its announce type for that
    profile's categories."""

    paper: Paper
    score: float
    matched: tuple[Match, ...]
    announce_type: AnnounceType


@dataclass(slots=True)
class _Indexed:
    title_tokens: list[str]
    abstract_tokens: list[str]
    title_words: frozenset[str]
    title_lower: str
    text_lower: str


@dataclass(slots=True)
class Scorer:
    """Scores one batch of papers against any number of profiles."""

    papers: Sequence[Paper]
    mode: ScoringMode = "words"
    _docs: list[_Indexed] = field(init=False)
    _index: dict[str, list[int]] = field(init=False)
    _postings: dict[str, tuple[tuple[int, bool], ...]] = field(init=False)

    def __post_init__(self) -> None:
        unique: dict[str, Paper] = {}
        for paper in self.papers:  # no paper twice: keep the latest version of each id
            kept = unique.get(paper.arxiv_id)
            if kept is None or paper.version > kept.version:
                unique[paper.arxiv_id] = paper
        self.papers = list(unique.values())
        self._docs = []
        self._index = {}
        self._postings = {}
        for i, paper in enumerate(self.papers):
            title_tokens = tokens(paper.title)
            abstract_tokens = tokens(paper.abstract)
            title_words = frozenset(title_tokens) | compounds(paper.title)
            self._docs.append(
                _Indexed(
                    title_tokens,
                    abstract_tokens,
                    title_words,
                    paper.title.casefold(),
                    f"{paper.title} {paper.abstract}".casefold(),
                )
            )
            for word in title_words | frozenset(abstract_tokens) | compounds(paper.abstract):
                self._index.setdefault(word, []).append(i)

    def postings(self, keyword: str) -> tuple[tuple[int, bool], ...]:
        """``(paper index, found in title)`` for every paper containing ``keyword``."""
        key = keyword.casefold()
        cached = self._postings.get(key)
        if cached is None:
            cached = self._postings[key] = tuple(self._find(key))
        return cached

    def _find(self, key: str) -> list[tuple[int, bool]]:
        if self.mode == "substring" or is_substring_keyword(key):
            return [
                (i, key in doc.title_lower)
                for i, doc in enumerate(self._docs)
                if key in doc.text_lower
            ]
        needle = tuple(tokens(key))
        if not needle:
            return []
        if len(needle) == 1:
            word = needle[0]
            return [(i, word in self._docs[i].title_words) for i in self._index.get(word, ())]
        candidates = set(self._index.get(needle[0], ()))
        for word in needle[1:]:
            candidates.intersection_update(self._index.get(word, ()))
        found = []
        for i in sorted(candidates):
            doc = self._docs[i]
            in_title = contains_sequence(doc.title_tokens, needle)
            if in_title or contains_sequence(doc.abstract_tokens, needle):
                found.append((i, in_title))
        return found

    def score(self, profile: Profile) -> list[ScoredPaper]:
        """The profile's digest: best first (score, then id), at most ``max_papers``."""
        wanted = frozenset(profile.categories)
        allowed: frozenset[str] = frozenset({"new", "cross"} if profile.include_cross else {"new"})
        excluded = {i for kw in profile.exclude for i, _ in self.postings(kw)}
        hits: dict[int, list[Match]] = {}
        if profile.keywords:
            for kw in profile.keywords:
                for i, in_title in self.postings(kw):
                    hits.setdefault(i, []).append(Match(kw, in_title))
        else:  # no keywords: every paper of the categories
            hits = {i: [] for i in range(len(self.papers))}
        results: list[ScoredPaper] = []
        for i, matches in hits.items():
            if i in excluded:
                continue
            paper = self.papers[i]
            kind = announce_type_in(paper, wanted)
            if kind is None or kind not in allowed:
                continue
            score = sum(
                profile.keyword_weight + (profile.title_bonus if m.in_title else 0.0)
                for m in matches
            )
            if profile.keywords and score < profile.min_score:
                continue
            results.append(ScoredPaper(paper, score, tuple(matches), kind))
        results.sort(key=lambda s: (-s.score, s.paper.arxiv_id))
        return results[: profile.max_papers]
