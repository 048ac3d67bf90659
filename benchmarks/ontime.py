"""On-time benchmark: one announcement day with due times spread from the announcement onwards,
with arXiv's real pacing kept (issue 17).

    python -m benchmarks.ontime [--subscriptions 300] [--papers 150] [--spread 8]
                                [--arxiv-interval 3] [--rate 30] [--latency 0.05]
                                [--workers 3] [--seed 1]

``arxiv-bot run`` as a subprocess (the scheduler, the summary planner, the real Telegram
adapter, the real summarizer and store) against local fakes of arXiv (every paper has an HTML
full text, so each summary costs exactly one arXiv request, answered at once), of the model
(``--latency``) and of the Telegram Bot API (flood limits enforced). The bot keeps its own
arXiv clock (``--arxiv-interval``, default 3 s, the bot's default): the fake answers instantly,
the bot still waits 3 s between requests, so a day of N distinct papers needs 3N seconds of
full texts whatever the fakes do.

The announcement is on the feed when the bot starts (its first round stores it); the
subscriptions' due times are spread evenly from then over ``--spread`` minutes. That
compresses a real evening: the question is whether the summaries a digest shows are made
before its due time, and the ratio of requests needed to the time before the due times is
what matters (a real day of 835 papers needs 42 minutes; most readers' times are hours after
the 20:00 ET announcement).

Figures: lateness of each digest after its due time (the ledger's "done" time minus the due
time: p50, p99, max), the share of the papers shown that carry their model summary when the
digest is sent and after the in-place completion (read from the messages as the fake Bot API
holds them: sent, then edited), model calls per distinct paper shown, messages edited and
re-sent (none), and the smallest gap between two arXiv requests (the pacing kept).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.fanout import (
    Bot,
    FakeTelegram,
    Setup,
    bot_env,
    fake_paper,
    make_data,
    parser,
    prepare_db,
    servers,
    setup_from,
    workdir,
)
from benchmarks.scoring import Corpus, make_papers
from bot.model.subscriptions import Subscription
from tests.fakes.fake_arxiv import FakePaper

MODEL_TLDR = "proposes a simple, scalable method"
"""What the fake model's TL;DR says of every paper (an extract never does)."""
START_SLACK = 10.0
"""Seconds between planning the day and the first due time: the bot process starts, fetches
and stores the announcement."""


def day_papers(setup: Setup) -> list[FakePaper]:
    """The papers of ``benchmarks.scoring``'s day, each with an HTML full text."""
    rng = random.Random(setup.seed)
    out = []
    for paper in make_papers(setup.papers, rng, Corpus(rng)):
        fake = fake_paper(paper)
        fake.html = f"Introduction\n\n{paper.abstract}\n\nMethod\n\n{paper.abstract}"
        out.append(fake)
    return out


def spread_subscriptions(
    setup: Setup, first_due: datetime, spread: timedelta
) -> list[Subscription]:
    """``benchmarks.fanout``'s subscriptions, due one after the other over ``spread``."""
    _, subs = make_data(setup, first_due)
    step = spread / max(len(subs) - 1, 1)
    out = []
    for n, sub in enumerate(subs):
        due = first_due + step * n
        local = due.astimezone(ZoneInfo(sub.timezone)).strftime("%H:%M")
        out.append(
            Subscription(
                **{
                    **{f: getattr(sub, f) for f in sub.__dataclass_fields__},
                    "next_due_at": due,
                    "delivery_time": local,
                }
            )
        )
    return out


