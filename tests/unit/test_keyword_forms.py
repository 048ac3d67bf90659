"""Words as researchers write them: compound acronyms, inflections, joined and split compounds,
and the ordinary words that must stay out (issue 13)."""

from __future__ import annotations

import pytest

from bot.model.profile import Profile
from bot.ranking.scoring import Match, Scorer
from tests.conftest import make_paper


def found(keyword: str, text: str) -> bool:
    return bool(Scorer([make_paper(title="Untitled", abstract=text)]).postings(keyword))


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        # An acronym inside compound acronyms, with their plurals.
        ("LLM", "Multimodal MLLMs see and read"),
        ("LLM", "a diffusion dLLM decodes in parallel"),
        ("LLM", "served with vLLM on one node"),
        ("LLM", "Scaling LLMs further"),
        ("LLM", "an LLM-based agent"),
        ("RL", "RLVR improves math reasoning"),
        ("RL", "DRL agents in Atari"),
        ("RL", "cooperative MARL"),
        ("RL", "RLHF with a reward model"),
        ("FP8", "MXFP8 training"),
        ("LLMs", "one MLLM"),
        # Inflections of a word keyword.
        ("fast", "a faster decoder"),
        ("fast", "the fastest kernel"),
        ("efficient", "runs efficiently on phones"),
        ("efficient", "improves efficiency"),
        ("efficient", "two efficiencies"),
        ("train", "we trained a model"),
        ("train", "training data"),
        ("compute", "computing budgets"),
        ("compute", "computed offline"),
        ("plan", "we planned ahead"),
        ("study", "studied here"),
        ("easy", "easily and easier"),
        ("simple", "simply put"),
        ("sparse", "sparser attention"),
        ("large", "the largest model"),
        ("query", "many queries"),
        # Hyphen and space variants.
        ("pretraining", "during pre-training"),
        ("pretraining", "during pre training"),
        ("pre-training", "during pretraining"),
        ("pre-training", "during pre training"),
        ("pre-train", "we pretrained it"),
        ("fine-tuning", "finetuning at scale"),
        ("dataset", "a new data set"),
        # Phrases take the same forms, word by word.
        ("KV cache", "KV caching for decoding"),
        ("LLM inference", "fast MLLM inference"),
        ("speculative decoding", "Speculative-decoding"),
    ],
)
def test_finds(keyword: str, text: str) -> None:
    assert found(keyword, text)


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        # Never in the middle of an ordinary word, whatever its case.
        ("RL", "a world model"),
        ("RL", "a girl and her dog"),
        ("RL", "Bellman backups"),
        ("RL", "optimal control"),
        ("RL", "THE GIRL AND THE WORLD"),  # all capitals: every word looks like an acronym
        ("RL", "the CARLA simulator"),  # neither at the start nor at the end
        ("RL", "the URL of the page"),  # an acronym of its own
        ("RL", "html pages"),
        ("ML", "parsed HTML"),
        ("GP", "on a GPU"),
        ("LLM", "Bellman"),
        ("LLM", "LLaMA weights"),
        ("LLM", "LLMOps pipelines"),  # lowercase letters beyond one prefix
        ("fast", "at breakfast"),
        ("efficient", "a coefficient"),
        ("efficient", "an inefficient loop"),
        # A stemmer's conflations: the forms come from the keyword as written.
        ("reasoning", "for this reason"),
        ("generalization", "in general"),
        ("transformer", "we transform the input"),
        ("latent", "low latency"),
        ("forest", "for"),
        ("training", "a train of thought"),
        # Cut in two only into halves of 3 letters or more.
        ("into", "in to"),
    ],
)
def test_does_not_find(keyword: str, text: str) -> None:
    assert not found(keyword, text)


def test_a_lowercase_keyword_is_a_word_not_an_acronym() -> None:
    assert found("llm", "an LLM")
    assert found("LLM", "an llm")
    assert not found("llm", "an MLLM")  # write it in capitals to find compound acronyms
    assert found("LLM", "an MLLM")


def test_explanation_names_the_keyword_and_where_its_form_was_found() -> None:
    papers = [
        make_paper("2611.00001", "RLHF for MLLMs", "Models trained faster."),
        make_paper("2611.00002", "Untitled", "A world of girls, trained."),
    ]
    result = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM", "RL", "fast", "train")))
    assert [s.paper.arxiv_id for s in result] == ["2611.00001", "2611.00002"]
    assert result[0].matched == (
        Match("LLM", True),
        Match("RL", True),
        Match("fast", False),
        Match("train", False),
    )
    assert result[1].matched == (Match("train", False),)
    assert result[0].why == "LLM (title), RL (title), fast, train"


def test_legacy_substring_mode_is_untouched() -> None:
    papers = [make_paper("2611.00001", "MLLMs", "an LLM in a world model, breakfast")]
    scorer = Scorer(papers, mode="substring")
    result = scorer.score(Profile(("cs.LG",), keywords=("LLM", "RL", "fast", "faster")))
    # Substrings, case-insensitive, legacy weights: LLM (title), RL and fast in the abstract.
    assert result[0].score == 1.5 + 1.0 + 1.0
    assert [m.keyword for m in result[0].matched] == ["LLM", "RL", "fast"]


@pytest.mark.parametrize("day", [64, 128])
def test_a_keyword_half_the_day_contains_counts_less_than_a_rare_one(day: int) -> None:
    papers = [
        make_paper(f"2611.{n:05d}", "Untitled", "A framework." if n % 2 else "Other words.")
        for n in range(day)
    ]
    papers.append(make_paper("2611.99999", "Untitled", "A framework for KV cache eviction."))
    scorer = Scorer(papers)
    half = scorer.score(Profile(("cs.LG",), keywords=("framework",), max_papers=1))
    rare = scorer.score(Profile(("cs.LG",), keywords=("KV cache",), max_papers=1))
    assert rare[0].score == 1.0  # in 1 paper: full weight
    # In half the papers (and one more): log2(N / df) / log2(64), about 1/6; never 0.
    assert 0 < half[0].score < 0.2
    both = scorer.score(Profile(("cs.LG",), keywords=("framework", "KV cache"), max_papers=1))
    assert both[0].paper.arxiv_id == "2611.99999"
    assert both[0].score == round(1.0 + half[0].score, 2)


def test_a_keyword_in_every_paper_still_counts() -> None:
    papers = [make_paper(f"2611.{n:05d}", "Untitled", "An LLM.") for n in range(100)]
    result = Scorer(papers).score(Profile(("cs.LG",), keywords=("LLM",), max_papers=1))
    assert result[0].score == 0.1
