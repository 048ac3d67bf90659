"""Delivering: each subscription gets each announcement day's digest exactly once, at its own
local time, through restarts, crashes, failures of single chats and of the model."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.contract.messages import Paragraph, plain_text
from bot.delivery.service import RETRY_DELAY
from bot.text.excerpts import abstract_tldr
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    FRIDAY,
    PLATFORM,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    Clock,
    World,
    announce,
    announced,
    day_papers,
    paper,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI

WAIT = 10.0
"""Upper bound for anything a test waits for: a hang fails the test instead of CI."""

WIDE = ("cs.LG", "cs.AI", "cs.CL", "math.OC")
"""Categories in which ``LLM`` matches five papers a day: six-message digests."""


def complete(sender: RecordingSender, chat_id: str, key: str) -> list[int]:
    """The positions of ``key``'s messages that reached the chat, in arrival order; and
    checks that together they make the whole digest."""
    got = [s for s in sender.to(chat_id) if s.key == key]
    assert got, f"{chat_id} got no {key} digest"
    total = got[0].of
    assert {s.index for s in got} == set(range(total)), f"{chat_id} lost messages of {key}"
    return [s.index for s in got]


def exactly_once(sender: RecordingSender, chat_id: str, key: str) -> None:
    indexes = complete(sender, chat_id, key)
    assert sorted(indexes) == list(range(len(indexes))), f"{chat_id} got {key} twice"


# --- exactly once ---------------------------------------------------------------------------


async def test_one_digest_per_subscription_per_announcement_day_through_ticks_and_restarts(
    world: World,
) -> None:
    await world.subscribe(subscription("utc", at="08:00", categories=WIDE))
    await world.subscribe(subscription("berlin", at="09:00", tz="Europe/Berlin"))
    await world.subscribe(subscription("kolkata", at="07:15", tz="Asia/Kolkata"))
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "07:50"))
    await world.run_until(utc(TUESDAY, "08:20"), every=timedelta(minutes=1))
    await world.restart()
    await world.run_until(utc(TUESDAY, "23:59"))
    await world.restart()
    await world.tick()
    announce(world.arxiv, WEDNESDAY)
    await world.run_until(utc(WEDNESDAY, "12:00"), every=timedelta(minutes=3))
    await world.restart()
    await world.run_until(utc(WEDNESDAY, "18:00"))
    for chat in ("utc", "berlin", "kolkata"):
        assert world.sender.digests(chat) == {"daily:2026-11-24", "daily:2026-11-25"}
        for key in ("daily:2026-11-24", "daily:2026-11-25"):
            exactly_once(world.sender, chat, key)
    assert world.sender.attempts == Counter({"utc": 2, "berlin": 2, "kolkata": 2})
    assert len(world.sender.to("utc")) == 12  # six messages a day
    assert {(r["chat_id"], r["state"]) for r in world.ledger()} == {
        ("utc", "done"),
        ("berlin", "done"),
        ("kolkata", "done"),
    }
    assert [r["messages_sent"] for r in world.ledger() if r["chat_id"] == "utc"] == [6, 6]


async def test_each_subscription_gets_it_at_its_own_local_time(world: World) -> None:
    await world.subscribe(subscription("kolkata", at="08:00", tz="Asia/Kolkata"))  # 02:30 UTC
    await world.subscribe(subscription("berlin", at="09:00", tz="Europe/Berlin"))  # 08:00 UTC
    await world.subscribe(subscription("new_york", at="08:00", tz="America/New_York"))  # 13:00
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "02:29"))
    assert world.sender.chats() == set()
    await world.at(utc(TUESDAY, "02:30"))
    assert world.sender.chats() == {"kolkata"}
    await world.at(utc(TUESDAY, "07:59"))
    assert world.sender.chats() == {"kolkata"}
    await world.at(utc(TUESDAY, "08:00"))
    assert world.sender.chats() == {"kolkata", "berlin"}
    await world.at(utc(TUESDAY, "12:59", seconds=59))
    assert world.sender.chats() == {"kolkata", "berlin"}
    await world.at(utc(TUESDAY, "13:00"))
    assert world.sender.chats() == {"kolkata", "berlin", "new_york"}


async def test_delivery_times_follow_a_dst_change(
    db_path: Path, arxiv: FakeArxiv, sender: RecordingSender
) -> None:
    """Berlin springs forward on Sunday 28 March 2027: 08:00 is 07:00 UTC on Friday and
    06:00 UTC on Monday."""
    clock = Clock(datetime(2027, 3, 25, 12, 0, tzinfo=UTC))
    world = await World(db_path, arxiv, clock, sender).open()
    try:
        await world.subscribe(subscription("berlin", at="08:00", tz="Europe/Berlin"))
        friday, monday = date(2027, 3, 26), date(2027, 3, 29)
        announce(arxiv, friday)
        await world.at(announced(friday))
        await world.at(datetime(2027, 3, 26, 6, 59, tzinfo=UTC))
        assert sender.sent == []
        await world.at(datetime(2027, 3, 26, 7, 0, tzinfo=UTC))
        assert sender.digests("berlin") == {"daily:2027-03-26"}
        announce(arxiv, monday)
        await world.run_until(datetime(2027, 3, 29, 5, 59, tzinfo=UTC), timedelta(hours=1))
        assert sender.digests("berlin") == {"daily:2027-03-26"}
        await world.at(datetime(2027, 3, 29, 6, 0, tzinfo=UTC))
        assert sender.digests("berlin") == {"daily:2027-03-26", "daily:2027-03-29"}
    finally:
        await world.close()


# --- what is sent ---------------------------------------------------------------------------


async def test_paused_and_unsubscribed_chats_get_nothing(world: World) -> None:
    await world.subscribe(subscription("active"))
    await world.subscribe(subscription("paused", paused=True))
    await world.subscribe(subscription("gone"))
    await world.subscribe(subscription("late_pause"))
    await world.store.delete_subscription("test", "gone")
    await world.at(announced(TUESDAY))
    world.clock.set(utc(TUESDAY, "08:00"))
    await world.service.fetch()
    assert await world.service.schedule() == 2  # "active" and "late_pause"
    # Paused after its digest became due, before it was sent: it is not sent.
    await world.edit("late_pause", paused=True)
    await world.service.deliver()
    await world.run_until(utc(TUESDAY, "23:00"))
    assert world.sender.chats() == {"active"}
    assert world.row("late_pause", TUESDAY)["state"] == "skipped"
    assert world.row("late_pause", TUESDAY)["detail"] == "unsubscribed or paused"
    assert {r["chat_id"] for r in world.ledger()} == {"active", "late_pause"}


async def test_nothing_matched_is_skipped_quietly(world: World) -> None:
    await world.subscribe(subscription("quiet", keywords=("topology",)))
    await world.subscribe(subscription("loud", keywords=("LLM",)))
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "12:00"))
    assert world.sender.chats() == {"loud"}
    assert world.row("quiet", TUESDAY)["state"] == "skipped"
    assert world.row("quiet", TUESDAY)["detail"] == "nothing matched"
    assert world.service.counters.skipped == 1
    assert world.service.counters.delivered == 1


async def test_weekly_gets_one_digest_with_the_weeks_best(world: World) -> None:
    """Tuesday to Friday's announcements, scored together once, each paper once: a paper
    new on Wednesday and replaced (v2) on Thursday is one paper."""
    week = {
        TUESDAY: [
            paper(TUESDAY, 1, "Mixture of experts for LLM serving"),  # 3.0
            paper(TUESDAY, 2, "Graph LLM baselines"),  # 1.5
        ],
        WEDNESDAY: [
            paper(WEDNESDAY, 1, "Experts all the way down"),  # 1.5
            paper(WEDNESDAY, 2, "LLM pruning with experts"),  # 3.0, new
        ],
        THURSDAY: [
            paper(WEDNESDAY, 2, "LLM pruning with experts", version=2, replaced=True),
            paper(THURSDAY, 1, "LLM quantization"),  # 1.5
        ],
        FRIDAY: [
            paper(FRIDAY, 1, "Sparse experts meet LLM agents"),  # 3.0
            paper(FRIDAY, 2, "Unrelated topology"),  # no match
        ],
    }
    await world.subscribe(
        subscription(
            "weekly",
            keywords=("LLM", "experts"),
            at="09:00",
            frequency="weekly",
            weekday=4,  # Friday
            max_papers=4,
        )
    )
    await world.subscribe(subscription("daily", keywords=("LLM", "experts"), at="09:00"))
    for day, papers in week.items():
        announce(world.arxiv, day, papers)
        await world.run_until(utc(day, "12:00"), every=timedelta(hours=1))
    await world.run_until(utc(FRIDAY, "23:00"), every=timedelta(hours=1))
    assert world.sender.digests("weekly") == {"weekly:2026-11-27"}
    assert world.sender.attempts["weekly"] == 1
    shown = [p for s in world.sender.to("weekly") for p in s.papers]
    ids = [p.split("v")[0] for p in shown]
    assert len(ids) == len(set(ids)), f"a paper twice: {shown}"
    assert set(ids) == {"2611.02401", "2611.02502", "2611.02701", "2611.02402"}
    assert "2611.02502v2" in shown  # the latest version, once
    header = world.sender.to("weekly")[0].blocks[0]
    assert isinstance(header, Paragraph)
    assert plain_text(header.inlines).startswith("arXiv weekly digest · Fri 27 Nov 2026")
    # The daily subscriber got four digests in the meantime.
    assert len(world.sender.digests("daily")) == 4


async def test_weekly_digests_do_not_repeat_last_weeks_papers(world: World) -> None:
    await world.subscribe(
        subscription(
            "weekly", at="09:00", frequency="weekly", weekday=1, categories=WIDE, max_papers=20
        )
    )
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "09:00"))
    first = {p for s in world.sender.to("weekly") for p in s.papers}
    assert len(first) == 5
    next_tuesday = TUESDAY + timedelta(days=7)
    for day in (WEDNESDAY, THURSDAY, next_tuesday):
        announce(world.arxiv, day)
        await world.at(announced(day))
    await world.at(utc(next_tuesday, "09:00"))
    assert world.sender.digests("weekly") == {"weekly:2026-11-24", "weekly:2026-12-01"}
    second = {
        p for s in world.sender.to("weekly") if s.key == "weekly:2026-12-01" for p in s.papers
    }
    assert len(second) == 15
    assert not first & second
    assert {p[6:8] for p in second} == {"25", "26", "01"}  # Wednesday, Thursday, 1 Dec


# --- restarts and the grace period ----------------------------------------------------------


async def test_restart_within_the_grace_period_catches_up(world: World) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    await world.subscribe(subscription("b", at="08:00", tz="Asia/Kolkata"))  # 02:30 UTC
    await world.at(announced(TUESDAY))
    # The bot is down from 01:05 to 17:00: both were due meanwhile.
    world.clock.set(utc(TUESDAY, "17:00"))
    await world.restart()
    await world.tick()
    assert world.sender.digests("a") == {"daily:2026-11-24"}
    # Kolkata's day ends at 18:30 UTC: still the same day there.
    assert world.sender.digests("b") == {"daily:2026-11-24"}


async def test_a_digest_missed_beyond_the_grace_period_is_skipped_and_never_sent(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    await world.subscribe(subscription("kolkata", at="08:00", tz="Asia/Kolkata"))
    await world.at(announced(TUESDAY))
    # Down from Tuesday 01:05 until Tuesday 19:00: Kolkata's Tuesday is over (18:30 UTC).
    world.clock.set(utc(TUESDAY, "19:00"))
    await world.restart()
    caplog.set_level(logging.INFO, logger="bot.delivery.service")
    await world.tick()
    assert world.sender.digests("a") == {"daily:2026-11-24"}
    assert world.sender.digests("kolkata") == set()
    assert "skipping the 2026-11-24 digest of test:kolkata" in caplog.text
    assert "missed beyond the grace period" in caplog.text
    assert world.row("kolkata", TUESDAY)["state"] == "skipped"
    await world.run_until(utc(TUESDAY, "23:59"))
    assert world.sender.digests("kolkata") == set()
    # Its next digest comes as usual.
    announce(world.arxiv, WEDNESDAY)
    await world.run_until(utc(WEDNESDAY, "03:00"))
    assert world.sender.digests("kolkata") == {"daily:2026-11-25"}


async def test_after_a_long_outage_todays_digest_still_goes_out_on_time(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Down from Tuesday 01:05 to Wednesday 06:00: Tuesday's 08:00 digest is lost (beyond
    the grace period), but Wednesday's announcement (01:00 UTC) is not the missed one: it
    goes out at Wednesday 08:00."""
    await world.subscribe(subscription("a", at="08:00"))
    await world.at(announced(TUESDAY))
    announce(world.arxiv, WEDNESDAY)
    world.clock.set(utc(WEDNESDAY, "06:00"))
    await world.restart()
    caplog.set_level(logging.INFO, logger="bot.delivery.service")
    await world.tick()  # fetches Wednesday's batch, then finds the missed digest
    assert "missed beyond the grace period" in caplog.text
    assert world.sender.sent == []
    await world.run_until(utc(WEDNESDAY, "09:00"))
    assert world.sender.digests("a") == {"daily:2026-11-25"}
    assert world.row("a", WEDNESDAY)["state"] == "done"


