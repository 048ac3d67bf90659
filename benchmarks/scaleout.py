"""Scale-out benchmark: several ``arxiv-bot run`` on one PostgreSQL database deliver one
announcement day to many Telegram subscriptions, and the leader is SIGKILLed mid fan-out.

    python -m benchmarks.scaleout [--instances 3] [--subscriptions 10000] [--rate 30]
                                  [--kill-after N] [--postgres-url URL] [--papers 1000]
                                  [--latency 0.05] [--workers 8] [--seed 1]

The data, the fake servers (arXiv, the OpenAI API, the Telegram Bot API enforcing ``--rate``
messages a second overall, one a second per chat and twenty a minute per group) and the
``arxiv-bot run`` processes are those of ``benchmarks.fanout``; here ``--instances`` of them
share a new schema of the PostgreSQL server at ``--postgres-url`` (default
``ARXIV_BOT_TEST_POSTGRES_URL``, else ``postgresql://postgres@127.0.0.1:5432/test``),
dropped afterwards. They run with their defaults: a heartbeat every 10 s, leases of 30 s, a
delivery round every minute. Once ``--kill-after`` messages (default: half as many as
subscriptions, about a third of the fan-out) have reached the fake Telegram, the instance
that leads is killed with SIGKILL: no clean-up of any kind.

Figures: digests lost (target 0); messages that arrived twice (at most those in flight in the
killed instance); the fan-out time, from the first start to the last digest recorded, against
the platform bound (messages / rate; target <= 1.15, as for one instance); how long the
platform received nothing after the kill; the leader failover time (the kill to another
instance's heartbeat as leader; target under a minute); 429s; model calls against the
distinct papers shown; peak memory of each instance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.fanout import (
    Bot,
    FakeTelegram,
    Ledger,
    Received,
    Setup,
    bot_env,
    make_data,
    parser,
    received,
    servers,
    setup_from,
)
from bot.model.subscriptions import Subscription
from storage import PostgresStore, display_url

DEFAULT_URL = os.environ.get(
    "ARXIV_BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SAMPLE_SECONDS = 0.2
"""How often the benchmark looks at the fake Telegram and the instances table."""


# --- the database ----------------------------------------------------------------------------


@asynccontextmanager
async def bench_schema(server_url: str) -> AsyncIterator[str]:
    """A new schema on the server, dropped afterwards: the database URL that uses it."""
    name = f"arxiv_bot_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield f"{server_url}{'&' if '?' in server_url else '?'}search_path={name}"
        finally:
            await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        await admin.close()


async def prepare(url: str, subscriptions: Sequence[Subscription]) -> None:
    store = await PostgresStore.open(url)
    try:
        for start in range(0, len(subscriptions), 200):
            chunk = subscriptions[start : start + 200]
            await asyncio.gather(*(store.save_subscription(s) for s in chunk))
    finally:
        await store.close()


async def rows(url: str, sql: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await connection.fetch(sql)]
    finally:
        await connection.close()


async def read_ledger(url: str) -> Ledger:
    states = Counter(
        {
            r["state"]: int(r["n"])
            for r in await rows(url, "SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state")
        }
    )
    [totals] = await rows(
        url,
        "SELECT COALESCE(SUM(messages_sent), 0) AS sent, MAX(updated_at) AS last "
        "FROM deliveries WHERE state IN ('done', 'in_progress')",
    )
    last = totals["last"]
    return Ledger(
        sum(states.values()),
        states,
        int(totals["sent"]),
        datetime.fromisoformat(last) if last else None,
    )


async def incomplete_digests(url: str, got: Received) -> list[str]:
    """As ``benchmarks.fanout.incomplete_digests``: digests not recorded as sent, or with
    fewer distinct messages at the chat than the ledger says ("nothing matched" is no loss)."""
    lost = []
    for r in await rows(url, "SELECT chat_id, state, messages_sent, detail FROM deliveries"):
        if r["state"] == "skipped" and r["detail"] == "nothing matched":
            continue
        distinct = len(set(got.per_chat.get(int(r["chat_id"]), [])))
        recorded = r["state"] in ("done", "in_progress")
        if not recorded or distinct < r["messages_sent"] or distinct == 0:
            lost.append(str(r["chat_id"]))
    return lost


# --- watching --------------------------------------------------------------------------------


class Arrivals:
    """Samples of how many messages the fake Telegram has received, for the longest silence."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.samples: list[tuple[float, int]] = []

    async def run(self) -> None:
        while True:
            self.samples.append((time.monotonic(), len(self.tg.sent)))
            await asyncio.sleep(SAMPLE_SECONDS)

    def first(self) -> float:
        """When the first message had arrived (monotonic seconds)."""
        return next(moment for moment, n in self.samples if n > 0)

    def longest_silence(self, after: float) -> float:
        """The longest time after ``after`` during which no message arrived."""
        longest, since, count = 0.0, after, -1
        for moment, n in self.samples:
            if moment < after:
                count = n
                continue
            if n != count:
                longest = max(longest, moment - since)
                since, count = moment, n
        return longest


