"""Scoring benchmark: one announcement day's papers against many keyword profiles.

    python -m benchmarks.scoring [--papers 2000] [--profiles 10000] [--seed 1] [--follow 0]

Papers and profiles are synthetic but shaped like the real thing, and one seed always gives
the same data: titles of ~10 and abstracts of ~180 words drawn from a Zipf-distributed
vocabulary of a few thousand words (function words, academic English, ML/systems terms and
phrases, a long tail of rare names), each paper leaning towards the topics of its categories;
an AI/ML-heavy category mix; mostly ``new`` announcements. Profiles pick 1-5 categories and
3-30 keywords, mostly on the topics of their categories, with popular interests shared between
readers, spelled the ways people write them. With ``--follow SHARE``, that share of the
profiles also follows 1-5 authors (full names, some with an initial, a few confirmed common
surnames alone) drawn from the names the papers are written by; the profiles are otherwise
the same, and so is the checksum at the default ``--follow 0``.

Figures: the time to index the papers (building the
:class:`~bot.ranking.scoring.Scorer`), the time to score every profile with it, the peak
resident memory, and a checksum of every digest (papers, scores, matches, announce types) so
that runs, and versions of the scorer, can be compared.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import random
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from bot.model.papers import AnnounceType, Paper
from bot.model.profile import Profile
from bot.ranking.keywords import normalize_keyword
from bot.ranking.scoring import Scorer


def split(text: str, sep: str | None = None) -> list[str]:
    """A word list written as text: ``sep``-separated (whitespace by default)."""
    return [item.strip() for item in text.split(sep) if item.strip()]


# Primary-category weights of an AI/ML-heavy daily feed (the union of many readers' categories).
CATEGORY_WEIGHTS: dict[str, int] = {
    "cs.LG": 22, "cs.CL": 14, "cs.CV": 14, "cs.AI": 10, "cs.RO": 5, "cs.CR": 4, "stat.ML": 4,
    "cs.DC": 4, "cs.IR": 3, "cs.SE": 3, "math.OC": 3, "eess.SP": 2, "cs.HC": 2, "eess.AS": 1,
    "cs.NE": 1, "cs.CY": 1, "cs.MA": 1, "cs.PF": 1, "cs.AR": 1, "q-bio.QM": 1,
}  # fmt: skip

# What papers of each category talk about, most common first, written as authors write them.
TOPICS: dict[str, list[str]] = {
    category: split(terms, "|")
    for category, terms in {
        "cs.LG": """neural networks|training|LLMs|attention|optimization|generalization|
            mixture-of-experts|quantization|RL|reinforcement learning|transformer|fine-tuning|
            pre-training|diffusion models|representation learning|self-supervised|
            contrastive learning|scaling laws|distillation|pruning|LoRA|low-rank adaptation|
            graph neural networks|GNNs|federated learning|continual learning|meta-learning|
            uncertainty|calibration|MoE|SGD|policy gradient|offline RL|overparameterized|
            knowledge distillation""",
        "cs.CL": """LLM|LLMs|language models|large language models|tokens|reasoning|prompting|
            in-context learning|chain-of-thought|instruction tuning|alignment|RLHF|
            hallucination|retrieval-augmented generation|RAG|machine translation|
            summarization|question answering|multilingual|tokenizer|decoding|
            speculative decoding|agents|embeddings|benchmark|preference optimization|DPO|
            long-context|evaluation|low-resource languages""",
        "cs.AI": """agents|reasoning|planning|LLM agents|multi-agent|tool use|knowledge graphs|
            world model|decision making|alignment|safety|interpretability|neuro-symbolic|
            theorem proving|search|LLM|constraint satisfaction|explainability|
            causal reasoning|game theory""",
        "cs.CV": """images|video|segmentation|object detection|vision transformer|ViT|diffusion|
            text-to-image|CLIP|multimodal|vision-language models|VLMs|3D|point clouds|NeRF|
            Gaussian splatting|depth estimation|pose estimation|convolutional|
            image generation|tracking|super-resolution|open-vocabulary|autonomous driving|
            remote sensing|medical imaging""",
        "cs.DC": """inference|serving|throughput|latency|GPU|GPUs|KV cache|distributed training|
            pipeline parallelism|tensor parallelism|scheduling|cluster|kernels|CUDA|memory|
            bandwidth|heterogeneous|edge|serverless|FPGA|accelerators|batching|
            PagedAttention|FlashAttention|fault tolerance|consensus|microservices|
            LLM inference|mixture-of-experts""",
        "stat.ML": """Gaussian processes|variational inference|posterior|estimator|minimax|
            convergence rate|causal inference|conformal prediction|sample complexity|
            high-dimensional|sparse|bandits|regret|MCMC|kernel methods|Bayesian""",
        "math.OC": """convex|nonconvex|stochastic optimization|gradient|convergence|Lagrangian|
            ADMM|saddle point|optimal control|stochastic gradient descent|first-order methods|
            variational inequalities|linear programming|mixed-integer""",
        "cs.CR": """adversarial|attacks|privacy|differential privacy|jailbreak|backdoor|
            watermarking|membership inference|poisoning|secure aggregation|malware|
            vulnerabilities|prompt injection|red teaming""",
        "cs.RO": """robot|robots|manipulation|locomotion|navigation|sim-to-real|
            imitation learning|policy|embodied|grasping|trajectory|motion planning|SLAM|
            humanoid|vision-language-action""",
        "cs.IR": """retrieval|recommendation|recommender systems|ranking|dense retrieval|
            collaborative filtering|reranking|click-through|query|search engines""",
        "cs.SE": """code generation|program synthesis|software|bugs|testing|program repair|
            LLM-based|static analysis|code LLMs|repository""",
        "eess.SP": "signal|channel estimation|beamforming|radar|MIMO|wireless",
        "eess.AS": "speech|audio|ASR|speech recognition|text-to-speech|speaker",
        "cs.HC": "user study|interfaces|participants|accessibility|visualization",
        "cs.NE": "spiking neural networks|evolutionary|neuromorphic|genetic algorithms",
        "cs.CY": "fairness|bias|education|misinformation|policy|societal",
        "cs.MA": "multi-agent|cooperation|negotiation|emergent communication",
        "cs.PF": "performance|benchmarking|profiling|roofline|latency",
        "cs.AR": "hardware|accelerators|systolic arrays|quantization|SRAM|DRAM",
        "q-bio.QM": "protein|molecules|drug discovery|genomics|single-cell",
    }.items()
}

FUNCTION_WORDS = split("""the of and a to in we for is that on with as by this our are an from
    be can which it at these their or not than both such while its also into over more only
    has have between each under when without across via through how show propose""")

ACADEMIC_WORDS = split("""model models method methods results approach performance data
    learning task tasks problem framework network existing paper new novel state-of-the-art
    experiments demonstrate based using large efficient accuracy evaluation analysis proposed
    significantly outperforms baselines datasets different however first well work study
    including improve improves improvement key challenges challenging effective effectively
    achieve achieves address present introduce further applications set time single multiple
    high low simple available code publicly trained end-to-end robust robustness scalable
    scale efficiency cost computational theoretical empirical empirically prior previous
    recent recently often generation information structure features feature input output
    quality error errors approaches techniques technique strategy strategies design general
    specific domain domains real-world settings setting leverage leverages enable enables
    complex important critical limited limitations understanding insights trade-offs speed
    faster fewer lower higher better best strong stronger open source benchmarks demonstrates
    outperform competitive compared comparison standard typical typically diverse several
    various variety number amount small smaller larger largest level levels distribution
    distributions function functions parameters parameter loss objective sample samples
    sample-efficient environment reward rewards learning-based architecture architectures
    layer layers dimension space spaces representation latent hidden weights weight gradients
    bound bounds guarantee guarantees theorem proof algorithm algorithms linear nonlinear
    online adaptive dynamic static fixed random noise noisy label labels supervision
    supervised unsupervised semi-supervised annotation human humans users user feedback
    interaction interactive generalize transfer zero-shot few-shot downstream upstream
    pipeline pipelines module modules component components mechanism mechanisms step steps
    process processing stage stages phase""")

SURNAMES = split("""Chen Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Smith Johnson Garcia Kim
    Lee Park Nguyen Patel Singh Kumar Müller Schmidt Rossi Dubois Tanaka Sato Ivanov Silva""")
GIVEN_NAMES = split("Wei Jing Alex Maria Yuki Arjun Sofia Lukas Hana Omar Elena Tom Priya Min")

# Keywords readers share whatever their categories (the README's examples among them).
POPULAR_INTERESTS = split(
    """LLM|LLMs|large language models|inference|mixture of experts|reasoning|agents|efficient|
    RL|quantization|attention|diffusion|benchmark|alignment|KV cache|speculative decoding|RAG|
    fine-tuning|scaling laws|multimodal|safety|GPU""",
    "|",
)
EXCLUDE_POOL = split(
    """survey|review|position paper|medical|clinical|protein|quantum|dataset|tutorial|
    autonomous driving|remote sensing|theoretical|federated learning|education|legal|
    financial|weather""",
    "|",
)
CJK_KEYWORDS = ["大语言模型", "强化学习"]  # rare, but some readers write them

ANNOUNCE_TYPES: dict[AnnounceType, int] = {
    "new": 65,
    "cross": 20,
    "replace": 12,
    "replace-cross": 3,
}

VOCABULARY_SIZE = 3000
ZIPF_EXPONENT = 1.0  # of the whole vocabulary
TOPIC_EXPONENT = 0.8  # of the terms of one category: flatter, a field has many subjects
ABSTRACT_TOPIC_SHARE = 0.08  # of an abstract's words on the paper's subjects
TITLE_TOPIC_SHARE = 0.35
SUBJECTS = (3, 8)  # topic terms one paper is about


def zipf_cumulative(n: int, exponent: float = ZIPF_EXPONENT) -> list[float]:
    """Cumulative weights of ranks 1..n, for ``random.choices(..., cum_weights=...)``."""
    return list(itertools.accumulate(1.0 / rank**exponent for rank in range(1, n + 1)))


def rare_word(rng: random.Random) -> str:
    """A made-up word of the long tail: a method or dataset name, an acronym, a rare term."""
    word = "".join(
        rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") + rng.choice(["", "n", "r", "s"])
        for _ in range(rng.randint(2, 4))
    )
    kind = rng.random()
    if kind < 0.1:
        return word[:4].upper()  # an acronym
    if kind < 0.2:
        return word.capitalize()  # a method's name
    return word


class Corpus:
    """The synthetic language the papers are written in."""

    def __init__(self, rng: random.Random, size: int = VOCABULARY_SIZE) -> None:
        topic_terms = list(dict.fromkeys(t for terms in TOPICS.values() for t in terms))
        rng.shuffle(topic_terms)
        # By rank: function words, academic words, then a long tail of rare words with the
        # topic terms in its second part (papers mostly use them through their subjects).
        ranked = FUNCTION_WORDS + list(dict.fromkeys(ACADEMIC_WORDS))
        seen = set(ranked)
        while len(ranked) < size:
            word = rare_word(rng)
            if len(ranked) >= size // 3 and len(ranked) % 6 == 0 and topic_terms:
                word = topic_terms.pop()
            if word not in seen:
                seen.add(word)
                ranked.append(word)
        self.words = ranked
        self.cumulative = zipf_cumulative(len(ranked))
        self.topic_cumulative = {
            category: zipf_cumulative(len(terms), TOPIC_EXPONENT)
            for category, terms in TOPICS.items()
        }

    def topic_term(self, rng: random.Random, category: str) -> str:
        return rng.choices(TOPICS[category], cum_weights=self.topic_cumulative[category])[0]

    def subjects(self, rng: random.Random, categories: Sequence[str]) -> list[str]:
        """What one paper is about: a few terms of its categories' topics, mostly the
        primary's."""
        return [
            self.topic_term(rng, categories[0] if rng.random() < 0.7 else rng.choice(categories))
            for _ in range(rng.randint(SUBJECTS[0], SUBJECTS[1]))
        ]

    def terms(
        self, rng: random.Random, count: int, subjects: Sequence[str], share: float
    ) -> list[str]:
        """``count`` terms, a ``share`` of them on the ``subjects``, the others from the whole
        vocabulary."""
        terms = rng.choices(self.words, cum_weights=self.cumulative, k=count)
        for i in range(count):
            if rng.random() < share:
                terms[i] = rng.choice(subjects)
        return terms