async def test_a_configured_grace_period_in_hours(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    world = await World(
        db_path, arxiv, clock, sender, config=settings(delivery_grace_hours=2)
    ).open()
    try:
        await world.subscribe(subscription("in_time", at="08:00"))
        await world.subscribe(subscription("too_late", at="07:58"))
        await world.at(announced(TUESDAY))
        world.clock.set(utc(TUESDAY, "09:59"))  # down from 01:05 to 09:59
        await world.restart()
        await world.tick()
        assert sender.chats() == {"in_time"}
        assert world.row("too_late", TUESDAY)["state"] == "skipped"
        await world.run_until(utc(TUESDAY, "23:00"))
        assert sender.chats() == {"in_time"}
    finally:
        await world.close()


# --- crashes ---------------------------------------------------------------------------------


async def test_a_crash_mid_fan_out_resumes_at_the_first_unsent_message(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    world = await World(db_path, arxiv, clock, sender, parallel=1).open()
    try:
        for chat in ("a", "b", "c"):
            await world.subscribe(subscription(chat, categories=WIDE))
        await world.at(announced(TUESDAY))
        # Six messages each. The ninth message is delivered, then the process dies before
        # recording it: the first digest is done, the second has two messages recorded.
        sender.crash_after(8)
        world.clock.set(utc(TUESDAY, "08:00"))
        fan_out = asyncio.create_task(world.tick())
        async with asyncio.timeout(WAIT):
            await sender.crashed.wait()
        fan_out.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fan_out
        assert len(sender.sent) == 9
        states = sorted((r["state"], r["messages_sent"]) for r in world.ledger())
        assert states == [("done", 6), ("due", 0), ("in_progress", 2)]

        sender.revive()
        world.clock.set(utc(TUESDAY, "08:03"))
        await world.restart()
        await world.tick()
        for chat in ("a", "b", "c"):
            complete(sender, chat, "daily:2026-11-24")
        assert len(sender.sent) == 18 + 1
        assert sender.duplicates() == 1  # the message in flight at the crash
        crashed = next(r["chat_id"] for r in world.ledger() if sender.attempts[r["chat_id"]] == 2)
        assert [s.index for s in sender.to(crashed)] == [0, 1, 2, 2, 3, 4, 5]
        assert [s.skip for s in sender.to(crashed)][3:] == [2, 2, 2, 2]
        assert {(r["state"], r["messages_sent"]) for r in world.ledger()} == {("done", 6)}
    finally:
        await world.close()


async def test_a_clean_stop_finishes_the_messages_in_flight_and_resends_nothing(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    """What ``arxiv-bot run`` does on SIGTERM: no new message starts, the ones in flight are
    recorded, and the restart continues exactly where the ledger says."""
    world = await World(db_path, arxiv, clock, sender, parallel=2).open()
    try:
        for chat in ("a", "b", "c", "d"):
            await world.subscribe(subscription(chat, categories=WIDE))
        await world.at(announced(TUESDAY))
        gate = sender.block("a", answer=True)
        world.clock.set(utc(TUESDAY, "08:00"))
        fan_out = asyncio.create_task(world.tick())
        async with asyncio.timeout(WAIT):
            await sender.entered.wait()  # "a"'s first message is out, not yet answered
            # stop() starts (it sets its flag, then waits) before "a" goes on: tasks run in
            # the order they became ready.
            stopping = asyncio.create_task(world.service.stop())
            gate.set()
            await stopping
        assert fan_out.done()
        assert not fan_out.cancelled()
        assert [s.index for s in sender.to("a")] == [0]
        recorded = {r["chat_id"]: r["messages_sent"] for r in world.ledger()}
        assert recorded == {c: len(sender.to(c)) for c in ("a", "b", "c", "d")}
        assert sum(recorded.values()) < 4 * 6
        await world.tick()  # a stopped service starts no new round
        assert sum(recorded.values()) == len(sender.sent)

        sender.unblock("a")
        await world.restart()
        await world.at(utc(TUESDAY, "08:01"))
        for chat in ("a", "b", "c", "d"):
            exactly_once(sender, chat, "daily:2026-11-24")
    finally:
        await world.close()


async def test_a_stop_starts_no_new_message_and_does_not_wait_for_a_slow_platform(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    """A message still waiting for its turn (a platform's pause, a retry back-off) when the
    bot stops is not sent: the round ends at once and the restart sends it."""
    world = await World(db_path, arxiv, clock, sender).open()
    try:
        await world.subscribe(subscription("a", categories=WIDE))
        await world.at(announced(TUESDAY))
        sender.block("a")  # never released: the platform would keep the bot waiting
        world.clock.set(utc(TUESDAY, "08:00"))
        fan_out = asyncio.create_task(world.tick())
        async with asyncio.timeout(WAIT):
            await sender.entered.wait()
            await world.service.stop()
        assert fan_out.done()
        assert sender.to("a") == []
        assert [(r["state"], r["messages_sent"]) for r in world.ledger()] == [("in_progress", 0)]

        sender.unblock("a")
        await world.restart()
        await world.at(utc(TUESDAY, "08:01"))
        exactly_once(sender, "a", "daily:2026-11-24")
    finally:
        await world.close()


# --- per-chat failures ------------------------------------------------------------------------


async def test_a_blocked_chat_fails_with_its_reason_and_is_never_retried(world: World) -> None:
    for chat in ("a", "blocked", "c"):
        await world.subscribe(subscription(chat, categories=WIDE))
    world.sender.fail("blocked", "gone", at=0)
    world.sender.fail("blocked", "gone", at=0)  # it would fail again, if ever retried
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "08:00"))
    await world.run_until(utc(TUESDAY, "23:00"))
    assert world.sender.chats() == {"a", "c"}
    assert world.sender.attempts["blocked"] == 1
    row = world.row("blocked", TUESDAY)
    assert row["state"] == "failed"
    assert row["detail"] == "gone: gone (test platform)"
    assert world.service.counters.failures_by_reason == {"gone": 1}
    failures = await world.store.delivery_failures(TUESDAY)
    assert [(f.chat_id, f.detail) for f in failures] == [("blocked", row["detail"])]


async def test_a_rejected_digest_fails_and_is_not_retried(world: World) -> None:
    await world.subscribe(subscription("a", categories=WIDE))
    world.sender.fail("a", "rejected", at=3)
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "12:00"))
    assert world.sender.attempts["a"] == 1
    assert [s.index for s in world.sender.to("a")] == [0, 1, 2]
    assert world.row("a", TUESDAY)["state"] == "failed"
    assert world.row("a", TUESDAY)["messages_sent"] == 3


