"""Interests in the score: BM25 closeness on 0..1, keyword score + weight x closeness, entry
by closeness alone, and the "why" that shows both."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.model.profile import SIMILARITY_ENTRY, SIMILARITY_WEIGHT, Feedback, Profile
from bot.ranking.scoring import Scorer
from bot.ranking.similarity import (
    Lexical,
    profile_vector,
    rescaled,
    rocchio_terms,
    signed_scaled,
)
from tests.conftest import make_paper

KV = make_paper(
    "2611.00001",
    "Compressing the KV cache",
    "We quantize the key value cache of long-context decoding.",
)
LLM = make_paper("2611.00002", "LLM agents for chemistry", "An LLM plans reactions.")
SPECULATIVE = make_paper(
    "2611.00003",
    "Drafting tokens ahead",
    "Speculative decoding with a small draft model speeds up serving.",
)
GRAPHS = make_paper("2611.00004", "Graph colouring", "Colour graphs quickly.")
PAPERS = [KV, LLM, SPECULATIVE, GRAPHS]
INTERESTS = "KV cache compression and speculative decoding for faster serving"
BASE = Profile(("cs.LG",), keywords=("LLM",))


def by_id(profile: Profile) -> dict[str, tuple[float, float | None, str]]:
    return {
        s.paper.arxiv_id: (s.score, s.similarity, s.why) for s in Scorer(PAPERS).score(profile)
    }


def test_without_interests_scores_are_the_keyword_scores() -> None:
    assert by_id(BASE) == {"2611.00002": (1.5, None, "LLM (title)")}


def test_closeness_is_0_to_1_and_the_closest_paper_is_1() -> None:
    scorer = Scorer(PAPERS)
    close = scorer.similarities(replace(BASE, interests=INTERESTS), {0, 1, 2, 3})

    assert close is not None
    assert max(close.values()) == 1.0
    assert min(close.values()) == 0.0
    assert close[0] == 1.0  # KV cache, compression: the most words of the interests
    assert close[2] > close[1]  # speculative decoding, serving beats an LLM for chemistry
    assert close[3] == 0.0


def test_one_score_keywords_plus_weighted_closeness_and_why_shows_both() -> None:
    found = by_id(replace(BASE, interests=INTERESTS))

    score, similarity, why = found["2611.00002"]  # the keyword paper
    assert similarity is not None
    assert score == pytest.approx(1.5 + SIMILARITY_WEIGHT * similarity, abs=0.01)
    assert why == f"LLM (title); close to your interests {similarity:.2f}"


def test_a_paper_without_keywords_enters_by_closeness_alone() -> None:
    found = by_id(replace(BASE, interests=INTERESTS))

    assert found["2611.00001"] == (
        SIMILARITY_WEIGHT * 1.0,
        1.0,
        "close to your interests 1.00",
    )
    assert found["2611.00003"][1] is not None
    assert found["2611.00003"][1] >= SIMILARITY_ENTRY
    assert "2611.00004" not in found  # far from the interests and no keyword


def test_the_entry_threshold_keeps_papers_that_are_not_close_enough_out() -> None:
    strict = by_id(replace(BASE, interests=INTERESTS, similarity_entry=1.01))

    assert set(strict) == {"2611.00002"}


def test_interests_without_keywords_rank_every_paper_by_closeness() -> None:
    profile = Profile(("cs.LG",), interests=INTERESTS)

    ranked = [s.paper.arxiv_id for s in Scorer(PAPERS).score(profile)]

    assert ranked[0] == "2611.00001"
    assert set(ranked) == {p.arxiv_id for p in PAPERS}
    assert ranked.index("2611.00003") < ranked.index("2611.00004")


def test_interests_matching_nothing_lift_nothing() -> None:
    found = by_id(replace(BASE, interests="quantum chromodynamics"))

    assert found == {"2611.00002": (1.5, 0.0, "LLM (title)")}


def test_bm25_rewards_rare_words_and_rescales_over_the_allowed_papers_only() -> None:
    lexical = Lexical([["kv", "cache"], ["cache", "model"], ["model", "model"]])

    raw = lexical.scores({"kv": 1.0, "model": 1.0})

    assert raw[0] > 0
    assert raw[2] > raw[1] > 0
    assert rescaled(raw, [1, 2]) == {1: 0.0, 2: 1.0}
    assert rescaled(raw * 0, [0, 1]) == {0: 0.0, 1: 0.0}


def test_rocchio_moves_the_query_towards_liked_and_away_from_disliked() -> None:
    query = rocchio_terms({"cache": 1.0}, [{"kv": 1.0}], [{"agent": 1.0}, {"cache": 0.5}])

    assert query["kv"] > 0
    assert query["agent"] < 0
    assert 0 < query["cache"] < 1.0


def test_a_dislike_alone_pushes_papers_down_and_brings_none_in() -> None:
    disliked = Feedback(LLM.versioned_id, f"{LLM.title}\n\n{LLM.abstract}", liked=False)
    profile = replace(BASE, feedback=(disliked,))

    found = by_id(replace(profile, keywords=("LLM", "cache")))

    assert set(found) == {"2611.00001"}  # the LLM paper fell below 0; nothing came in
    assert found["2611.00001"][1] == 0.0


def test_a_like_brings_similar_papers_in() -> None:
    liked = Feedback(KV.versioned_id, f"{KV.title}\n\n{KV.abstract}", liked=True)

    found = by_id(replace(BASE, feedback=(liked,)))

    assert found["2611.00001"][1] == 1.0
    assert "2611.00004" not in found


def test_rocchio_on_embeddings_leans_towards_likes_and_away_from_dislikes() -> None:
    interests = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    liked = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    disliked = np.array([0.0, 0.0, 1.0], dtype=np.float32)

    vector = profile_vector(interests, [liked], [disliked])

    assert vector is not None
    assert np.isclose(np.linalg.norm(vector), 1.0)
    assert vector[0] > vector[1] > 0 > vector[2]
    assert profile_vector(None, [], []) is None


def test_signed_scaling_keeps_no_words_in_common_at_zero() -> None:
    raw = np.array([2.0, 0.0, -4.0, 1.0])

    assert signed_scaled(raw, [0, 1, 2, 3]) == {0: 1.0, 1: 0.0, 2: -1.0, 3: 0.5}
