"""Keyword scoring of a day's papers, for one profile or for thousands.

A :class:`Scorer` indexes the papers once (word -> papers, category -> papers); each profile
then costs a few set operations on the postings of its own keywords and categories, which keeps
10,000 profiles over 2,000 papers within seconds (``python -m benchmarks.scoring``).

Each keyword found in title or abstract adds ``keyword_weight``, plus ``title_bonus`` when it
is in the title, times how specific the keyword is on the day (its *specificity*): a keyword
that half the day's papers contain tells a reader little about any one of them. With ``N``
papers in the day and ``df`` of them containing the keyword::

    specificity = clamp(log2(N / df) / log2(64), 0.1, 1)

A keyword in at most 1/64 of the papers counts fully, in 1/8 of them half, in half of them
1/6, in every paper 0.1: never 0, so a paper with one keyword still scores. A batch of fewer
than 64 papers is too small to tell a broad keyword from a rare one: there every keyword
counts fully, as does every keyword in the legacy ``substring`` mode (the legacy score).

A profile with interests (or votes) adds ``similarity_weight`` x its similarity to the paper
(0..1, see :mod:`bot.ranking.similarity`): one score, keywords plus closeness. A paper no
keyword found enters when its similarity is at least ``similarity_entry``; without keywords,
every paper of the categories is ranked by similarity alone.

A paper by an author the profile follows is always in its digest when it is in the profile's
categories (a cross-list too, whatever ``include_cross`` says), first, whatever its score and
``min_score``; only the profile's excluded keywords still remove it. The day's authors are
indexed once, on the first profile that follows anyone (:class:`AuthorIndex`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import log2
from typing import Literal

import numpy as np

from bot.model.papers import AnnounceType, Paper, announce_type_in
from bot.model.profile import Profile
from bot.ranking.authors import AuthorIndex, AuthorName, AuthorNameError, read_followed
from bot.ranking.keywords import (
    Needle,
    compounds,
    contains_sequence,
    is_substring_keyword,
    needles,
    phrase_tokens,
)
from bot.ranking.similarity import (
    Lexical,
    Vector,
    Vectors,
    interest_terms,
    rescaled,
    rocchio_terms,
    signed_scaled,
)

log = logging.getLogger(__name__)

ScoringMode = Literal["words", "substring"]

TYPES: tuple[AnnounceType, ...] = ("new", "cross")
FULL_WEIGHT_SHARE = 64  # a keyword in at most 1/64 of the day's papers counts fully
MIN_SPECIFICITY = 0.1  # a keyword in every paper still counts


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
    similarity: float | None = None
    """How close the paper is to the profile's interests (0..1), when it has any."""
    author: str | None = None
    """The followed author who wrote it (as the reader wrote the name), if any."""

    @property
    def why(self) -> str:
        """``author: Yann LeCun, LLM (title), inference; close to your interests 0.61``: the
        followed author, the keywords and the closeness that put the paper here."""
        keywords = (f"{m.keyword} (title)" if m.in_title else m.keyword for m in self.matched)
        reasons = ", ".join([*([f"author: {self.author}"] if self.author else []), *keywords])
        if not self.similarity or self.similarity < 0.005:  # shows as 0.00: says nothing
            return reasons
        close = f"close to your interests {self.similarity:.2f}"
        return f"{reasons}; {close}" if reasons else close


@dataclass(slots=True)
class _Indexed:
    title_tokens: list[str]
    abstract_tokens: list[str]
    title_parts: dict[int, frozenset[str]]
    abstract_parts: dict[int, frozenset[str]]
    title_words: frozenset[str]
    title_lower: str
    text_lower: str