async def test_rate_limited_and_transient_failures_resume_at_retry_at(world: World) -> None:
    await world.subscribe(subscription("a", categories=WIDE))
    await world.subscribe(subscription("b", categories=WIDE))
    world.sender.fail("a", "rate_limited", at=2, retry_after=120)
    world.sender.fail("a", "transient", at=4)  # fails again on the retry, further on
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "08:00"))
    assert [s.index for s in world.sender.to("a")] == [0, 1]
    row = world.row("a", TUESDAY)
    assert (row["state"], row["messages_sent"]) == ("in_progress", 2)
    assert row["retry_at"] == utc(TUESDAY, "08:02").isoformat()
    assert row["detail"] == "rate_limited: rate_limited (test platform)"
    exactly_once(world.sender, "b", "daily:2026-11-24")  # not held up
    await world.at(utc(TUESDAY, "08:01", seconds=59))
    assert world.sender.attempts["a"] == 1
    await world.at(utc(TUESDAY, "08:02"))  # resumes at message 2, fails at 4
    assert [s.index for s in world.sender.to("a")] == [0, 1, 2, 3]
    row = world.row("a", TUESDAY)
    assert (row["state"], row["messages_sent"]) == ("in_progress", 4)
    retry = utc(TUESDAY, "08:02") + RETRY_DELAY
    assert row["retry_at"] == retry.isoformat()
    await world.at(retry - timedelta(seconds=1))
    assert world.sender.attempts["a"] == 2
    await world.at(retry)
    exactly_once(world.sender, "a", "daily:2026-11-24")
    assert world.row("a", TUESDAY)["state"] == "done"
    assert world.sender.attempts["a"] == 3


