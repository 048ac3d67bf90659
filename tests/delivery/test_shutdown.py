"""``docker stop``: SIGTERM, then SIGKILL ten seconds later. ``arxiv-bot run`` must be gone
well before that, whatever it is waiting for (a hanging model, Telegram or arXiv down and
being retried), with exit code 0; and nothing is lost: the digest it was preparing goes out
after the restart."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.delivery.processes import BotProcess, bot_env, due_subscriptions
from tests.fakes.fake_arxiv import FakeArxivThread, FakePaper
from tests.fakes.fake_openai import FakeOpenAIThread
from tests.fakes.fake_telegram import FakeTelegram, FakeTelegramThread

WAIT = 30.0
STOP_BOUND = 8.0
"""Generous for the test machine; the bot aims at a few seconds (Docker waits ten)."""
CHATS = [7001, 7002, 7003]
USER = 7100
HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


def papers() -> list[FakePaper]:
    return [
        FakePaper(
            arxiv_id=f"2611.{n:05d}",
            title=f"Paper {n}: LLM serving at scale",
            abstract=f"We study LLM serving for paper {n}. More detail follows here.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
        )
        for n in range(1, 4)
    ]


async def stop_timed(bot: BotProcess) -> tuple[int, float]:
    started = time.monotonic()
    code = await bot.stop(WAIT)
    return code, time.monotonic() - started


def digests_arrived(tg: FakeTelegram) -> bool:
    return all(any(m.text.startswith("arXiv digest") for m in tg.sent_to(chat)) for chat in CHATS)


def ledger_states(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as db:
        return [row[0] for row in db.execute("SELECT state FROM deliveries")]


def assert_delivered_once(tg: FakeTelegram, db_path: Path) -> None:
    """Every digest arrived, no message twice, and the ledger has every message (stopped
    right after a digest's last message, it is not yet "done": the next start marks it)."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT chat_id, state, messages_sent FROM deliveries").fetchall()
    assert sorted(int(r[0]) for r in rows) == CHATS
    for chat_id, state, messages_sent in rows:
        texts = [m.text for m in tg.sent_to(int(chat_id)) if m.text.startswith("arXiv digest")]
        assert len(texts) == 1, chat_id
        digest = [m.text for m in tg.sent_to(int(chat_id))][-messages_sent:]
        assert len(digest) == len(set(digest)), f"{chat_id} got a message twice"
        assert digest[0].startswith("arXiv digest"), chat_id
        assert state in ("done", "in_progress"), chat_id


async def test_sigterm_while_the_model_hangs_stops_within_seconds_and_loses_no_digest(
    tmp_path: Path,
) -> None:
    """The model hangs: the digests leave on time with their extracts (#17), the planner and
    a member's /summarize wait on the model when SIGTERM comes; the bot is gone within
    seconds, and after the restart the digests are completed in place, nothing sent twice."""
    db_path = tmp_path / "data" / "bot.db"
    await due_subscriptions(db_path, [str(c) for c in CHATS], datetime.now(UTC))
    with (
        FakeTelegramThread() as tg,
        FakeArxivThread(papers()) as arxiv,
        FakeOpenAIThread() as llm,
    ):
        llm.hold()  # every model call hangs
        env = bot_env(
            db_path, tg, arxiv,
            OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=llm.base_url,
            ARXIV_BOT_DELIVERY_GRACE_HOURS="2",
        )  # fmt: skip
        first = await BotProcess(env, tmp_path / "first.log").start()
        second = BotProcess(env, tmp_path / "second.log")
        try:
            async with asyncio.timeout(WAIT):
                await tg.wait_for_call("getUpdates")
                await llm.wait_for_attempts(1)
                await tg.wait_until(lambda: digests_arrived(tg))  # on time, with extracts
                tg.send_text(USER, "/summarize 2611.00001")  # a member waits on the model too
                await tg.wait_for_sent(1, USER)  # "one moment..."
            code, seconds = await stop_timed(first)
            assert code == 0, first.log()
            assert seconds < STOP_BOUND, f"{seconds:.1f}s to stop\n{first.log()[-3000:]}"
            assert not tg.edits  # no summary was made yet
            sent_before = len(tg.sent)

            llm.release()
            await second.start()
            async with asyncio.timeout(WAIT):
                await tg.wait_until(lambda: {e.chat_id for e in tg.edits} >= set(CHATS))
            assert await second.stop(WAIT) == 0, second.log()
        finally:
            await first.ensure_stopped()
            await second.ensure_stopped()
    digests_after = [
        m for m in tg.sent[sent_before:] if m.chat_id in CHATS
    ]  # the completion edits; it sends nothing new to the chats
    assert digests_after == []
    assert_delivered_once(tg, db_path)
    assert "Traceback" not in first.log() + second.log()


async def test_sigterm_while_telegram_and_arxiv_are_down_stops_within_seconds(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "data" / "bot.db"
    await due_subscriptions(db_path, [str(c) for c in CHATS], datetime.now(UTC))
    with FakeTelegramThread() as tg, FakeArxivThread(papers()) as arxiv:
        # arXiv's own politeness: retries with a growing back-off (5 s, 10 s, ...).
        env = bot_env(
            db_path, tg, arxiv,
            ARXIV_BOT_ARXIV_RETRIES="4", ARXIV_BOT_ARXIV_RETRY_DELAY="5",
            ARXIV_BOT_DELIVERY_GRACE_HOURS="2",
        )  # fmt: skip
        tg.fail_next("sendMessage", 502, body=HTML_502, times=1000)
        arxiv.fail_next("api", *[503] * 50)
        first = await BotProcess(env, tmp_path / "first.log").start()
        second = BotProcess(env, tmp_path / "second.log")
        try:
            async with asyncio.timeout(WAIT):
                await tg.wait_for_call("getUpdates")
                # A member asks for a paper the bot has not seen: arXiv's API is retried.
                tg.send_text(USER, "/summarize 2611.09999")
                await tg.wait_until(lambda: arxiv.count("api") >= 1)
                # Every digest message is refused and retried with a back-off.
                await tg.wait_until(lambda: len(tg.rejections) >= len(CHATS))
            tg.fail_next("getUpdates", 502, body=HTML_502, times=1000)  # Telegram is down
            code, seconds = await stop_timed(first)
            assert code == 0, first.log()
            assert seconds < STOP_BOUND, f"{seconds:.1f}s to stop\n{first.log()[-3000:]}"

            tg.clear_failures()  # Telegram is back
            await second.start()
            async with asyncio.timeout(WAIT):
                await tg.wait_until(lambda: digests_arrived(tg))
            assert await second.stop(WAIT) == 0, second.log()
        finally:
            await first.ensure_stopped()
            await second.ensure_stopped()
    assert_delivered_once(tg, db_path)