def ledger_rows(db_path: Path) -> list[tuple[str, str, datetime]]:
    """(chat id, state, last update) of every digest in the ledger: a digest's last update
    is when its last message was recorded as sent."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT chat_id, state, updated_at FROM deliveries").fetchall()
    return [(c, s, datetime.fromisoformat(u)) for c, s, u in rows]


async def poll(bot: Bot, done: Callable[[], bool]) -> None:
    """Until ``done()`` (a benchmark: reading the ledger each second is plenty)."""
    while True:
        if not bot.running:
            raise RuntimeError(f"arxiv-bot run exited early; see {bot.log}")
        if await asyncio.to_thread(done):
            return
        await asyncio.sleep(1.0)


def all_sent(db_path: Path, expected: int) -> bool:
    if not db_path.exists():
        return False
    done, pending = delivered(db_path)
    return done + pending >= expected and pending == 0


def live_left(db_path: Path) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM live_digests").fetchone()[0])


def delivered(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        done, pending = db.execute(
            "SELECT SUM(state NOT IN ('due', 'in_progress')), "
            "SUM(state IN ('due', 'in_progress')) FROM deliveries"
        ).fetchone()
    return int(done or 0), int(pending or 0)


def summary_share(messages: Sequence[Any]) -> tuple[int, int]:
    """(papers shown, papers showing the model's summary) in these messages."""
    shown = sum(1 for m in messages for d in m.callback_data if d.startswith("sum:"))
    summarized = sum(m.text.count(MODEL_TLDR) for m in messages)
    return shown, summarized


def final_state(tg: FakeTelegram) -> list[Any]:
    latest: dict[tuple[int, int], Any] = {(m.chat_id, m.message_id): m for m in list(tg.sent)}
    for edit in list(tg.edits):
        latest[(edit.chat_id, edit.message_id)] = edit
    return list(latest.values())


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def run(setup: Setup, spread: timedelta, db_path: Path) -> None:
    first_due = datetime.now(UTC) + timedelta(seconds=START_SLACK)
    subs = spread_subscriptions(setup, first_due, spread)
    due_of = {s.chat_id: s.next_due_at for s in subs}
    papers = day_papers(setup)
    await prepare_db(db_path, subs)
    print(
        f"setup:             {len(subs)} subscriptions due over {spread.total_seconds() / 60:g} "
        f"min from {START_SLACK:g} s after start, {len(papers)} papers announced, arXiv "
        f"interval {setup.arxiv_interval:g} s",
        flush=True,
    )
    with servers(setup, papers) as s:
        bot = await Bot(bot_env(setup, db_path, s), db_path.with_name("bot.log")).start()
        started = time.monotonic()
        try:
            await poll(bot, lambda: all_sent(db_path, len(subs)))
            sent_at = time.monotonic() - started
            at_delivery = summary_share(list(s.telegram.sent))
            await poll(bot, lambda: live_left(db_path) == 0)
            completed_after = time.monotonic() - started
            assert await bot.stop() == 0
        finally:
            if bot.running:
                await bot.kill()
        after = summary_share(final_state(s.telegram))
        resent = len(s.telegram.sent) - len({(m.chat_id, m.text) for m in s.telegram.sent})
        edits = len(s.telegram.edits)
        distinct = {
            d for m in list(s.telegram.sent) for d in m.callback_data if d.startswith("sum:")
        }
        calls = len(s.llm.calls)
        times = [r.at for r in list(s.arxiv.requests)]
        full_texts = sum(1 for r in list(s.arxiv.requests) if r.route == "html")
    late = []
    for chat_id, state, done_at in ledger_rows(db_path):
        due = due_of[chat_id]
        if state == "done" and due is not None:
            late.append((done_at - due).total_seconds())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    print(f"digests:           {len(late)} sent in {sent_at:.0f} s; completed in place by "
          f"{completed_after:.0f} s")  # fmt: skip
    print(
        f"lateness after due: p50 {statistics.median(late):.1f} s, p99 "
        f"{percentile(late, 0.99):.1f} s, max {max(late):.1f} s (target: within 10 s)"
    )
    print(f"with summary:      {at_delivery[1]}/{at_delivery[0]} papers shown "
          f"({at_delivery[1] / max(at_delivery[0], 1):.1%}) at delivery; {after[1]}/{after[0]} "
          f"({after[1] / max(after[0], 1):.1%}) after completion")  # fmt: skip
    print(f"model calls:       {calls} for {len(distinct)} distinct papers shown "
          f"({calls / max(len(distinct), 1):.2f} per paper)")  # fmt: skip
    print(f"messages:          {len(s.telegram.sent)} sent, {edits} edited, {resent} re-sent")
    print(f"arXiv:             {len(times)} requests ({full_texts} full texts), smallest gap "
          f"{min(gaps):.2f} s (interval {setup.arxiv_interval:g} s)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    p = parser("python -m benchmarks.ontime", __doc__, 300)
    p.set_defaults(papers=150, workers=3)
    p.add_argument("--spread", type=float, default=8.0, help="minutes of due times (8)")
    args = p.parse_args(argv)
    with workdir() as db_path:
        asyncio.run(run(setup_from(args), timedelta(minutes=args.spread), db_path))


if __name__ == "__main__":
    main()