async def test_an_uncertain_message_is_not_sent_again(world: World) -> None:
    await world.subscribe(subscription("a", categories=WIDE))
    world.sender.fail("a", "uncertain", at=1)
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "08:00"))
    assert [s.index for s in world.sender.to("a")] == [0, 1]  # 1 arrived; no answer came
    row = world.row("a", TUESDAY)
    assert (row["state"], row["messages_sent"]) == ("in_progress", 2)
    await world.run_until(utc(TUESDAY, "09:00"))
    exactly_once(world.sender, "a", "daily:2026-11-24")
    assert world.sender.to("a")[2].skip == 2


async def test_a_slow_chat_does_not_stall_the_fan_out_and_rounds_never_overlap(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    world = await World(db_path, arxiv, clock, sender, parallel=2).open()
    try:
        chats = ["slow", "a", "b", "c", "d"]
        for chat in chats:
            await world.subscribe(subscription(chat))
        gate = sender.block("slow")
        await world.at(announced(TUESDAY))
        world.clock.set(utc(TUESDAY, "08:00"))
        fan_out = asyncio.create_task(world.tick())
        async with asyncio.timeout(WAIT):
            await sender.entered.wait()
            await sender.wait_until(lambda: sender.chats() == {"a", "b", "c", "d"})
        # Another round while this one runs does nothing (it would send "slow" twice).
        world.clock.set(utc(TUESDAY, "08:01"))
        await world.tick()
        gate.set()
        async with asyncio.timeout(WAIT):
            await fan_out
        await world.at(utc(TUESDAY, "08:02"))
        for chat in chats:
            exactly_once(sender, chat, "daily:2026-11-24")
        assert sender.attempts["slow"] == 1
    finally:
        await world.close()


# --- summaries ------------------------------------------------------------------------------


async def open_with_llm(
    db_path: Path,
    arxiv: FakeArxiv,
    clock: Clock,
    sender: RecordingSender,
    llm: FakeOpenAI,
    deadline: float = 5.0,
) -> World:
    config = settings(summary_deadline=deadline, summary_workers=4)
    return await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()


def tldrs(sender: RecordingSender, chat_id: str) -> dict[str, str]:
    return {c.arxiv_id: c.tldr for s in sender.to(chat_id) for c in s.cards}


ABSTRACT_TLDRS = {f"{p.arxiv_id}v1": abstract_tldr(p.abstract) for p in day_papers(TUESDAY)}


async def test_an_llm_outage_does_not_hold_the_digest_back(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    world = await open_with_llm(db_path, arxiv, clock, sender, llm)
    try:
        await world.subscribe(subscription("a", categories=WIDE))
        await world.at(announced(TUESDAY))
        llm.fail_next(*[500] * 5)
        await world.at(utc(TUESDAY, "08:00"))
        exactly_once(sender, "a", "daily:2026-11-24")
        shown = tldrs(sender, "a")
        assert len(shown) == 5
        assert shown == {vid: ABSTRACT_TLDRS[vid] for vid in shown}
        assert llm.attempts == 5
        assert len(await world.store.due_summary_failures(utc(FRIDAY))) == 5
    finally:
        await world.close()


@pytest.mark.parametrize("mode", ["html", "empty", "no_choices", "null_content"])
async def test_a_model_answer_that_is_not_a_completion_does_not_hold_the_digest_back(
    db_path: Path,
    arxiv: FakeArxiv,
    clock: Clock,
    sender: RecordingSender,
    llm: FakeOpenAI,
    mode: str,
) -> None:
    world = await open_with_llm(db_path, arxiv, clock, sender, llm)
    try:
        await world.subscribe(subscription("a", categories=WIDE))
        await world.at(announced(TUESDAY))
        llm.malformed = mode
        await world.at(utc(TUESDAY, "08:00"))
        exactly_once(sender, "a", "daily:2026-11-24")
        shown = tldrs(sender, "a")
        assert len(shown) == 5
        assert shown == {vid: ABSTRACT_TLDRS[vid] for vid in shown}
        assert len(await world.store.due_summary_failures(utc(FRIDAY))) == 5
    finally:
        await world.close()


async def test_a_slow_model_does_not_hold_the_digest_beyond_the_deadline(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    world = await open_with_llm(db_path, arxiv, clock, sender, llm, deadline=0.2)
    try:
        await world.subscribe(subscription("a", categories=WIDE))
        await world.at(announced(TUESDAY))
        llm.hold()
        await world.at(utc(TUESDAY, "08:00"))  # returns once the deadline has passed
        exactly_once(sender, "a", "daily:2026-11-24")
        shown = tldrs(sender, "a")
        assert shown == {vid: ABSTRACT_TLDRS[vid] for vid in shown}
        assert llm.calls == []
        # The summaries still get made (once each), for the "Summary" button.
        llm.release()
        batch = await world.store.latest_batch()
        assert batch is not None
        papers = {p.versioned_id: p for p in await world.store.batch_papers(batch)}
        async with asyncio.timeout(WAIT):
            made = [await world.summarizer.summary(papers[vid], "en") for vid in shown]
        assert all(s.source == "abstract" and s.key.model == "fake-model" for s in made)
        assert len(llm.calls) == 5
    finally:
        await world.close()


async def test_each_paper_is_summarized_once_per_language_across_all_digests(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    world = await open_with_llm(db_path, arxiv, clock, sender, llm)
    try:
        await world.subscribe(subscription("en_wide", categories=WIDE))  # 5 papers
        await world.subscribe(subscription("en_lg", at="08:00"))  # 2 of the same
        await world.subscribe(subscription("en_late", at="10:00", categories=("cs.AI",)))
        await world.subscribe(subscription("de", at="09:00", language="de"))
        await world.subscribe(
            subscription("experts", at="08:00", keywords=("experts",), language="de")
        )
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))
        await world.restart()  # the cache outlives the process
        await world.run_until(utc(TUESDAY, "12:00"))
        assert len(sender.chats()) == 5
        shown = {
            (c.arxiv_id, lang)
            for chat, lang in (
                ("en_wide", "en"),
                ("en_lg", "en"),
                ("en_late", "en"),
                ("de", "de"),
                ("experts", "de"),
            )
            for s in sender.to(chat)
            for c in s.cards
        }
        assert len(shown) == 5 + 2 + 1
        assert len(llm.calls) == len(shown)
        usage = await world.store.llm_usage(TUESDAY)
        assert usage.calls == len(shown)
        # Every card carries the model's TL;DR, not the abstract's.
        for chat in sender.chats():
            assert all(t not in ABSTRACT_TLDRS.values() for t in tldrs(sender, chat).values())
    finally:
        await world.close()


async def test_at_most_one_message_is_in_flight_across_a_concurrent_fan_out(world: World) -> None:
    # Digests are prepared and paced in parallel, but a message is only "in flight" between
    # leaving and being recorded: the gate keeps that to one, so a crash duplicates at most one.
    for n in range(12):
        await world.subscribe(subscription(f"chat{n}", at="08:00", categories=WIDE))
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "08:10"), every=timedelta(minutes=5))
    assert len({s.chat.chat_id for s in world.sender.sent}) == 12
    assert world.sender.max_in_flight == 1


