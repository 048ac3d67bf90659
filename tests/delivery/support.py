"""What the delivery suite shares: a controllable clock, announcement days on the fake arXiv,
subscriptions, and a :class:`World`: the real delivery pipeline (DeliveryService, SqliteStore in
``tmp_path``, Summarizer, AnnouncementSource against the fake arXiv) sending through the
in-memory test adapter, restartable on the same database.

Time only moves when a test moves the clock; a "tick" is one scheduler round, run by the test.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openai import AsyncOpenAI

from bot.arxiv.announcements import AnnouncementSource
from bot.arxiv.api import ArxivApi
from bot.arxiv.transport import ArxivHttp
from bot.config import Settings
from bot.delivery.planner import SummaryPlanner
from bot.delivery.schedule import rescheduled
from bot.delivery.service import DeliveryService
from bot.model.subscriptions import Subscription
from bot.services import Services
from bot.summaries.embeddings import Embedder, EndpointEmbeddings
from bot.summaries.fulltext import FullTextSource
from bot.summaries.summarizer import Summarizer
from storage import PostgresStore, SqliteStore
from tests.delivery.recording_sender import RecordingSender
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_openai import FAKE_MODEL, FakeOpenAI
from tests.postgres import fetch_rows

ET = ZoneInfo("America/New_York")
EMBEDDING_MODEL = "text-embedding-3-small"
PLATFORM = "test"

TUESDAY = date(2026, 11, 24)
"""The feed's date for Monday 23 November's 20:00 ET announcement (Tue 01:00 UTC)."""
WEDNESDAY = date(2026, 11, 25)
THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 30)


def utc(day: date, hh_mm: str = "00:00", seconds: int = 0) -> datetime:
    hours, minutes = (int(x) for x in hh_mm.split(":"))
    return datetime.combine(day, time(hours, minutes, seconds), tzinfo=UTC)


def announced(day: date) -> datetime:
    """When the announcement the feed dates ``day`` went out: 20:00 ET the evening before."""
    return datetime.combine(day - timedelta(days=1), time(20, 0), tzinfo=ET).astimezone(UTC)


class Clock:
    """The one clock of the pipeline (delivery, store ledger, summarizer), moved by tests."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        assert moment >= self.now, "time does not run backwards"
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        return self.set(self.now + timedelta(**delta))


# --- papers and announcements ---------------------------------------------------------------


def paper(
    day: date,
    n: int,
    title: str,
    abstract: str | None = None,
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    **extra: Any,
) -> FakePaper:
    """Paper ``2611.0DDNN`` of the announcement dated ``day`` (DD its day of month)."""
    return FakePaper(
        arxiv_id=f"2611.0{day.day:02d}{n:02d}",
        title=title,
        abstract=abstract
        or (
            f"We study {title.lower()} in depth. Our method is simple and it scales. "
            "Experiments on public benchmarks show consistent gains over strong baselines."
        ),
        authors=["Ada Lovelace", "Alan Turing"],
        categories=list(categories),
        **extra,
    )


def day_papers(day: date) -> list[FakePaper]:
    """An ordinary announcement: LLM papers, mixture-of-experts papers, one about graphs,
    one in cs.CL and one in math.OC."""
    return [
        paper(day, 1, "Faster LLM inference with speculative decoding"),
        paper(day, 2, "LLM agents that plan and verify", categories=("cs.AI", "cs.LG")),
        paper(day, 3, "Routing in sparse mixture of experts"),
        paper(day, 4, "LLM evaluation under distribution shift"),
        paper(day, 5, "Graph colouring with few colours", categories=("cs.DS",)),
        paper(day, 6, "LLM translation for low-resource languages", categories=("cs.CL",)),
        paper(day, 7, "Step sizes for LLM training", categories=("math.OC",)),
    ]


def announce(arxiv: FakeArxiv, day: date, papers: list[FakePaper] | None = None) -> None:
    """The feed now shows the announcement dated ``day`` (as arXiv's feed does after 20:00 ET
    the evening before)."""
    arxiv.papers = list(day_papers(day) if papers is None else papers)
    arxiv.announce_date = datetime.combine(day, time(0, 0), tzinfo=ET)


# --- subscriptions --------------------------------------------------------------------------


def subscription(
    chat_id: str,
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    keywords: tuple[str, ...] = ("LLM",),
    at: str = "08:00",
    tz: str = "UTC",
    **fields: Any,
) -> Subscription:
    return Subscription(
        platform=PLATFORM,
        chat_id=chat_id,
        chat_kind="private",
        created_by=chat_id,
        categories=categories,
        keywords=keywords,
        delivery_time=at,
        timezone=tz,
        **fields,
    )


def settings(**overrides: Any) -> Settings:
    """The operator's settings (the environment is cleaned by the suite's fixture)."""
    values: dict[str, Any] = {"categories": ["cs.LG"], "summary_deadline": 5.0}
    values.update(overrides)
    return Settings(**values)


# --- the pipeline -----------------------------------------------------------------------------