async def leader(url: str) -> dict[str, Any] | None:
    found = await rows(url, "SELECT id, pid, leader, last_seen FROM instances WHERE leader = 1")
    return max(found, key=lambda r: r["last_seen"]) if found else None


async def new_leader(url: str, dead: str, since: datetime) -> tuple[str, float]:
    """Wait for another instance's heartbeat as leader after ``since``: its id and when."""
    while True:
        for row in await rows(url, "SELECT id, last_seen FROM instances WHERE leader = 1"):
            if row["id"] != dead and datetime.fromisoformat(row["last_seen"]) >= since:
                return str(row["id"]), time.monotonic()
        await asyncio.sleep(SAMPLE_SECONDS)


async def wait_until_delivered(url: str, expected: int, bots: list[Bot]) -> Ledger:
    shown = time.monotonic()
    while True:
        if not any(b.running for b in bots):
            raise RuntimeError("every arxiv-bot run exited; see their logs")
        ledger = await read_ledger(url)
        if ledger.rows >= expected and ledger.pending == 0:
            return ledger
        if time.monotonic() - shown > 30:
            shown = time.monotonic()
            print(f"  ... {ledger.states.get('done', 0)} digests sent", flush=True)
        await asyncio.sleep(0.5)


# --- the benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    setup: Setup
    instances: int
    kill_after: int
    server_url: str