async def test_a_subscription_saved_before_schedules_existed_gets_one_and_its_digest(
    world: World,
) -> None:
    # Rows from a database older than migration 4 have no next due time: the first round
    # gives them one instead of leaving them undelivered forever.
    await world.store.save_subscription(subscription("old", at="08:00"))
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "07:50"))
    stored = await world.store.get_subscription(PLATFORM, "old")
    assert stored is not None
    assert stored.next_due_at == utc(TUESDAY, "08:00")
    assert world.sender.to("old") == []
    await world.run_until(utc(TUESDAY, "08:20"), every=timedelta(minutes=5))
    assert world.sender.digests("old") == {"daily:2026-11-24"}


async def test_a_digest_queued_just_before_local_midnight_survives_retries_past_it(
    world: World,
) -> None:
    # The grace period is for digests missed while the bot was down; one queued on time at
    # 23:50 that meets a rate limit still goes out after midnight.
    await world.subscribe(subscription("late", at="23:50", categories=WIDE))
    world.sender.fail("late", "rate_limited", at=0, retry_after=20 * 60)
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "23:50"))
    assert world.row("late", TUESDAY)["state"] in ("due", "in_progress")
    assert world.sender.to("late") == []
    await world.at(utc(WEDNESDAY, "00:10"))
    exactly_once(world.sender, "late", "daily:2026-11-24")
    assert world.row("late", TUESDAY)["state"] == "done"


