"""Keyword scoring of a day's papers, for one profile or for thousands.

A :class:`Scorer` indexes the papers once (word -> papers, category -> papers); each profile
then costs a few set operations on the postings of its own keywords and categories, which keeps
10,000 profiles over 2,000 papers within seconds (``python -m benchmarks.scoring``). The score
is the legacy one: ``keyword_weight`` for each keyword found in title or abstract, plus
``title_bonus`` when it is in the title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.model.papers import AnnounceType, Paper, announce_type_in
from bot.model.profile import Profile
from bot.ranking.keywords import compounds, contains_sequence, is_substring_keyword, tokens

ScoringMode = Literal["words", "substring"]


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

    @property
    def why(self) -> str:
        """``LLM (title), inference``: the keywords that put the paper here."""
        return ", ".join(f"{m.keyword} (title)" if m.in_title else m.keyword for m in self.matched)


@dataclass(slots=True)
class _Indexed:
    title_tokens: list[str]
    abstract_tokens: list[str]
    title_words: frozenset[str]
    title_lower: str
    text_lower: str


@dataclass(frozen=True, slots=True)
class _Found:
    """The papers that contain one keyword: ``{paper index: found in title}``, and the same
    papers as two sets, which a profile intersects with its own at C speed."""

    papers: dict[int, bool]
    title: frozenset[int]
    abstract_only: frozenset[int]


@dataclass(slots=True)
class Scorer:
    """Scores one batch of papers against any number of profiles."""

    papers: Sequence[Paper]
    mode: ScoringMode = "words"
    _docs: list[_Indexed] = field(init=False)
    _index: dict[str, list[int]] = field(init=False)
    _found: dict[str, _Found] = field(init=False)
    _feeds: dict[tuple[str, AnnounceType], set[int]] = field(init=False)
    _ids: list[str] = field(init=False)

    def __post_init__(self) -> None:
        unique: dict[str, Paper] = {}
        for paper in self.papers:  # no paper twice: keep the latest version of each id
            kept = unique.get(paper.arxiv_id)
            if kept is None or paper.version > kept.version:
                unique[paper.arxiv_id] = paper
        self.papers = list(unique.values())
        self._docs = []
        self._index = {}
        self._found = {}
        self._feeds = {}
        self._ids = [paper.arxiv_id for paper in self.papers]
        for i, paper in enumerate(self.papers):
            # The paper's announce type in the feed of each category or archive it is in.
            for feed in {part for c in paper.categories for part in (c, c.split(".", 1)[0])}:
                kind = announce_type_in(paper, frozenset({feed}))
                if kind is not None:
                    self._feeds.setdefault((feed, kind), set()).add(i)
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
        return tuple(self._lookup(keyword).papers.items())

    def _lookup(self, keyword: str) -> _Found:
        key = keyword.casefold()
        found = self._found.get(key)
        if found is None:
            papers = dict(self._find(key))
            found = self._found[key] = _Found(
                papers,
                frozenset(i for i, in_title in papers.items() if in_title),
                frozenset(i for i, in_title in papers.items() if not in_title),
            )
        return found

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
        new, cross = self._feed(profile)
        allowed = new | cross
        for kw in profile.exclude:
            allowed.difference_update(self._lookup(kw).papers)
        found = [self._lookup(kw) for kw in profile.keywords]
        scores = _scores(profile, found, allowed)
        matches = [  # a keyword matches a paper in one of two ways
            (papers.papers, Match(kw, True), Match(kw, False))
            for kw, papers in zip(profile.keywords, found, strict=True)
        ]
        return [
            ScoredPaper(
                self.papers[i],
                scores[i],
                tuple(
                    in_title if where[i] else elsewhere
                    for where, in_title, elsewhere in matches
                    if i in where
                ),
                "new" if i in new else "cross",
            )
            for i in self._best(scores, profile.max_papers)
        ]

    def _feed(self, profile: Profile) -> tuple[set[int], set[int]]:
        """The papers that are ``new`` in a feed of the profile's categories, and those that
        are ``cross`` if it takes cross-lists, as :func:`announce_type_in` has it. A feed of
        several categories is the union of theirs, where "new" in one makes a paper "new"."""
        new = set[int]().union(*(self._feeds.get((c, "new"), ()) for c in profile.categories))
        cross = set[int]()
        if profile.include_cross:
            cross = cross.union(*(self._feeds.get((c, "cross"), ()) for c in profile.categories))
        return new, cross - new

    def _best(self, scores: dict[int, float], max_papers: int) -> list[int]:
        """The papers by score, best first, then by id; at most ``max_papers``."""
        if 0 < max_papers < len(scores):  # only those that can make the cut need sorting
            cutoff = sorted(scores.values(), reverse=True)[max_papers - 1]
            scores = {i: score for i, score in scores.items() if score >= cutoff}
        ranked = sorted(scores, key=self._ids.__getitem__)  # by id, then (stable) by score
        ranked.sort(key=scores.__getitem__, reverse=True)
        return ranked[:max_papers]


def _scores(profile: Profile, found: list[_Found], allowed: set[int]) -> dict[int, float]:
    """The score of every ``allowed`` paper a keyword found, where at least ``min_score``."""
    if not found:  # no keywords: every paper of the categories
        return dict.fromkeys(allowed, 0)
    # How each paper matched, keyword by keyword: "t" in its title, "a" in its abstract only.
    # Strings rather than lists of weights leave the garbage collector nothing to track.
    matched: dict[int, str] = {}
    for papers in found:
        for i in papers.title & allowed:
            matched[i] = matched.get(i, "") + "t"
        for i in papers.abstract_only & allowed:
            matched[i] = matched.get(i, "") + "a"
    weight = {
        "t": profile.keyword_weight + profile.title_bonus,
        "a": profile.keyword_weight + 0.0,
    }
    # The weights summed in keyword order, as ever, once for each way of matching.
    totals = {m: sum(weight[c] for c in m) for m in set(matched.values())}
    return {i: totals[m] for i, m in matched.items() if totals[m] >= profile.min_score}
