"""What the summaries tests share: a controllable clock, papers with and without full text on
the fake arXiv, and a :class:`World` that builds real summarizers over real services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI

from bot.arxiv.transport import ArxivHttp
from bot.model.papers import Paper
from bot.model.store import SummaryFailure
from bot.summaries.fulltext import FullTextSource
from bot.summaries.summarizer import Summarizer
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_openai import FAKE_MODEL, FakeOpenAI

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""Noon UTC on an announcement day."""
FOREVER = NOW + timedelta(days=3650)
"""A moment after every retry a test can schedule: ``due_summary_failures(FOREVER)`` lists
every recorded failure."""


class Clock:
    """The summarizer's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def next_utc_day(self) -> datetime:
        """Just after the next UTC midnight."""
        tomorrow = (self.now.astimezone(UTC) + timedelta(days=1)).date()
        self.now = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 0, 0, 1, tzinfo=UTC)
        return self.now


# --- papers ---------------------------------------------------------------------------------

MARKERS = {
    "intro": "MARKINTRO",
    "related": "MARKRELATED",
    "method": "MARKMETHOD",
    "experiments": "MARKEXPERIMENTS",
    "conclusion": "MARKCONCLUSION",
    "references": "MARKREFERENCES",
    "appendix": "MARKAPPENDIX",
}
"""One word per section of :func:`full_text`, so a test can see which sections the model read."""


def full_text(tag: str, *, pdf: bool = False, filler: int = 1) -> str:
    """A paper body with the usual sections. HTML bodies use ``# Heading`` lines (the fake's
    LaTeXML layout); PDF bodies put numbered headings on lines of their own. Every section
    says its marker and which rendering it came from (``tag``); ``filler`` repeats a sentence
    to make sections longer."""
    pad = " ".join(["The section continues with more careful detail."] * filler)
    parts = [
        ("Introduction", f"{MARKERS['intro']} {tag}: we study a hard problem. {pad}"),
        ("Related Work", f"{MARKERS['related']} {tag}: many earlier papers exist. {pad}"),
        ("Method", f"{MARKERS['method']} {tag}: we route tokens to experts. {pad}"),
        ("Experiments", f"{MARKERS['experiments']} {tag}: accuracy rises by 2.1 points. {pad}"),
        ("Conclusion", f"{MARKERS['conclusion']} {tag}: it works and is cheap. {pad}"),
        ("References", f"{MARKERS['references']} [1] A. Person. A cited paper. 2020."),
        ("Appendix A: Proofs", f"{MARKERS['appendix']} {tag}: proof of the main bound."),
    ]
    lines: list[str] = []
    for n, (heading, text) in enumerate(parts, 1):
        if pdf:
            numbered = heading if heading.startswith("Appendix") else f"{n} {heading}"
            lines += [numbered, text]
        else:
            lines += [f"# {heading}", text, ""]
    return "\n".join(lines)


def fake_paper(
    n: int,
    *,
    html: bool = True,
    pdf: bool = False,
    title: str | None = None,
    abstract: str | None = None,
    **extra: Any,
) -> FakePaper:
    """Paper ``2611.0NNNN``: HTML full text by default, a PDF when asked, or neither."""
    return FakePaper(
        arxiv_id=f"2611.{n:05d}",
        title=title or f"Sparse experts for paper {n}",
        abstract=abstract or f"We study sparse experts, case {n}. It works well.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "cs.AI"],
        html=full_text("from-html") if html else None,
        pdf_text=full_text("from-pdf", pdf=True) if pdf else None,
        **extra,
    )


def as_paper(fp: FakePaper) -> Paper:
    """The record the bot keeps for a paper the fake arXiv serves (as the feed parser and the
    API client would build it)."""
    return Paper(
        arxiv_id=fp.arxiv_id,
        version=fp.version,
        title=fp.title,
        abstract=fp.abstract,
        authors=tuple(fp.authors),
        categories=tuple(fp.categories),
        announce_type="replace" if fp.replaced else "new",
        published=date(2026, 11, 24),
    )


def between(text: str, start: str, end: str) -> str:
    """The text between the first ``start`` and the last ``end``."""
    m = re.search(re.escape(start) + r"(.*)" + re.escape(end), text, re.S)
    assert m is not None, f"no {start}...{end} in {text[:200]!r}"
    return m.group(1)


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    """The outside world of one test (fake arXiv, fake model server, a database file) and
    real summarizers over it."""

    arxiv: FakeArxiv
    llm: FakeOpenAI
    http: ArxivHttp
    store: SqliteStore
    clock: Clock
    db_path: Path
    _clients: list[AsyncOpenAI] = field(default_factory=list)

    def client(self, *, max_retries: int = 0, timeout: float = 10.0) -> AsyncOpenAI:
        client = AsyncOpenAI(
            base_url=self.llm.base_url, api_key="sk-test", max_retries=max_retries,
            timeout=timeout,
        )  # fmt: skip
        self._clients.append(client)
        return client

    def summarizer(
        self,
        *,
        store: SqliteStore | None = None,
        client: AsyncOpenAI | None = None,
        no_key: bool = False,
        max_retries: int = 0,
        timeout: float = 10.0,
        **options: Any,
    ) -> Summarizer:
        """A real summarizer; ``options`` are :class:`Summarizer` arguments."""
        if client is None and not no_key:
            client = self.client(max_retries=max_retries, timeout=timeout)
        options.setdefault("model", FAKE_MODEL)
        return Summarizer(
            store=store or self.store,
            fulltext=FullTextSource(
                self.http, self.arxiv.html_url_template, self.arxiv.pdf_url_template
            ),
            client=client,
            clock=self.clock,
            **options,
        )

    async def paper(self, fp: FakePaper) -> Paper:
        """Announce ``fp`` on the fake arXiv and remember it in the store."""
        self.arxiv.add(fp)
        paper = as_paper(fp)
        await self.store.save_papers([paper])
        return paper

    async def failures(self) -> list[SummaryFailure]:
        """Every recorded failure, due or not."""
        return await self.store.due_summary_failures(FOREVER)

    async def close(self) -> None:
        for client in self._clients:
            await client.close()
        await self.http.aclose()
        await self.store.close()
