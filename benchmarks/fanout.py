"""Fan-out benchmark: one announcement day delivered to many Telegram subscriptions at once.

    python -m benchmarks.fanout [--subscriptions 10000] [--rate 30] [--papers 1000]
                                [--latency 0.05] [--workers 8] [--seed 1]
                                [--arxiv-interval 3]

Everything is real but the three servers: ``arxiv-bot run`` itself (a separate process: the
scheduler, the real DeliveryService, the real Telegram adapter with its own pacing, the real
summarizer and SQLite store) against local fakes of arXiv (the day's feed; no full text, so
summaries read abstracts), of the OpenAI API (answers after ``--latency`` seconds) and of the
Telegram Bot API, which enforces Telegram's flood limits (``--rate`` messages a second overall,
one a second per private chat, twenty a minute per group) and answers 429 beyond them.

The papers and subscriptions are those of ``benchmarks.scoring`` (same seed, same data):
1-5 categories and 3-30 keywords each, with excludes, minimum scores and cross-lists; chats
read at most ten papers; one in ten is a group; time zones vary (twelve zones) and each
subscription's local delivery time is "now" there, so that all are due at the start.

Figures: total time from the process start to the last digest recorded as sent, and its ratio
to the platform bound (messages / rate; target at most 1.15), with where the time went;
messages per digest; model calls against the distinct papers shown (target: equal, each paper
summarized once); 429s; and the bot process's peak resident memory (target under 300 MB).
A full 10,000-subscription run takes about ten minutes, by the nature of the 30/s limit.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from adapters.telegram import TelegramLimits
from benchmarks.scoring import Corpus, make_papers, make_profiles
from bot.model.papers import Paper
from bot.model.subscriptions import Subscription
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakeArxiv, FakeArxivThread, FakePaper
from tests.fakes.fake_openai import FakeOpenAI, FakeOpenAIThread

# By name, not ``from ... import``: the test fakes are not type-checked, and a typed import
# would make mypy check the fake Bot API server with this package. What is used of it:
fake_telegram = importlib.import_module("tests.fakes.fake_telegram")


class FakeTelegram(Protocol):
    token: str
    sent: list[Any]  # SentMessage
    edits: list[Any]  # SentMessage, as edited
    rejections: list[Any]  # Rejection
    flooded: Counter[str]  # 429s by the limit exceeded

    @property
    def api_base(self) -> str: ...

    async def wait_for_sent(self, n: int, chat_id: int | None = None) -> list[Any]: ...


ZONES = (
    "UTC", "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
    "America/Sao_Paulo", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Africa/Nairobi", "Pacific/Auckland",
)  # fmt: skip
GROUP_SHARE = 0.1
CHAT_MAX_PAPERS = 10
ARXIV_BOT = Path(sys.executable).with_name("arxiv-bot")
_ENV_PREFIXES = ("ARXIV_", "OPENAI_", "DASHSCOPE_", "TELEGRAM_", "DISCORD_")


@dataclass(frozen=True, slots=True)
class Setup:
    subscriptions: int
    rate: int
    papers: int
    latency: float
    workers: int
    seed: int
    arxiv_interval: float = 3.0
    """The bot's own pacing of arXiv (its default): kept even against an instant fake."""


def parser(prog: str, doc: str | None, default_subscriptions: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--subscriptions", type=int, default=default_subscriptions)
    p.add_argument("--rate", type=int, default=30, help="Telegram's overall limit (30/s)")
    p.add_argument("--papers", type=int, default=1000, help="papers announced (1000)")
    p.add_argument("--latency", type=float, default=0.05, help="model latency, s (0.05)")
    p.add_argument("--workers", type=int, default=8, help="model calls at once (8)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--arxiv-interval",
        type=float,
        default=3.0,
        help="the bot's arXiv request interval, s (3, its default; the fake answers at once)",
    )
    return p


def setup_from(args: argparse.Namespace) -> Setup:
    return Setup(
        args.subscriptions,
        args.rate,
        args.papers,
        args.latency,
        args.workers,
        args.seed,
        args.arxiv_interval,
    )


# --- data ----------------------------------------------------------------------------------


def fake_paper(paper: Paper) -> FakePaper:
    return FakePaper(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors),
        categories=list(paper.categories),
        version=paper.version,
        replaced=paper.is_replacement,
    )


def make_data(setup: Setup, now: datetime) -> tuple[list[FakePaper], list[Subscription]]:
    rng = random.Random(setup.seed)
    corpus = Corpus(rng)
    papers = [fake_paper(p) for p in make_papers(setup.papers, rng, corpus)]
    subscriptions = []
    for n, profile in enumerate(make_profiles(setup.subscriptions, rng, corpus)):
        group = rng.random() < GROUP_SHARE
        tz = rng.choice(ZONES)
        subscriptions.append(
            Subscription(
                platform="telegram",
                chat_id=str(-(10**9) - n if group else 10**8 + n),
                chat_kind="group" if group else "private",
                created_by=str(10**8 + n),
                categories=profile.categories,
                keywords=profile.keywords,
                exclude=profile.exclude,
                include_cross=profile.include_cross,
                max_papers=min(profile.max_papers, CHAT_MAX_PAPERS),
                min_score=profile.min_score,
                delivery_time=now.astimezone(ZoneInfo(tz)).strftime("%H:%M"),
                timezone=tz,
                next_due_at=now,
            )
        )
    return papers, subscriptions