def sentence_case(terms: list[str]) -> str:
    text = " ".join(terms)
    return text[:1].upper() + text[1:]


def make_abstract(rng: random.Random, corpus: Corpus, subjects: Sequence[str]) -> str:
    target = rng.randint(130, 210)
    sentences: list[str] = []
    words = 0
    while words < target:
        terms = corpus.terms(rng, rng.randint(12, 28), subjects, ABSTRACT_TOPIC_SHARE)
        if rng.random() < 0.4:  # a clause
            terms[rng.randrange(3, len(terms) - 3)] += ","
        sentences.append(sentence_case(terms) + ".")
        words += sum(term.count(" ") + 1 for term in terms)
    return " ".join(sentences)


def make_title(rng: random.Random, corpus: Corpus, subjects: Sequence[str]) -> str:
    terms = corpus.terms(rng, rng.randint(6, 11), subjects, TITLE_TOPIC_SHARE)
    if rng.random() < 0.5:  # Title Case
        terms = [term[:1].upper() + term[1:] for term in terms]
    title = sentence_case(terms)
    if rng.random() < 0.25:  # "Name: what it does"
        title = f"{rare_word(rng).capitalize()}: {title}"
    return title


def weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    """``k`` distinct keys drawn by weight, in the order drawn."""
    pool = dict(weights)
    picked: list[str] = []
    while pool and len(picked) < k:
        key = rng.choices(list(pool), weights=list(pool.values()))[0]
        picked.append(key)
        del pool[key]
    return picked