class World:
    """The real pipeline on one SQLite file; :meth:`restart` is a new process on it."""

    def __init__(
        self,
        db_path: Path | str,
        arxiv: FakeArxiv,
        clock: Clock,
        sender: RecordingSender,
        *,
        llm: FakeOpenAI | None = None,
        config: Settings | None = None,
        parallel: int = 64,
        claim_batch: int | None = None,
    ) -> None:
        self.db_path = db_path
        self.arxiv = arxiv
        self.clock = clock
        self.sender = sender
        self.llm = llm
        self.settings = config or settings()
        self.parallel = parallel
        self.claim_batch = claim_batch
        self._opened = False

    async def open(self) -> World:
        # A string is a PostgreSQL URL (tests/postgres.py): the same pipeline on PostgreSQL.
        opener = PostgresStore.open if isinstance(self.db_path, str) else SqliteStore.open
        self.store = await opener(self.db_path, clock=self.clock)
        self.http = ArxivHttp(interval=0, retries=0, retry_delay=0)
        self.client = (
            AsyncOpenAI(base_url=self.llm.base_url, api_key="sk-test", max_retries=0)
            if self.llm is not None
            else None
        )
        self.summarizer = Summarizer(
            store=self.store,
            fulltext=FullTextSource(
                self.http, self.arxiv.html_url_template, self.arxiv.pdf_url_template
            ),
            client=self.client,
            model=FAKE_MODEL,
            workers=self.settings.summary_workers,
            daily_calls=self.settings.llm_daily_calls,
            clock=self.clock,
        )
        self.embedder = (
            Embedder(
                EndpointEmbeddings(self.client, EMBEDDING_MODEL), self.store, clock=self.clock
            )
            if self.client is not None
            else None
        )
        self.service = DeliveryService(
            settings=self.settings,
            store=self.store,
            announcements=AnnouncementSource(self.http, self.arxiv.feed_url_template),
            summarizer=self.summarizer,
            senders={PLATFORM: self.sender},
            clock=self.clock,
            parallel=self.parallel,
            embedder=self.embedder,
        )
        self.planner = SummaryPlanner(
            settings=self.settings,
            store=self.store,
            summarizer=self.summarizer,
            clock=self.clock,
            embedder=self.embedder,
            give_way=self.service.not_ranking,
        )
        self.service.batch_stored = self.planner.replan
        if self.claim_batch is not None:
            self.service.claim_batch = self.claim_batch
        self.api: ArxivApi | None = None
        self._opened = True
        return self

    def services(self) -> Services:
        """What the command layer and the HTTP port see of this process (for /status,
        /metrics and the Telegram adapter's router)."""
        self.api = self.api or ArxivApi(self.http, self.arxiv.api_url)
        return Services(
            settings=self.settings,
            store=self.store,
            announcements=AnnouncementSource(self.http, self.arxiv.feed_url_template),
            papers=self.api,
            summarizer=self.summarizer,
            clock=self.clock,
            delivery=self.service,
            started_at=self.clock(),
            embedder=self.embedder,
        )

    async def close(self) -> None:
        if not self._opened:
            return
        self._opened = False
        await self.planner.stop()
        if self.api is not None:
            self.api.close()
        if self.client is not None:
            await self.client.close()
        await self.http.aclose()
        await self.store.close()

    async def restart(self) -> DeliveryService:
        """Stop this "process" and start a new one on the same database."""
        await self.close()
        await self.open()
        return self.service

    # --- acting ----------------------------------------------------------------------------

    async def subscribe(self, sub: Subscription) -> Subscription:
        """Saved as the commands save it: with its next due time from the clock."""
        old = await self.store.get_subscription(sub.platform, sub.chat_id)
        saved = rescheduled(old, sub, self.clock())
        await self.store.save_subscription(saved)
        return saved

    async def edit(self, chat_id: str, **changes: Any) -> Subscription:
        """A chat changes its settings (as a command would, at the current time)."""
        old = await self.store.get_subscription(PLATFORM, chat_id)
        assert old is not None
        new = rescheduled(old, replace(old, **changes), self.clock())
        await self.store.save_subscription(new)
        return new

    async def tick(self, *, lead: bool = True) -> None:
        """One scheduler round; without ``lead``, an instance's that does not lead."""
        await self.service.tick(lead=lead)

    async def at(self, moment: datetime) -> None:
        """Move the clock to ``moment`` and run one scheduler round there."""
        self.clock.set(moment)
        await self.service.tick()

    async def run_until(self, end: datetime, every: timedelta = timedelta(minutes=10)) -> None:
        """Scheduler rounds every ``every`` until ``end`` (inclusive)."""
        while self.clock.now + every <= end:
            await self.at(self.clock.now + every)
        if self.clock.now < end:
            await self.at(end)

    # --- looking ---------------------------------------------------------------------------

    def ledger(self) -> list[dict[str, Any]]:
        """The deliveries table as rows (read with a second connection, like an operator)."""
        sql = "SELECT * FROM deliveries ORDER BY chat_id, announcement_day"
        if isinstance(self.db_path, str):
            return fetch_rows(self.db_path, sql)
        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(sql).fetchall()
        return [dict(r) for r in rows]

    def row(self, chat_id: str, day: date) -> dict[str, Any]:
        found = [
            r
            for r in self.ledger()
            if r["chat_id"] == chat_id and r["announcement_day"] == day.isoformat()
        ]
        assert found, f"no ledger row for {chat_id} on {day}"
        return found[0]

    def feed_requests(self) -> list[set[str]]:
        """The category set of every feed request arXiv received."""
        return [
            set(r.path.removeprefix("/rss/").split("+"))
            for r in self.arxiv.requests
            if r.route == "rss"
        ]