async def prepare_db(db_path: Path, subscriptions: Sequence[Subscription]) -> None:
    store = await SqliteStore.open(db_path)
    try:
        for sub in subscriptions:
            await store.save_subscription(sub)
    finally:
        await store.close()


# --- the servers and the bot ---------------------------------------------------------------


@dataclass
class Servers:
    arxiv: FakeArxiv
    telegram: FakeTelegram
    llm: FakeOpenAI


@contextmanager
def servers(setup: Setup, papers: list[FakePaper]) -> Iterator[Servers]:
    with ExitStack() as stack:
        arxiv = stack.enter_context(FakeArxivThread(papers))
        limits = fake_telegram.FloodLimits(global_per_second=setup.rate)
        telegram = stack.enter_context(fake_telegram.FakeTelegramThread(limits=limits))
        llm = stack.enter_context(FakeOpenAIThread(delay=setup.latency))
        yield Servers(arxiv, telegram, llm)


def bot_env(setup: Setup, db_path: Path, s: Servers) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_ENV_PREFIXES) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=f"sqlite:///{db_path}",
        TELEGRAM_BOT_TOKEN=s.telegram.token,
        TELEGRAM_API_URL=s.telegram.api_base,
        ARXIV_FEED_URL=s.arxiv.feed_url_template,
        ARXIV_API_URL=s.arxiv.api_url,
        ARXIV_PDF_URL=s.arxiv.pdf_url_template,
        ARXIV_HTML_URL=s.arxiv.html_url_template,
        # The bot's own clock, as users run it: the fake answers at once, but the bot still
        # spaces its requests (issue 17: a benchmark at 0 hid 40 minutes of full texts).
        ARXIV_BOT_ARXIV_REQUEST_INTERVAL=str(setup.arxiv_interval),
        ARXIV_BOT_ARXIV_RETRIES="1",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=s.llm.base_url,
        ARXIV_BOT_SUMMARY_WORKERS=str(setup.workers),
        ARXIV_BOT_LLM_DAILY_CALLS="1000000",
        ARXIV_BOT_LLM_DAILY_TOKENS="1000000000",
        # All are due now, in zones where "now" may be shortly before midnight: a grace in
        # hours keeps a long fan-out from running past a subscriber's local day.
        ARXIV_BOT_DELIVERY_GRACE_HOURS="6",
    )
    return env


class Bot:
    """``arxiv-bot run`` in its own process; stderr goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = datetime.now(UTC)

    async def start(self) -> Bot:
        self.started_at = datetime.now(UTC)
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                str(ARXIV_BOT), "run", env=self.env, stdout=out, stderr=out
            )
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def peak_rss_mib(self) -> float:
        """VmHWM of the running process (Linux)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await self.proc.wait()

    async def stop(self) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.proc.wait()


# --- watching ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ledger:
    rows: int
    states: Counter[str]
    messages_sent: int
    last_update: datetime | None

    @property
    def pending(self) -> int:
        return self.states["due"] + self.states["in_progress"]