@dataclass(frozen=True, slots=True)
class _Found:
    """The papers that contain one keyword: ``{paper index: found in title}``, and the same
    papers as two sets, which a profile intersects with its own at C speed; and the keyword's
    specificity on the day (see the module's docstring)."""

    papers: dict[int, bool]
    title: frozenset[int]
    abstract_only: frozenset[int]
    specificity: float


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
    _lexical: Lexical | None = field(init=False, default=None)
    _feedback_terms: dict[str, dict[str, float]] = field(init=False, default_factory=dict)
    vectors: Vectors | None = field(init=False, default=None)
    """The papers' embeddings (a unit row each, in :attr:`papers` order), when there are."""
    _authors: AuthorIndex | None = field(init=False, default=None)

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
            title_tokens, title_parts = phrase_tokens(paper.title)
            abstract_tokens, abstract_parts = phrase_tokens(paper.abstract)
            title_words = frozenset(title_tokens).union(
                compounds(paper.title), *title_parts.values()
            )
            self._docs.append(
                _Indexed(
                    title_tokens,
                    abstract_tokens,
                    title_parts,
                    abstract_parts,
                    title_words,
                    paper.title.casefold(),
                    f"{paper.title} {paper.abstract}".casefold(),
                )
            )
            abstract_words = frozenset(abstract_tokens).union(
                compounds(paper.abstract), *abstract_parts.values()
            )
            for word in title_words | abstract_words:
                self._index.setdefault(word, []).append(i)

    def postings(self, keyword: str) -> tuple[tuple[int, bool], ...]:
        """``(paper index, found in title)`` for every paper containing ``keyword``."""
        return tuple(self._lookup(keyword).papers.items())

    def _lookup(self, keyword: str) -> _Found:
        # Case matters in words mode: ``LLM`` is an acronym, ``llm`` a word.
        key = keyword.casefold() if self.mode == "substring" else keyword
        found = self._found.get(key)
        if found is None:
            papers = self._find(key)
            found = self._found[key] = _Found(
                papers,
                frozenset(i for i, in_title in papers.items() if in_title),
                frozenset(i for i, in_title in papers.items() if not in_title),
                self._specificity(len(papers)),
            )
        return found

    def _specificity(self, df: int) -> float:
        if self.mode == "substring" or df == 0 or len(self.papers) < FULL_WEIGHT_SHARE:
            return 1.0
        share = df / len(self.papers)
        return min(1.0, max(MIN_SPECIFICITY, log2(1 / share) / log2(FULL_WEIGHT_SHARE)))

    def _find(self, keyword: str) -> dict[int, bool]:
        """``{paper index: found in title}`` for every paper the keyword is found in."""
        key = keyword.casefold()
        if self.mode == "substring" or is_substring_keyword(key):
            return {
                i: key in doc.title_lower
                for i, doc in enumerate(self._docs)
                if key in doc.text_lower
            }
        found: dict[int, bool] = {}
        for needle in needles(keyword):
            for i, in_title in self._find_needle(needle):
                found[i] = found.get(i, False) or in_title
        return dict(sorted(found.items()))

    def _find_needle(self, needle: Needle) -> list[tuple[int, bool]]:
        postings = [self._postings(forms) for forms in needle]
        if len(needle) == 1:
            forms = needle[0]
            return [(i, not forms.isdisjoint(self._docs[i].title_words)) for i in postings[0]]
        candidates = postings[0].intersection(*postings[1:])
        found = []
        for i in sorted(candidates):
            doc = self._docs[i]
            in_title = contains_sequence(doc.title_tokens, doc.title_parts, needle)
            if in_title or contains_sequence(doc.abstract_tokens, doc.abstract_parts, needle):
                found.append((i, in_title))
        return found

    def _postings(self, forms: frozenset[str]) -> set[int]:
        """The papers containing any of the forms."""
        return set[int]().union(*(self._index.get(form, ()) for form in forms))

    def use_vectors(self, papers: Sequence[Paper], vectors: Vectors) -> None:
        """The embeddings of ``papers`` (a row each, in that order; a paper may repeat),
        for ranking by meaning."""
        row = {p.versioned_id: i for i, p in enumerate(papers)}
        self.vectors = vectors[[row[p.versioned_id] for p in self.papers]]

    @property
    def lexical(self) -> Lexical:
        """BM25 postings of the papers, built the first time a profile has interests."""
        if self._lexical is None:
            self._lexical = Lexical([d.title_tokens + d.abstract_tokens for d in self._docs])
        return self._lexical

    def similarities(
        self, profile: Profile, allowed: set[int], vector: Vector | None = None
    ) -> dict[int, float] | None:
        """Each allowed paper's closeness to the profile (0..1): by embeddings when the
        profile's ``vector`` and the papers' are known, else by words; None without
        interests."""
        if vector is not None and self.vectors is not None:
            # einsum, not BLAS: one profile's product is too small for BLAS threads, which
            # made it 30x slower on a busy 2-core machine (python -m benchmarks.relevance).
            cosines = np.einsum("ij,j->i", self.vectors, vector)
            return rescaled(cosines, sorted(allowed))
        if not profile.personal:
            return None
        raw = self.lexical.scores(self._query(profile))
        return signed_scaled(raw, sorted(allowed))

    def _query(self, profile: Profile) -> dict[str, float]:
        """The interests' words, moved by the chat's votes (Rocchio)."""
        interests = interest_terms(profile.interests)
        if not profile.feedback:
            return interests
        terms = self._feedback_terms
        for f in profile.feedback:
            if f.paper_id not in terms:  # a voted paper is read once for every chat
                terms[f.paper_id] = self.lexical.specific_terms(f.text)
        liked = [terms[f.paper_id] for f in profile.feedback if f.liked]
        disliked = [terms[f.paper_id] for f in profile.feedback if not f.liked]
        return rocchio_terms(interests, liked, disliked)

    def score(self, profile: Profile, vector: Vector | None = None) -> list[ScoredPaper]:
        """The profile's digest: papers by followed authors first, then the best by score
        (keywords plus closeness to the interests; then id), at most ``max_papers`` of
        those."""
        new, cross = self._feed(profile)
        allowed = new | cross
        excluded = set[int]().union(*(self._lookup(kw).papers for kw in profile.exclude))
        allowed -= excluded
        found = [self._lookup(kw) for kw in profile.keywords]
        close = self.similarities(profile, allowed, vector)
        by_author = self._by_author(profile, excluded)
        scores = _scores(profile, found, allowed - by_author.keys(), close)
        first = _totals(profile, found, set(by_author)) if by_author else {}
        matches = [  # a keyword matches a paper in one of two ways
            (papers.papers, Match(kw, True), Match(kw, False))
            for kw, papers in zip(profile.keywords, found, strict=True)
        ]
        ranked = self._best({i: first.get(i, 0.0) for i in by_author}, len(by_author))
        ranked += self._best(scores, max(profile.max_papers - len(by_author), 0))
        return [
            ScoredPaper(
                self.papers[i],
                round(first.get(i, 0.0) if i in by_author else scores[i], 2),
                tuple(
                    in_title if where[i] else elsewhere
                    for where, in_title, elsewhere in matches
                    if i in where
                ),
                "new" if i in new else "cross",
                similarity=None if close is None or i not in close else round(close[i], 2),
                author=by_author.get(i),
            )
            for i in ranked
        ]

    def _by_author(self, profile: Profile, excluded: set[int]) -> dict[int, str]:
        """The papers of the profile's categories (cross-lists too) that a followed author
        wrote, and who (the first followed name, in the profile's order)."""
        followed = [name for text in profile.authors if (name := _followed(text)) is not None]
        if not followed:
            return {}
        if self._authors is None:
            self._authors = AuthorIndex([paper.authors for paper in self.papers])
        area = set[int]().union(
            *(self._feeds.get((c, kind), ()) for c in profile.categories for kind in TYPES)
        )
        area -= excluded
        out: dict[int, str] = {}
        for name in followed:
            for i in self._authors.papers(name) & area:
                out.setdefault(i, name.text)
        return out

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