async def test_a_resumed_digest_is_rendered_as_it_was_when_its_first_message_left(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    """Summaries that arrive between a failure and its retry must not change a digest half
    sent: a longer card would shift every later message, and skipping the messages already
    sent would then skip (or repeat) the wrong ones. The retry renders what was shown."""
    world = await World(db_path, arxiv, clock, sender, llm=llm).open()
    try:
        await world.subscribe(subscription("a", categories=WIDE))
        llm.fail_next(*[500] * 200)  # the model is down when the digest first goes out
        sender.fail("a", "transient", at=1)
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))
        first = sender.to("a")
        assert [s.index for s in first] == [0]
        assert world.row("a", TUESDAY)["state"] == "in_progress"

        llm.reset()  # the model is back: the retry could now show summaries
        await world.at(utc(TUESDAY, "08:00") + RETRY_DELAY)

        exactly_once(sender, "a", "daily:2026-11-24")
        sent = sender.to("a")
        assert all(s.reply == first[0].reply for s in sent)  # one rendering, start to end
        assert all(s.of == first[0].of for s in sent)
        assert world.row("a", TUESDAY)["state"] == "done"
    finally:
        await world.close()


async def test_one_round_sends_a_whole_fan_out_a_share_at_a_time(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    alone = await World(db_path, arxiv, clock, sender, claim_batch=2).open()
    try:
        for n in range(5):
            await alone.subscribe(subscription(f"chat-{n}", categories=WIDE))
        await alone.at(announced(TUESDAY))
        await alone.at(utc(TUESDAY, "08:00"))
        assert alone.service.counters.delivered == 5
        assert alone.service.claimed == 1  # the last share was not full: the round ended
    finally:
        await alone.close()