def make_papers(count: int, rng: random.Random, corpus: Corpus) -> list[Paper]:
    papers = []
    kinds = list(ANNOUNCE_TYPES)
    for n in range(count):
        categories = weighted_sample(
            rng, CATEGORY_WEIGHTS, rng.choices([1, 2, 3, 4], [30, 35, 25, 10])[0]
        )
        kind = rng.choices(kinds, weights=list(ANNOUNCE_TYPES.values()))[0]
        replaced = kind in ("replace", "replace-cross")
        subjects = corpus.subjects(rng, categories)
        papers.append(
            Paper(
                arxiv_id=f"{rng.choice([2609, 2610]) if replaced else 2611}.{n:05d}",
                version=rng.randint(2, 4) if replaced else 1,
                title=make_title(rng, corpus, subjects),
                abstract=make_abstract(rng, corpus, subjects),
                authors=tuple(
                    f"{rng.choice(GIVEN_NAMES)} {rng.choice(SURNAMES)}"
                    for _ in range(rng.randint(1, 8))
                ),
                categories=tuple(categories),
                announce_type=kind,
                published=date(2026, 11, 24),
            )
        )
    return papers


def spelling(rng: random.Random, keyword: str) -> str:
    """The way one reader writes a keyword: case, hyphens and plurals vary."""
    roll = rng.random()
    if roll < 0.1:
        return keyword.lower()
    if roll < 0.15:
        return keyword.title()
    if roll < 0.22 and ("-" in keyword or " " in keyword):
        return keyword.replace("-", " ") if "-" in keyword else keyword.replace(" ", "-")
    if roll < 0.27 and not keyword.endswith("s"):
        return keyword + "s"
    return keyword