async def run(options: Options, logs: Path) -> None:
    setup = options.setup
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    papers, subscriptions = make_data(setup, now)
    async with bench_schema(options.server_url) as url:
        started = time.perf_counter()
        await prepare(url, subscriptions)
        print(
            f"setup:             {len(subscriptions)} subscriptions, {len(papers)} papers, "
            f"{options.instances} instances on {display_url(options.server_url)} "
            f"(database ready in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        await measure(options, url, subscriptions, papers, logs)


async def measure(
    options: Options,
    url: str,
    subscriptions: list[Subscription],
    papers: list[Any],
    logs: Path,
) -> None:
    setup = options.setup
    with servers(setup, papers) as s:
        env = bot_env(setup, logs / "unused.db", s)
        env["DATABASE_URL"] = url
        bots = [Bot(env, logs / f"bot{n}.log") for n in range(options.instances)]
        arrivals = Arrivals(s.telegram)
        sampler = asyncio.create_task(arrivals.run())
        peaks: dict[int, float] = {}
        try:
            started_mono = time.monotonic()
            for bot in bots:
                await bot.start()
            first_start = bots[0].started_at
            await s.telegram.wait_for_sent(options.kill_after)
            found = await leader(url)
            assert found is not None, "no instance leads"
            victim = next(b for b in bots if b.proc is not None and b.proc.pid == found["pid"])
            held = await rows(
                url,
                "SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('due', 'in_progress') "
                f"AND claimed_by = '{found['id']}'",
            )
            peaks[found["pid"]] = victim.peak_rss_mib()
            recorded_before = (await read_ledger(url)).messages_sent
            killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
            await victim.kill()
            at_kill = len(s.telegram.sent)
            print(
                f"kill:              SIGKILL of the leader after {at_kill} messages; it held "
                f"{held[0]['n']} digests not yet finished",
                flush=True,
            )
            successor, elected_at = await new_leader(url, str(found["id"]), killed_wall)
            print(
                f"failover:          {successor} leads {elected_at - killed_at:.1f} s after "
                "the kill",
                flush=True,
            )
            survivors = [b for b in bots if b is not victim]
            ledger = await wait_until_delivered(url, len(subscriptions), survivors)
            for bot in survivors:
                assert bot.proc is not None
                peaks[bot.proc.pid] = bot.peak_rss_mib()
            for bot in survivors:
                assert await bot.stop() == 0, f"an instance did not stop cleanly: {bot.log}"
        finally:
            sampler.cancel()
            for bot in bots:
                if bot.running:
                    await bot.kill()
        got = received(s.telegram)
        model_calls = len(s.llm.calls)
        twice = summarized_twice(list(s.llm.calls))
    report(
        options, url, subscriptions, ledger, got, model_calls, twice, peaks,
        first_start, killed_at, elected_at, at_kill, recorded_before, arrivals,
        arrivals.first() - started_mono,
    )  # fmt: skip
    lost = await incomplete_digests(url, got)
    named = f": {', '.join(lost[:10])}" if lost else ""
    print(f"digests lost:      {len(lost)} (target 0){named}")


def summarized_twice(calls: list[Any]) -> int:
    """Model calls that repeat an earlier request word for word (one paper, one language,
    one step): each is a summary made twice, across instances or not."""
    made = Counter(json.dumps(call.messages, sort_keys=True) for call in calls)
    return sum(n - 1 for n in made.values())


def report(
    options: Options,
    url: str,
    subscriptions: list[Subscription],
    ledger: Ledger,
    got: Received,
    model_calls: int,
    twice: int,
    peaks: dict[int, float],
    first_start: datetime,
    killed_at: float,
    elected_at: float,
    at_kill: int,
    recorded_before: int,
    arrivals: Arrivals,
    before_sending: float,
) -> None:
    setup = options.setup
    assert ledger.last_update is not None
    total = (ledger.last_update - first_start).total_seconds()
    bound = got.messages / setup.rate
    duplicated = sum(got.duplicates().values())
    per_digest = [len(t) for t in got.per_chat.values()]
    print(f"digests:           {ledger.states['done']} sent, {ledger.states['skipped']} skipped "
          f"(nothing matched), {ledger.states['failed']} failed")  # fmt: skip
    print(
        f"duplicated:        {duplicated} message(s); in flight in the killed instance: at most "
        f"{max(0, at_kill - recorded_before)} (arrived at the kill, less recorded just before)"
    )
    print(f"messages:          {got.messages}, {got.throttled_text()}")
    print(
        f"messages/digest:   {statistics.mean(per_digest):.2f} mean, "
        f"{min(per_digest)}-{max(per_digest)}"
    )
    print(f"platform bound:    {bound:.1f} s ({got.messages} messages / {setup.rate} per s)")
    print(f"fan-out time:      {total:.1f} s from the first start to the last digest recorded")
    print(f"  before sending:  {before_sending:.1f} s (start, fetch, schedule, score, summarize)")
    print(
        f"  sending:         {total - before_sending:.1f} s, "
        f"{got.messages / (total - before_sending):.1f} messages/s"
    )
    print(f"ratio to bound:    {total / bound:.3f} (target <= 1.15)")
    print(
        f"silence:           {arrivals.longest_silence(killed_at):.1f} s at most without a "
        "message after the kill"
    )
    print(f"leader failover:   {elected_at - killed_at:.1f} s (target < 60)")
    print(f"model calls:       {model_calls} by the end of the fan-out (the planner goes on "
          f"at arXiv's pace), {twice} for a paper summarized before (target 0)")  # fmt: skip
    memory = ", ".join(f"{peak:.0f}" for peak in peaks.values())
    print(f"peak RSS:          {memory} MiB per instance (the killed one first)")


def main(argv: Sequence[str] | None = None) -> None:
    p: argparse.ArgumentParser = parser("python -m benchmarks.scaleout", __doc__, 10_000)
    p.add_argument("--instances", type=int, default=3, help="arxiv-bot run processes (3)")
    p.add_argument(
        "--kill-after", type=int, default=None, help="messages before the SIGKILL (subs / 2)"
    )
    p.add_argument("--postgres-url", default=DEFAULT_URL, help="a PostgreSQL server's database")
    p.add_argument("--keep-logs", action="store_true", help="keep the instances' logs")
    args = p.parse_args(argv)
    if args.instances < 2:
        p.error("--instances must be at least 2: one is killed")
    setup = setup_from(args)
    options = Options(
        setup, args.instances, args.kill_after or max(1, setup.subscriptions // 2),
        args.postgres_url,
    )  # fmt: skip
    logs = Path(tempfile.mkdtemp(prefix="arxiv-bot-scaleout-"))
    try:
        asyncio.run(run(options, logs))
    except BaseException:
        print(f"the instances' logs are kept in {logs}", file=sys.stderr)
        raise
    if args.keep_logs:
        print(f"logs:              {logs}")
        return
    for log in logs.iterdir():
        log.unlink()
    logs.rmdir()


if __name__ == "__main__":
    main()