def read_ledger(db_path: Path) -> Ledger:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        states = Counter(
            {s: n for s, n in db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state")}
        )
        sent, last = db.execute(
            "SELECT COALESCE(SUM(messages_sent), 0), MAX(updated_at) FROM deliveries "
            "WHERE state IN ('done', 'in_progress')"
        ).fetchone()
    return Ledger(
        sum(states.values()),
        states,
        int(sent),
        datetime.fromisoformat(last) if last else None,
    )


async def wait_until_delivered(
    db_path: Path, expected_rows: int, bot: Bot, *, progress: bool = True
) -> Ledger:
    """Poll the ledger (it is a benchmark: a second of resolution is plenty) until every
    subscription has its row and none is pending."""
    shown = time.monotonic()
    while True:
        if not bot.running:
            raise RuntimeError(f"arxiv-bot run exited early; see {bot.log}")
        if await asyncio.to_thread(db_path.exists):
            ledger = read_ledger(db_path)
            if ledger.rows >= expected_rows and ledger.pending == 0:
                return ledger
            if progress and time.monotonic() - shown > 30:
                shown = time.monotonic()
                print(f"  ... {ledger.states.get('done', 0)} digests sent", flush=True)
        await asyncio.sleep(0.5)


@dataclass(frozen=True, slots=True)
class Received:
    messages: int
    per_chat: dict[int, list[str]]
    papers_shown: set[str]
    throttled: int
    flooded: Counter[str]

    def throttled_text(self) -> str:
        """The 429s, by the limit they exceeded."""
        parts = ", ".join(f"{name} {n}" for name, n in sorted(self.flooded.items()))
        return f"{self.throttled} answered 429" + (f" ({parts})" if parts else "")

    def duplicates(self) -> Counter[int]:
        return Counter({c: len(t) - len(set(t)) for c, t in self.per_chat.items()})


def received(tg: FakeTelegram) -> Received:
    per_chat: dict[int, list[str]] = {}
    papers: set[str] = set()
    for message in list(tg.sent):
        per_chat.setdefault(message.chat_id, []).append(message.text)
        papers.update(
            d.removeprefix("sum:") for d in message.callback_data if d.startswith("sum:")
        )
    throttled = sum(1 for r in list(tg.rejections) if r.status == 429)
    return Received(len(tg.sent), per_chat, papers, throttled, Counter(tg.flooded))


def incomplete_digests(db_path: Path, got: Received) -> list[str]:
    """Chats whose digest is not complete: not recorded as sent, or fewer distinct
    messages arrived than the ledger says it consists of ("nothing matched" is no loss)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT chat_id, state, messages_sent, detail FROM deliveries")
        lost = []
        for chat_id, state, sent, detail in rows:
            if state == "skipped" and detail == "nothing matched":
                continue
            distinct = len(set(got.per_chat.get(int(chat_id), [])))
            if state not in ("done", "in_progress") or distinct < sent or distinct == 0:
                lost.append(chat_id)
    return lost


async def first_message(tg: FakeTelegram) -> datetime:
    await tg.wait_for_sent(1)
    return datetime.now(UTC)


@contextmanager
def workdir() -> Iterator[Path]:
    """Where the database and the bot's log go: removed after a run, kept after a failure."""
    path = Path(tempfile.mkdtemp(prefix="arxiv-bot-bench-"))
    try:
        yield path / "bot.db"
    except BaseException:
        print(f"the database and the bot's log are kept in {path}", file=sys.stderr)
        raise
    shutil.rmtree(path)


# --- the benchmark -------------------------------------------------------------------------


async def run(setup: Setup, db_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    started = time.perf_counter()
    papers, subscriptions = make_data(setup, now)
    await prepare_db(db_path, subscriptions)
    print(
        f"setup:             {len(subscriptions)} subscriptions, {len(papers)} papers, "
        f"database ready in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    with servers(setup, papers) as s:
        bot = await Bot(bot_env(setup, db_path, s), db_path.with_name("bot.log")).start()
        try:
            first = asyncio.create_task(first_message(s.telegram))
            ledger = await wait_until_delivered(db_path, len(subscriptions), bot)
            first_at = await first
            peak = bot.peak_rss_mib()
            assert await bot.stop() == 0
        finally:
            if bot.running:
                await bot.kill()
        got = received(s.telegram)
        model_calls = len(s.llm.calls)
    assert ledger.last_update is not None
    total = (ledger.last_update - bot.started_at).total_seconds()
    sending = (ledger.last_update - first_at).total_seconds()
    bound = got.messages / setup.rate
    digests = ledger.states["done"]
    per_digest = [len(t) for t in got.per_chat.values()]
    dup = sum(got.duplicates().values())
    lost = incomplete_digests(db_path, got)
    skipped, failed = ledger.states["skipped"], ledger.states["failed"]
    print(f"digests:           {digests} sent, {skipped} skipped (nothing matched), "
          f"{failed} failed, {len(lost)} incomplete")  # fmt: skip
    print(f"messages:          {got.messages} ({dup} duplicated), {got.throttled_text()}")
    print(
        f"messages/digest:   {statistics.mean(per_digest):.2f} mean, "
        f"{min(per_digest)}-{max(per_digest)}"
    )
    print(f"platform bound:    {bound:.1f} s ({got.messages} messages / {setup.rate} per s)")
    print(f"total time:        {total:.1f} s from the process start to the last digest")
    print(f"  before sending:  {total - sending:.1f} s (start, fetch, schedule, score, summarize)")
    print(f"  sending:         {sending:.1f} s (first message to last)")
    print(f"ratio to bound:    {total / bound:.3f} (target <= 1.15)")
    limits = TelegramLimits()
    ceiling = limits.overall_per_second / (1 + limits.overall_slack)
    print(
        f"adapter pacing:    evenly spaced, {ceiling:.1f}/s at most "
        f"(ratio >= {setup.rate / ceiling:.2f} by design); "
        f"achieved {got.messages / sending:.1f}/s while sending"
    )
    print(f"model calls:       {model_calls} for {len(got.papers_shown)} distinct papers shown "
          f"({model_calls / max(len(got.papers_shown), 1):.2f} per paper; made ahead or "
          f"after the send, at arXiv interval {setup.arxiv_interval:g} s)")  # fmt: skip
    print(f"peak RSS (bot):    {peak:.0f} MiB (target < 300)")


def main(argv: Sequence[str] | None = None) -> None:
    args = parser("python -m benchmarks.fanout", __doc__, 10_000).parse_args(argv)
    with workdir() as db_path:
        asyncio.run(run(setup_from(args), db_path))


if __name__ == "__main__":
    main()