def make_profiles(count: int, rng: random.Random, corpus: Corpus) -> list[Profile]:
    popular = zipf_cumulative(len(POPULAR_INTERESTS))
    general = corpus.words[100:1000]  # "robust", "zero-shot", a method's name, ...
    profiles = []
    for _ in range(count):
        categories = weighted_sample(
            rng, CATEGORY_WEIGHTS, rng.choices(range(1, 6), [30, 30, 20, 12, 8])[0]
        )
        topics = [c for c in categories if c in TOPICS]
        if rng.random() < 0.02:  # a whole archive: "cs"
            categories[0] = categories[0].split(".")[0]
        wanted = round(rng.triangular(3, 30, 8))
        keywords: dict[str, str] = {}  # as the config has them: no duplicates, first spelling
        while len(keywords) < wanted:
            roll = rng.random()
            if roll < 0.7:
                keyword = corpus.topic_term(rng, rng.choice(topics))
            elif roll < 0.9:
                keyword = rng.choices(POPULAR_INTERESTS, cum_weights=popular)[0]
            elif roll < 0.998:
                keyword = rng.choice(general)
            else:
                keyword = rng.choice(CJK_KEYWORDS)
            keyword = normalize_keyword(spelling(rng, keyword))
            keywords.setdefault(keyword.casefold(), keyword)
        profiles.append(
            Profile(
                categories=tuple(categories),
                keywords=tuple(keywords.values()),
                exclude=tuple(
                    rng.sample(EXCLUDE_POOL, rng.choices(range(4), [50, 25, 15, 10])[0])
                ),
                max_papers=rng.randint(10, 30),
                min_score=rng.choice([0, 0, 0.5, 1, 1, 1.5, 2, 2.5, 3]),
                include_cross=rng.random() < 0.3,
            )
        )
    return profiles


