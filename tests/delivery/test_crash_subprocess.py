"""A real crash: ``arxiv-bot run`` killed with SIGKILL in the middle of a fan-out, then
started again on the same database. No digest is lost, and only a message in flight at the
kill can arrive twice."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from storage import SqliteStore
from tests.delivery.process_day import CHATS, all_arrived, papers, subscribe_due
from tests.delivery.processes import BotProcess, bot_env
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.fakes.fake_telegram import FakeTelegram, FakeTelegramThread

WAIT = 30.0


async def prepare(db_path: Path, now: datetime) -> None:
    store = await SqliteStore.open(db_path)
    try:
        await subscribe_due(store, now)
    finally:
        await store.close()


def outcome(tg: FakeTelegram, db_path: Path) -> tuple[Counter[int], dict[int, list[str]]]:
    """Duplicated messages per chat, and the distinct texts each chat received; checks the
    ledger agrees: every digest recorded with exactly the messages that arrived."""
    texts: dict[int, list[str]] = {}
    for message in tg.sent:
        texts.setdefault(message.chat_id, []).append(message.text)
    duplicated = Counter({chat: len(got) - len(set(got)) for chat, got in texts.items()})
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT chat_id, state, messages_sent FROM deliveries").fetchall()
    assert sorted(int(r[0]) for r in rows) == CHATS
    for chat_id, state, messages_sent in rows:
        distinct = set(texts[int(chat_id)])
        assert messages_sent == len(distinct), chat_id
        # Stopped (SIGTERM) right after a digest's last message, the ledger has it all but
        # not yet "done": the next start marks it so, sending nothing.
        assert state in ("done", "in_progress"), chat_id
        assert messages_sent >= 2  # multi-message digests
    return duplicated, {chat: list(dict.fromkeys(got)) for chat, got in texts.items()}


async def run_and_interrupt(
    tmp_path: Path, interrupt: str
) -> tuple[FakeTelegram, list[str], Path, int, str]:
    """Start ``arxiv-bot run`` on thirty due digests, interrupt it (``kill`` or ``stop``)
    after twenty messages, start it again and wait for every digest to arrive."""
    db_path = tmp_path / "data" / "bot.db"
    await prepare(db_path, datetime.now(UTC))
    with FakeTelegramThread() as tg, FakeArxivThread(papers()) as arxiv:
        # The grace period in hours keeps the test independent of the time of day it runs.
        env = bot_env(db_path, tg, arxiv, ARXIV_BOT_DELIVERY_GRACE_HOURS="2")
        first = await BotProcess(env, tmp_path / "first.log").start()
        second = BotProcess(env, tmp_path / "second.log")
        try:
            async with asyncio.timeout(WAIT):
                await tg.wait_for_sent(20)
            if interrupt == "kill":
                await first.kill()
            else:
                assert await first.stop() == 0, first.log()
            before = [f"{m.chat_id}\n{m.text}" for m in tg.sent]
            assert not all_arrived(tg), "the fan-out finished before the interruption"
            ledger = sqlite3.connect(db_path)
            recorded = ledger.execute("SELECT SUM(messages_sent) FROM deliveries").fetchone()[0]
            ledger.close()

            await second.start()
            async with asyncio.timeout(WAIT):
                await tg.wait_until(lambda: all_arrived(tg))
            assert await second.stop() == 0, second.log()  # records the last message too
        finally:
            await first.ensure_stopped()
            await second.ensure_stopped()
    logs = first.log() + second.log()
    return tg, before, db_path, recorded, logs


async def test_sigkill_mid_fan_out_loses_no_digest_and_repeats_only_messages_in_flight(
    tmp_path: Path,
) -> None:
    tg, before, db_path, recorded, logs = await run_and_interrupt(tmp_path, "kill")
    duplicated, _ = outcome(tg, db_path)  # no digest lost: all done, every message there
    assert "Traceback" not in logs
    report = f"{len(before)} sent before the kill, {recorded} recorded; duplicated {duplicated}"
    # Only a message in flight at the kill (sent, not yet recorded) is sent again: at most
    # one per digest, and it is that digest's last message before the kill.
    assert all(n <= 1 for n in duplicated.values()), report
    assert sum(duplicated.values()) == len(before) - recorded, report
    last_before = {}
    for entry in before:
        chat, text = entry.split("\n", 1)
        last_before[int(chat)] = text
    for chat, n in duplicated.items():
        if n:
            repeated = [m.text for m in tg.sent_to(chat)]
            assert repeated.count(last_before[chat]) == 2, (chat, report)


async def test_sigterm_mid_fan_out_stops_cleanly_and_resends_nothing(tmp_path: Path) -> None:
    tg, before, db_path, recorded, logs = await run_and_interrupt(tmp_path, "stop")
    assert recorded == len(before)  # every message that went out is in the ledger
    duplicated, _ = outcome(tg, db_path)
    assert sum(duplicated.values()) == 0
    assert "Traceback" not in logs
