"""Crash benchmark: the fan-out of ``benchmarks.fanout`` killed with SIGKILL in the middle,
then started again on the same database, as many times as asked.

    python -m benchmarks.crash [--subscriptions 1000] [--crashes 1] [--rate 30]
                               [--papers 1000] [--latency 0.05] [--workers 8] [--seed 1]

The same data, servers and ``arxiv-bot run`` process as the fan-out benchmark. Each crash
comes after a further ``subscriptions / (crashes + 1)`` messages have reached the fake Bot
API: a SIGKILL, with no chance to clean up. The next start resumes from the delivery ledger.

Figures: digests lost (not recorded as sent, or with fewer distinct messages at the chat than
the digest consists of; target 0), messages that arrived twice (target: at most one per
crash), how many messages had gone out at each kill and how many of them the ledger had
recorded (the difference is what was in flight, and is what gets sent again), and the largest
number of repeats in one chat (the ledger guarantees at most one per digest and crash).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.fanout import (
    Bot,
    Setup,
    bot_env,
    incomplete_digests,
    make_data,
    parser,
    prepare_db,
    read_ledger,
    received,
    servers,
    setup_from,
    wait_until_delivered,
    workdir,
)


async def run(setup: Setup, crashes: int, db_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    papers, subs = make_data(setup, now)
    await prepare_db(db_path, subs)
    print(f"setup:             {len(subs)} subscriptions, {crashes} crash(es)")
    step = max(1, len(subs) // (crashes + 1))
    kills: list[tuple[int, int]] = []  # (messages received at the kill, in flight then)
    started = time.perf_counter()
    with servers(setup, papers) as s:
        env = bot_env(setup, db_path, s)
        log = db_path.with_name("bot.log")
        for n in range(crashes):
            bot = await Bot(env, log).start()
            target = len(s.telegram.sent) + step
            try:
                await s.telegram.wait_for_sent(target)
            finally:
                await bot.kill()
            at_kill = len(s.telegram.sent)
            recorded = read_ledger(db_path).messages_sent
            # Received but not recorded, less what earlier crashes left (resent since then).
            flying = at_kill - recorded - sum(f for _, f in kills)
            kills.append((at_kill, flying))
            print(
                f"crash {n + 1}:           SIGKILL after {at_kill} messages had arrived; "
                f"{flying} of them not yet recorded (in flight)",
                flush=True,
            )
        bot = await Bot(env, log).start()
        try:
            ledger = await wait_until_delivered(db_path, len(subs), bot)
            assert await bot.stop() == 0
        finally:
            if bot.running:
                await bot.kill()
        got = received(s.telegram)
    elapsed = time.perf_counter() - started
    duplicates = got.duplicates()
    repeated = sum(duplicates.values())
    lost = incomplete_digests(db_path, got)
    in_flight = sum(f for _, f in kills)
    print(f"digests:           {ledger.states['done']} sent, {ledger.states['skipped']} skipped "
          f"(nothing matched), {ledger.states['failed']} failed")  # fmt: skip
    print(
        f"digests lost:      {len(lost)} (target 0){': ' + ', '.join(lost[:10]) if lost else ''}"
    )
    print(
        f"duplicated:        {repeated} message(s) in {crashes} crash(es), "
        f"{repeated / crashes:.1f} per crash (target <= 1); in flight at the kills: {in_flight}"
    )
    print(
        f"most in one chat:  {max(duplicates.values(), default=0)} "
        "(the ledger's guarantee: at most 1 per digest and crash)"
    )
    print(f"messages:          {got.messages} in all, {got.throttled_text()}")
    print(f"wall time:         {elapsed:.1f} s")


def main(argv: Sequence[str] | None = None) -> None:
    p = parser("python -m benchmarks.crash", __doc__, 1000)
    p.add_argument("--crashes", type=int, default=1, help="SIGKILLs during the fan-out (1)")
    args = p.parse_args(argv)
    if args.crashes < 1:
        p.error("--crashes must be at least 1")
    with workdir() as db_path:
        asyncio.run(run(setup_from(args), args.crashes, db_path))


if __name__ == "__main__":
    main()
