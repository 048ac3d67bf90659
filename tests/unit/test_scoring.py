from __future__ import annotations

import pytest

from bot.model.profile import Profile
from bot.ranking.scoring import Match, Scorer
from tests.conftest import make_paper


def matched(title: str, abstract: str, keyword: str, mode: str = "words") -> bool:
    scorer = Scorer([make_paper(title=title, abstract=abstract)], mode=mode)  # type: ignore[arg-type]
    return bool(scorer.postings(keyword))


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        ("LLM", "Scaling LLMs to the moon", True),
        ("LLM", "An LLM-based agent", True),
        ("llm", "LLM", True),
        ("RL", "A world model for early planning", False),
        ("RL", "Offline RL with priors", True),
        ("Fast", "What we eat for breakfast", False),
        ("Fast", "Fast decoding", True),
        ("mixture of experts", "a sparse mixture\nof experts layer", True),
        ("mixture of experts", "Mixture-of-Experts routing", True),
        ("mixture of experts", "experts mixture of", False),
        ("mixture-of-experts", "a mixture of experts", True),
        ("pretraining", "we study pre-training at scale", True),
        ("query", "many queries were issued", True),
        ("attention", "Attentions everywhere", True),
        ("FP8", "training in fp8 precision", True),
        ("GPU", "across 8 GPUs", True),
        ("class", "classes of models", True),
        ("大语言模型", "我们研究大语言模型的推理", True),
        ("emoji 🤖", "robots 🤖 emoji", True),
    ],
)
def test_word_matching(keyword: str, text: str, expected: bool) -> None:
    assert matched("Untitled", text, keyword) is expected


def test_legacy_substring_mode_reproduces_old_false_positives() -> None:
    assert matched("Untitled", "A world model", "RL", mode="substring")
    assert matched("Untitled", "breakfast", "Fast", mode="substring")
    assert not matched("Untitled", "breakfast", "Fast")


def test_legacy_weights_title_bonus_and_explanation() -> None:
    papers = [
        make_paper("2611.00001", "Fast LLM inference", "We make LLM inference fast."),
        make_paper("2611.00002", "Something else", "An LLM study."),
    ]
    result = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM", "inference", "fast")))
    scores = [(s.paper.arxiv_id, s.score) for s in result]
    assert scores == [("2611.00001", 4.5), ("2611.00002", 1.0)]
    assert result[0].matched == (
        Match("LLM", True),
        Match("inference", True),
        Match("fast", True),
    )
    assert result[1].matched == (Match("LLM", False),)


def test_excludes_min_score_max_papers_and_ordering() -> None:
    papers = [
        make_paper("2611.00003", "LLM survey", "A survey of LLM."),
        make_paper("2611.00002", "LLM agents", "LLM."),
        make_paper("2611.00001", "LLM tools", "LLM."),
        make_paper("2611.00004", "Other", "mentions LLM once"),
    ]
    profile = Profile(("cs.LG",), keywords=("LLM",), exclude=("survey",), min_score=1.5)
    result = Scorer(papers).score(profile)
    # equal scores are ordered by id; the survey is excluded; 1.0 is below min_score
    assert [s.paper.arxiv_id for s in result] == ["2611.00001", "2611.00002"]
    limited = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM",), max_papers=1))
    assert [s.paper.arxiv_id for s in limited] == ["2611.00001"]


def test_only_new_unless_cross_lists_enabled_and_never_replacements() -> None:
    papers = [
        make_paper("2611.00001", "LLM a", categories=("cs.LG",)),
        make_paper("2611.00002", "LLM b", categories=("cs.CV", "cs.LG")),
        make_paper("2611.00003", "LLM c", categories=("cs.LG",), announce_type="replace"),
        make_paper("2611.00004", "LLM d", categories=("math.OC",)),
    ]
    only_new = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM",)))
    assert [(s.paper.arxiv_id, s.announce_type) for s in only_new] == [("2611.00001", "new")]
    with_cross = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM",), include_cross=True))
    assert [(s.paper.arxiv_id, s.announce_type) for s in with_cross] == [
        ("2611.00001", "new"),
        ("2611.00002", "cross"),
    ]


def test_announce_type_is_relative_to_the_profile_categories() -> None:
    # In a cs.AI+cs.LG feed this cs.LG-primary paper is "new"; a cs.AI-only reader sees a
    # cross-list, exactly as arXiv's own cs.AI feed would show it.
    paper = make_paper("2611.00001", "LLM", categories=("cs.LG", "cs.AI"))
    scorer = Scorer([paper])
    assert scorer.score(Profile(("cs.AI", "cs.LG"), keywords=("LLM",)))[0].announce_type == "new"
    assert scorer.score(Profile(("cs.AI",), keywords=("LLM",))) == []
    crossed = scorer.score(Profile(("cs.AI",), keywords=("LLM",), include_cross=True))
    assert crossed[0].announce_type == "cross"
    assert scorer.score(Profile(("cs",), keywords=("LLM",)))[0].announce_type == "new"


def test_no_paper_twice_latest_version_wins() -> None:
    papers = [
        make_paper("2611.00001", "LLM", version=1),
        make_paper("2611.00001", "LLM", version=2),
    ]
    result = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM",)))
    assert [(s.paper.arxiv_id, s.paper.version) for s in result] == [("2611.00001", 2)]


def test_no_keywords_means_every_new_paper_of_the_categories() -> None:
    papers = [make_paper("2611.00002"), make_paper("2611.00001")]
    result = Scorer(papers).score(Profile(("cs.LG",), min_score=3))
    assert [s.paper.arxiv_id for s in result] == ["2611.00001", "2611.00002"]
    assert all(s.score == 0 for s in result)


