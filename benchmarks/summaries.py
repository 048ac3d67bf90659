"""Summaries benchmark: one digest's top papers summarized against a model with fixed latency.

    python -m benchmarks.summaries [--papers 30] [--latency 0.5] [--workers 3]
                                   [--arxiv-interval 0]

Everything is real but the two servers: the announcement feed and the papers' HTML come from
the local fake arXiv, the summaries from the local fake OpenAI-compatible server, which answers
every chat completion after ``--latency`` seconds. The digest is built from the feed as the CLI
builds it (:func:`bot.ranking.digest.make_digest`), then
:func:`bot.summaries.digests.with_summaries` runs on it
twice over one SQLite file in a temporary directory: cold (every summary is made) and warm
(every summary comes from the cache).

Figures per run: wall time, model calls, papers summarized, arXiv full-text requests, and the
theoretical bound ``ceil(papers / workers) * latency`` (model calls in waves of ``workers``).
``--arxiv-interval`` is the pause between two arXiv requests (arXiv asks for 3 s; the
default 0 measures the summarizer alone): full text is fetched through the same polite client
as everything else, so a real deployment is bound by ``papers * interval`` as well.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openai import AsyncOpenAI

from bot.arxiv.announcements import AnnouncementSource
from bot.arxiv.transport import ArxivHttp
from bot.model.profile import Profile
from bot.ranking.digest import Digest, make_digest
from bot.services import utc_now
from bot.summaries.digests import with_summaries
from bot.summaries.fulltext import FullTextSource
from bot.summaries.summarizer import Summarizer
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_openai import FAKE_MODEL, FakeOpenAI

CATEGORY = "cs.LG"
KEYWORD = "experts"
TOPICS = (
    "routing", "load balancing", "sparse upcycling", "expert pruning", "token dropping",
    "capacity factors", "expert parallelism", "distillation", "quantization", "serving",
)  # fmt: skip


def make_papers(n: int) -> list[FakePaper]:
    """``n`` announced papers about mixtures of experts, each with an HTML rendering of a few
    thousand characters (introduction to appendix)."""
    papers = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        filler = " ".join(f"Sentence {k} about {topic} in sparse experts." for k in range(12))
        body = "\n".join(
            f"# {heading}\n{heading} of paper {i}: {filler}\n"
            for heading in (
                "Introduction", "Related Work", "Method", "Experiments", "Conclusion",
                "References", "Appendix A: Proofs",
            )
        )  # fmt: skip
        papers.append(
            FakePaper(
                arxiv_id=f"2611.{i + 1:05d}",
                title=f"Mixture of experts with better {topic}, part {i + 1}",
                abstract=f"We improve {topic} for sparse experts. It is {i % 5 + 2}x faster.",
                authors=["Ada Lovelace", "Alan Turing"],
                categories=[CATEGORY],
                html=body,
            )
        )
    return papers


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    calls: int
    summarized: int
    arxiv_requests: int


async def summarize_digest(
    name: str, digest: Digest, summarizer: Summarizer, llm: FakeOpenAI, arxiv: FakeArxiv
) -> Run:
    calls, fetched = llm.attempts, arxiv.count("html") + arxiv.count("pdf")
    started = time.perf_counter()
    result = await with_summaries(
        digest, summarizer, "en", limit=len(digest.papers), deadline=3600.0
    )
    seconds = time.perf_counter() - started
    return Run(
        name=name,
        seconds=seconds,
        calls=llm.attempts - calls,
        summarized=len(result.summaries),
        arxiv_requests=arxiv.count("html") + arxiv.count("pdf") - fetched,
    )


async def benchmark(papers: int, latency: float, workers: int, arxiv_interval: float) -> None:
    fakes = make_papers(papers)
    async with FakeArxiv(fakes) as arxiv, FakeOpenAI(delay=latency) as llm:
        http = ArxivHttp(interval=arxiv_interval, retries=1, retry_delay=0.01)
        client = AsyncOpenAI(
            base_url=llm.base_url, api_key="sk-test", max_retries=0, timeout=latency + 60
        )
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "bench.db")
            try:
                summarizer = Summarizer(
                    store=store,
                    fulltext=FullTextSource(http, arxiv.html_url_template, arxiv.pdf_url_template),
                    client=client,
                    model=FAKE_MODEL,
                    workers=workers,
                    daily_calls=10 * papers,
                    daily_tokens=10**9,
                    clock=utc_now,
                )
                announcement = await AnnouncementSource(http, arxiv.feed_url_template).fetch(
                    [CATEGORY]
                )
                profile = Profile(categories=(CATEGORY,), keywords=(KEYWORD,), max_papers=papers)
                digest = make_digest(announcement, profile)
                runs = [
                    await summarize_digest(name, digest, summarizer, llm, arxiv)
                    for name in ("cold", "warm")
                ]
            finally:
                await client.close()
                await http.aclose()
                await store.close()

    bound = math.ceil(len(digest.papers) / workers) * latency
    print(
        f"digest:            {len(digest.papers)} of {digest.announced} announced papers, "
        f"all with HTML full text"
    )
    print(
        f"model:             {latency:g} s per call, {workers} workers; "
        f"arXiv interval {arxiv_interval:g} s"
    )
    print(
        f"theoretical bound: ceil({len(digest.papers)}/{workers}) x {latency:g} s = {bound:.2f} s "
        "(cold)"
    )
    print()
    print(f"{'run':<6}{'wall time':>12}{'model calls':>13}{'summarized':>12}{'arXiv fetches':>15}")
    for run in runs:
        print(
            f"{run.name:<6}{run.seconds:>10.3f} s{run.calls:>13}{run.summarized:>12}"
            f"{run.arxiv_requests:>15}"
        )
    cold = runs[0]
    if bound > 0 and cold.seconds > 0:
        print()
        print(
            f"cold run: {cold.seconds / bound:.2f}x the bound "
            f"({cold.seconds - bound:+.2f} s: full-text fetches, parsing, storage)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.summaries", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--papers", type=int, default=30, help="papers in the digest (30)")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call (0.5)")
    parser.add_argument("--workers", type=int, default=3, help="concurrent model calls (3)")
    parser.add_argument(
        "--arxiv-interval",
        type=float,
        default=0.0,
        help="seconds between arXiv requests (0; arXiv asks for 3)",
    )
    args = parser.parse_args(argv)
    if args.papers < 1 or args.workers < 1 or args.latency < 0 or args.arxiv_interval < 0:
        parser.error("--papers and --workers must be at least 1, times at least 0")
    asyncio.run(benchmark(args.papers, args.latency, args.workers, args.arxiv_interval))


if __name__ == "__main__":
    main()