def with_followed_authors(profiles: list[Profile], share: float, seed: int) -> list[Profile]:
    """``share`` of the profiles follow authors. A separate random stream, so the profiles
    (and papers) are those of the same seed without ``--follow``."""
    rng = random.Random(seed + 1_000_003)
    out = []
    for profile in profiles:
        if rng.random() >= share:
            out.append(profile)
            continue
        names = []
        for _ in range(rng.randint(1, 5)):
            given, surname = rng.choice(GIVEN_NAMES), rng.choice(SURNAMES)
            roll = rng.random()
            if roll < 0.02:
                names.append(f"{surname}!")  # every author with that surname, confirmed
            elif roll < 0.2:
                names.append(f"{given[0]}. {surname}")
            else:
                names.append(f"{given} {surname}")
        out.append(replace(profile, authors=tuple(dict.fromkeys(names))))
    return out


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes, KiB elsewhere


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scoring", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--papers", type=int, default=2000, help="papers in the day (2000)")
    parser.add_argument("--profiles", type=int, default=10_000, help="profiles (10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--follow", type=float, default=0.0, help="share of profiles following authors (0)"
    )
    args = parser.parse_args(argv)
    if args.papers < 1 or args.profiles < 1:
        parser.error("--papers and --profiles must be at least 1")
    if not 0 <= args.follow <= 1:
        parser.error("--follow is a share between 0 and 1")

    started = time.perf_counter()
    rng = random.Random(args.seed)
    corpus = Corpus(rng)
    papers = make_papers(args.papers, rng, corpus)
    profiles = make_profiles(args.profiles, rng, corpus)
    if args.follow:
        profiles = with_followed_authors(profiles, args.follow, args.seed)
    generated = time.perf_counter() - started
    rss_before = peak_rss_mib()

    started = time.perf_counter()
    scorer = Scorer(papers)
    indexed = time.perf_counter() - started

    timings: list[float] = []
    selected = 0
    checksum = hashlib.sha256()
    for n, profile in enumerate(profiles):
        started = time.perf_counter()
        digest = scorer.score(profile)
        timings.append(time.perf_counter() - started)
        selected += len(digest)
        for s in digest:  # everything a reader would see, outside the timing
            matched = ",".join(f"{m.keyword}{'*' if m.in_title else ''}" for m in s.matched)
            if s.author:
                matched = f"@{s.author},{matched}"
            line = f"{n} {s.paper.versioned_id} {s.score!r} {s.announce_type} {matched}\n"
            checksum.update(line.encode())
    total = sum(timings)
    timings.sort()
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]

    words = statistics.mean(len(p.abstract.split()) for p in papers)
    keywords = statistics.mean(len(p.keywords) for p in profiles)
    print(f"papers:            {len(papers)} (abstracts of {words:.0f} words on average)")
    following = sum(1 for p in profiles if p.authors)
    print(
        f"profiles:          {len(profiles)} ({keywords:.1f} keywords on average, "
        f"{following} following authors)"
    )
    print(f"seed:              {args.seed} (data generated in {generated:.1f} s)")
    print(f"index papers:      {indexed * 1e3:.0f} ms")
    print(f"score profiles:    {total:.2f} s")
    print(f"profiles/second:   {len(profiles) / total:.0f}")
    print(f"per profile:       {total / len(timings) * 1e6:.0f} µs mean, {p95 * 1e6:.0f} µs p95")
    print(f"peak RSS:          {peak_rss_mib():.0f} MiB ({rss_before:.0f} MiB before indexing)")
    print(f"checksum:          {selected} papers selected, sha256 {checksum.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