# -- followed authors ----------------------------------------------------------------------

LECUN = make_paper("2611.00010", "Energy models", "No keyword here.", authors=("Yann LeCun",))
LLM_A = make_paper("2611.00011", "LLM serving", "LLM inference.", authors=("Ada Lovelace",))
LLM_B = make_paper("2611.00012", "LLM agents", "Agents.", authors=("Alan Turing",))
SURVEY_BY_LECUN = make_paper(
    "2611.00013", "A survey of energy models", "We survey.", authors=("Y. LeCun",)
)
CROSS_BY_LECUN = make_paper(  # primary math.OC: a cross-list for cs.LG
    "2611.00014",
    "Step sizes",
    "Optimisation.",
    categories=("math.OC", "cs.LG"),
    authors=("Yann LeCun",),
)
ELSEWHERE_BY_LECUN = make_paper(
    "2611.00015", "Vision", "Images.", categories=("cs.CV",), authors=("Yann LeCun",)
)
REPLACED_BY_LECUN = make_paper(
    "2611.00016", "Old news", "A new version.", announce_type="replace", authors=("Yann LeCun",)
)
DAY = [LLM_A, LLM_B, LECUN, SURVEY_BY_LECUN, CROSS_BY_LECUN, ELSEWHERE_BY_LECUN, REPLACED_BY_LECUN]


def test_a_followed_authors_paper_comes_first_whatever_its_score() -> None:
    profile = Profile(
        ("cs.LG",), keywords=("LLM",), authors=("Yann LeCun",), min_score=1.0, max_papers=2
    )
    result = Scorer(DAY).score(profile)
    ids = [s.paper.arxiv_id for s in result]
    # LeCun's three papers of cs.LG (one a cross-list although include_cross is off) come
    # first with score 0, ahead of the keyword papers; max_papers bounds only the rest.
    assert ids[:3] == ["2611.00010", "2611.00013", "2611.00014"]
    assert ids[3:] == []  # max_papers 2 is filled by the followed author's papers
    assert [s.score for s in result] == [0.0, 0.0, 0.0]
    assert [s.author for s in result] == ["Yann LeCun"] * 3
    assert result[0].why == "author: Yann LeCun"
    assert result[2].announce_type == "cross"


def test_keyword_papers_fill_the_digest_after_the_followed_authors() -> None:
    profile = Profile(("cs.LG",), keywords=("LLM",), authors=("Yann LeCun",), max_papers=5)
    result = Scorer(DAY).score(profile)
    assert [s.paper.arxiv_id for s in result] == [
        "2611.00010",
        "2611.00013",
        "2611.00014",
        "2611.00011",  # LLM in title and abstract
        "2611.00012",
    ]
    assert result[3].author is None
    assert result[3].why == "LLM (title)"


def test_a_followed_authors_paper_that_a_keyword_found_says_both() -> None:
    paper = make_paper("2611.00020", "LLM energy", "Text.", authors=("Yann LeCun", "Ada B"))
    [scored] = Scorer([paper, LLM_A]).score(
        Profile(
            ("cs.LG",), keywords=("LLM",), authors=("Geoffrey Hinton", "Y. LeCun"), max_papers=1
        )
    )[:1]
    assert scored.paper.arxiv_id == "2611.00020"
    assert scored.score == 1.5
    assert scored.why == "author: Y. LeCun, LLM (title)"


def test_exclude_keywords_still_remove_a_followed_authors_paper() -> None:
    profile = Profile(("cs.LG",), exclude=("survey",), authors=("Yann LeCun",))
    ids = [s.paper.arxiv_id for s in Scorer(DAY).score(profile)]
    assert "2611.00013" not in ids
    assert "2611.00010" in ids


def test_followed_authors_outside_the_categories_or_replaced_are_not_included() -> None:
    profile = Profile(("cs.LG",), keywords=("LLM",), authors=("Yann LeCun",))
    ids = {s.paper.arxiv_id for s in Scorer(DAY).score(profile)}
    assert "2611.00015" not in ids  # cs.CV only
    assert "2611.00016" not in ids  # a replacement, never in a digest


def test_the_first_followed_name_in_the_readers_order_is_the_reason() -> None:
    paper = make_paper("2611.00030", "X", "Y.", authors=("Bernhard Schölkopf", "Yann LeCun"))
    profile = Profile(("cs.LG",), authors=("LeCun, Yann", "Bernhard Scholkopf"))
    [scored] = Scorer([paper]).score(profile)
    assert scored.author == "LeCun, Yann"


def test_a_confirmed_common_surname_follows_every_author_with_it() -> None:
    papers = [
        make_paper("2611.00040", "A", "B.", authors=("Xiang Li",)),
        make_paper("2611.00041", "C", "D.", authors=("Yann LeCun",)),
    ]
    profile = Profile(("cs.LG",), keywords=("nothing",), authors=("Li!",))
    assert [(s.paper.arxiv_id, s.author) for s in Scorer(papers).score(profile)] == [
        ("2611.00040", "Li")
    ]


def test_a_stored_name_that_no_longer_reads_is_skipped_not_a_failed_digest() -> None:
    profile = Profile(
        ("cs.LG",), keywords=("LLM",), authors=("Li", "Yann LeCun")
    )  # "Li" unconfirmed
    result = Scorer(DAY).score(profile)
    assert result[0].author == "Yann LeCun"


def test_profiles_without_authors_score_as_before() -> None:
    profile = Profile(("cs.LG",), keywords=("LLM",), min_score=1.0)
    assert [s.paper.arxiv_id for s in Scorer(DAY).score(profile)] == ["2611.00011", "2611.00012"]
