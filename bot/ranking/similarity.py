"""How close a paper is to a reader's interests, on one scale whatever measures it.

Two measures:

- **Words** (every installation): Okapi BM25 (k1 1.5, b 0.75) of the interests' words over the
  day's titles and abstracts, the words stemmed as keywords are (:func:`tokens`). Votes move
  the query (Rocchio): a liked paper adds its most specific words, a disliked one subtracts
  them (:func:`rocchio_terms`).
- **Embeddings** (an embeddings endpoint or a local model): the cosine between the paper's
  vector and the profile's (see :mod:`bot.ranking.embeddings`).

Either is scaled per profile over the papers it may get, so that 1 is the day's closest paper:
words from 0 ("no word in common"; down to -1 for papers like disliked ones), embeddings from
0 (the farthest paper). The scale depends neither on the measure nor on the length of the
interests, so one weight fits both, and "close to your interests 0.61" means the same in every
digest.

Hand-written rather than ``rank-bm25``: that library scores every paper for every query word in
a Python loop (10,000 profiles would take minutes), has no weighted query terms (which Rocchio
needs), and has had no release since 2022. With postings as numpy arrays, a profile costs a
few vector additions (``python -m benchmarks.relevance`` measures it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from math import log
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.ranking.keywords import tokens

K1 = 1.5
B = 0.75
FEEDBACK_TERMS = 12
"""Words of a voted paper that move the query: its most specific ones (tf x idf)."""
ROCCHIO_ALPHA = 1.0
ROCCHIO_BETA = 0.75
ROCCHIO_GAMMA = 0.5
"""Rocchio's weights of the interests, the liked papers and the disliked ones (the textbook
0.75/0.15 trusts negatives less; a reader's 👎 here is deliberate, so it counts more)."""

Floats = npt.NDArray[np.floating[Any]]
Vector = npt.NDArray[np.float32]
Vectors = npt.NDArray[np.float32]
"""A unit row per paper."""


def interest_terms(text: str) -> dict[str, float]:
    """The interests as a BM25 query: each distinct word once, weighted to sum to 1 like a
    voted paper's words (so that votes weigh the same against short or long interests)."""
    words = dict.fromkeys(tokens(text))
    return dict.fromkeys(words, 1.0 / len(words)) if words else {}


class Lexical:
    """BM25 postings of a batch of papers (``docs``: each paper's tokens), built once."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.size = len(docs)
        average = sum(map(len, docs)) / max(1, self.size)
        rows: dict[str, tuple[list[int], list[float]]] = {}
        for i, doc in enumerate(docs):
            norm = K1 * (1 - B + B * len(doc) / average) if average else K1
            for term, tf in Counter(doc).items():
                at, parts = rows.setdefault(term, ([], []))
                at.append(i)
                parts.append(tf * (K1 + 1) / (tf + norm))
        self._idf = {
            term: log(1 + (self.size - len(at) + 0.5) / (len(at) + 0.5))
            for term, (at, _) in rows.items()
        }
        self._postings = {
            term: (np.array(at, dtype=np.intp), np.array(parts) * self._idf[term])
            for term, (at, parts) in rows.items()
        }

    def scores(self, query: Mapping[str, float]) -> Floats:
        """BM25 of the weighted query for every paper."""
        total = np.zeros(self.size)
        for term, weight in query.items():
            found = self._postings.get(term)
            if found is not None and weight:
                total[found[0]] += weight * found[1]
        return total

    def specific_terms(self, text: str, limit: int = FEEDBACK_TERMS) -> dict[str, float]:
        """The ``limit`` words of a text with the highest tf x idf on this batch, weighted so
        that they sum to 1 (a long abstract moves the query no more than a short one)."""
        counts = Counter(tokens(text))
        weighted = {t: n * self._idf[t] for t, n in counts.items() if t in self._idf}
        top = sorted(weighted.items(), key=lambda item: (-item[1], item[0]))[:limit]
        total = sum(w for _, w in top)
        return {t: w / total for t, w in top} if total > 0 else {}


def rocchio_terms(
    interests: Mapping[str, float],
    liked: Iterable[Mapping[str, float]],
    disliked: Iterable[Mapping[str, float]],
) -> dict[str, float]:
    """Rocchio's query: alpha x interests + beta x mean(liked) - gamma x mean(disliked)."""
    query = {t: ROCCHIO_ALPHA * w for t, w in interests.items()}
    for group, sign in ((list(liked), ROCCHIO_BETA), (list(disliked), -ROCCHIO_GAMMA)):
        for terms in group:
            for t, w in terms.items():
                query[t] = query.get(t, 0.0) + sign * w / len(group)
    return query


def rescaled(raw: Floats, allowed: Sequence[int]) -> dict[int, float]:
    """Cosines for the allowed papers, mapped onto 0..1: the closest is 1, the farthest 0.
    All equal (nothing to tell them apart): every paper is 0, so similarity lifts none."""
    if not allowed:
        return {}
    values = raw[np.asarray(allowed, dtype=np.intp)]
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-6:
        return dict.fromkeys(allowed, 0.0)
    spread = (values - low) / (high - low)
    return dict(zip(allowed, spread.tolist(), strict=True))


def signed_scaled(raw: Floats, allowed: Sequence[int]) -> dict[int, float]:
    """BM25 of a query that votes may have made partly negative, for the allowed papers: 0
    is "no word in common", the closest paper 1, and the paper most like the disliked ones
    -1 (only dislikes never make an unrelated paper look close)."""
    if not allowed:
        return {}
    values = raw[np.asarray(allowed, dtype=np.intp)]
    high, low = max(0.0, float(values.max())), min(0.0, float(values.min()))
    scaled = np.where(values > 0, values / (high or 1.0), values / (-low or 1.0))
    return dict(zip(allowed, scaled.tolist(), strict=True))


def profile_vector(
    interests: Vector | None, liked: Sequence[Vector], disliked: Sequence[Vector]
) -> Vector | None:
    """Rocchio on embeddings: alpha x interests + beta x mean(liked) - gamma x mean(disliked),
    as a unit vector; None when there is nothing to go on."""
    parts: list[Vector] = []
    if interests is not None:
        parts.append(ROCCHIO_ALPHA * interests)
    if liked:
        parts.append(ROCCHIO_BETA * np.mean(liked, axis=0))
    if disliked:
        parts.append(-ROCCHIO_GAMMA * np.mean(disliked, axis=0))
    if not parts:
        return None
    total = np.sum(parts, axis=0).astype(np.float32)
    norm = float(np.linalg.norm(total))
    return total / norm if norm > 0 else None