def _scores(
    profile: Profile,
    found: list[_Found],
    allowed: set[int],
    close: dict[int, float] | None = None,
) -> dict[int, float]:
    """The score of every ``allowed`` paper a keyword found or that is close enough to the
    profile's interests, where at least ``min_score``."""
    if not found and close is None:  # no keywords: every paper of the categories
        return dict.fromkeys(allowed, 0)
    totals = _totals(profile, found, allowed)
    if close is not None:
        # Only interests or likes bring a paper in: dislikes alone only push papers down.
        enters = bool(profile.interests) or any(f.liked for f in profile.feedback)
        for i, similarity in close.items():
            if i not in allowed:
                continue
            if i in totals or not found or (enters and similarity >= profile.similarity_entry):
                totals[i] = totals.get(i, 0) + profile.similarity_weight * similarity
    return {i: total for i, total in totals.items() if total >= profile.min_score}


def _totals(profile: Profile, found: list[_Found], allowed: set[int]) -> dict[int, float]:
    """The keyword score of every ``allowed`` paper a keyword found."""
    # The weights summed in keyword order, as ever (specificity 1 gives the legacy sums).
    totals: dict[int, float] = {}
    for papers in found:
        in_title = (profile.keyword_weight + profile.title_bonus) * papers.specificity
        in_abstract = profile.keyword_weight * papers.specificity
        for i in papers.title & allowed:
            totals[i] = totals.get(i, 0) + in_title
        for i in papers.abstract_only & allowed:
            totals[i] = totals.get(i, 0) + in_abstract
    return totals


@lru_cache(maxsize=65536)
def _followed(text: str) -> AuthorName | None:
    """A stored or configured name, parsed once per process. Names are checked when they
    are set; one a later version no longer reads is skipped, never a failed digest."""
    try:
        return read_followed(text)
    except AuthorNameError as exc:
        log.warning("ignoring the followed author %r: %s", text[:120], exc)
        return None
