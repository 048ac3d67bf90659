"""Ledger leases (issue #16, several instances on one database): a digest is claimed by one
instance at a time, on both engines; on PostgreSQL two instances claiming at once never get
the same row, and the rows of one that died are taken over once its lease has run out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.model.store import LeaseLost
from bot.model.summaries import Summary, SummaryKey
from storage import PostgresStore, SqliteStore
from storage.sqlite import LEASE
from tests.postgres import postgres_schema, require_postgres
from tests.storage.conftest import Engine, subscription

DAY = date(2026, 11, 24)
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


async def schedule(store: SqliteStore, chats: int, platform: str = "telegram") -> None:
    for n in range(chats):
        sub = subscription(f"{n:04d}", platform=platform, paused=False, active=True)
        await store.save_subscription(sub)
        await store.schedule_delivery(sub, DAY, "daily", T0 + timedelta(days=1))


async def open_as(engine: Engine, name: str, clock: Callable[[], datetime]) -> SqliteStore:
    if engine.name == "postgresql":
        return await PostgresStore.open(engine.url, clock=clock, instance=name)
    return await SqliteStore.open(engine.url, clock=clock, instance=name)


def summary_for(key: SummaryKey) -> Summary:
    return Summary(key, "abstract", "TL;DR.", "Body.", 10, 5, T0)


# --- both engines ---------------------------------------------------------------------------


async def test_a_claim_takes_the_pending_rows_of_the_platforms_asked_for(engine: Engine) -> None:
    clock = Clock()
    store = await open_as(engine, "one", clock)
    try:
        await schedule(store, 3, "telegram")
        await schedule(store, 2, "discord")
        [later] = [d for d in await store.pending_deliveries(T0) if d.chat_id == "0002"]
        await store.update_delivery(later, retry_at=T0 + timedelta(minutes=5))

        claimed = await store.claim_deliveries(T0, ["telegram"])

        assert [(d.platform, d.chat_id) for d in claimed] == [
            ("telegram", "0000"),
            ("telegram", "0001"),
        ]  # not discord's, not the one waiting to be retried
        rows = await engine.raw(
            "SELECT platform, chat_id, claimed_by, lease_until FROM deliveries "
            "ORDER BY platform, chat_id"
        )
        lease_end = (T0 + LEASE).isoformat()
        assert [r[2:] for r in rows] == [
            (None, None),
            (None, None),
            ("one", lease_end),
            ("one", lease_end),
            ("one", (T0 + LEASE).isoformat()),  # updated by this instance: its row now
        ]
        assert await store.claim_deliveries(T0, []) == []
    finally:
        await store.close()


async def test_a_clean_stop_hands_its_unfinished_rows_over_at_once(engine: Engine) -> None:
    clock = Clock()
    first = await open_as(engine, "first", clock)
    await schedule(first, 3)
    [done, *_] = await first.claim_deliveries(T0, ["telegram"])
    await first.update_delivery(done, state="done", messages_sent=2)
    await first.close()

    second = await open_as(engine, "second", clock)
    try:
        taken = await second.claim_deliveries(T0, ["telegram"])
        assert [d.chat_id for d in taken] == ["0001", "0002"]
        [(holder,)] = await engine.raw("SELECT claimed_by FROM deliveries WHERE state = 'done'")
        assert holder == "first"  # who sent it, for an operator
    finally:
        await second.close()


async def test_the_heartbeat_lists_each_instance_and_who_leads(engine: Engine) -> None:
    clock = Clock()
    store = await open_as(engine, "solo", clock)
    try:
        await store.heartbeat(leader=True)
        clock.advance(7)
        await store.heartbeat(leader=True)

        [me] = await store.instances(T0)
        assert (me.id, me.leader, me.last_seen, me.started_at) == ("solo", True, clock(), T0)
        assert me.pid > 0
        assert me.host
        assert await store.instances(clock.now + timedelta(seconds=1)) == []
    finally:
        await store.close()
    reopened = await open_as(engine, "next", clock)
    try:
        assert await reopened.instances(T0) == []  # a clean stop leaves the list
    finally:
        await reopened.close()


async def test_sqlite_resumes_at_once_whatever_an_earlier_process_held(db_path: Path) -> None:
    """One instance per SQLite file (storage/instance_lock.py): a process that starts after
    a crash need not wait for the dead one's leases."""
    clock = Clock()
    dead = await SqliteStore.open(db_path, clock=clock, instance="dead")
    await schedule(dead, 2)
    assert len(await dead.claim_deliveries(T0, ["telegram"])) == 2
    restarted = await SqliteStore.open(db_path, clock=clock, instance="restarted")
    try:
        assert len(await restarted.claim_deliveries(T0, ["telegram"])) == 2
    finally:
        await restarted.close()
        await dead.close()


# --- PostgreSQL: instances sharing one database ----------------------------------------------


@pytest.fixture
async def shared_url() -> AsyncIterator[str]:
    require_postgres()
    async with postgres_schema() as url:
        yield url


pg = pytest.mark.postgres


@pg
async def test_instances_claiming_at_once_never_get_the_same_row(shared_url: str) -> None:
    clock = Clock()
    stores = [
        await PostgresStore.open(shared_url, clock=clock, instance=f"i{n}") for n in range(3)
    ]
    try:
        await schedule(stores[0], 300)

        async def claim_all(store: PostgresStore) -> list[str]:
            got: list[str] = []
            while batch := await store.claim_deliveries(T0, ["telegram"], limit=7):
                for delivery in batch:  # "delivered" (a row claimed twice fails here)
                    await store.update_delivery(delivery, state="done", messages_sent=1)
                got += [d.chat_id for d in batch]
            return got

        # Every instance claims small batches and finishes them until nothing is left, all
        # at the same time (each has its own connections: the transactions overlap).
        shares = await asyncio.gather(*(claim_all(s) for s in stores))

        claimed = [chat for share in shares for chat in share]
        assert sorted(claimed) == [f"{n:04d}" for n in range(300)]  # each exactly once
        assert all(shares), f"an instance got nothing: {[len(s) for s in shares]}"
        holders = await stores[0]._fetchall(
            "SELECT claimed_by, COUNT(*) AS n FROM deliveries GROUP BY claimed_by"
        )
        assert {r["claimed_by"]: r["n"] for r in holders} == {
            f"i{n}": len(share) for n, share in enumerate(shares)
        }
    finally:
        for store in stores:
            await store.close()


@pg
async def test_a_dead_instances_rows_are_taken_over_once_its_lease_has_run_out(
    shared_url: str,
) -> None:
    clock = Clock()
    dead = await PostgresStore.open(shared_url, clock=clock, instance="dead")
    alive = await PostgresStore.open(shared_url, clock=clock, instance="alive")
    try:
        await schedule(dead, 2)
        first, _ = await dead.claim_deliveries(T0, ["telegram"])
        await dead.update_delivery(first, state="in_progress", messages_sent=3)
        # The instance dies here (no clean stop: its claims stay).

        clock.advance(LEASE.total_seconds() - 1)
        assert await alive.claim_deliveries(clock(), ["telegram"]) == []
        clock.advance(1)
        taken = await alive.claim_deliveries(clock(), ["telegram"])

        assert [(d.chat_id, d.state, d.messages_sent) for d in taken] == [
            ("0000", "in_progress", 3),  # resumed at the first unsent message
            ("0001", "due", 0),
        ]
        # A process that was only stalled (not dead) finds the row taken and stops.
        with pytest.raises(LeaseLost, match="held by alive"):
            await dead.update_delivery(first, messages_sent=4)
        await alive.update_delivery(taken[0], messages_sent=4)
        [(sent, holder)] = await alive._fetchall(
            "SELECT messages_sent, claimed_by FROM deliveries WHERE chat_id = '0000'"
        )
        assert (sent, holder) == (4, "alive")
    finally:
        await alive.close()
        await dead.close()


@pg
async def test_progress_and_heartbeats_keep_a_live_instances_rows(shared_url: str) -> None:
    clock = Clock()
    busy = await PostgresStore.open(shared_url, clock=clock, instance="busy")
    other = await PostgresStore.open(shared_url, clock=clock, instance="other")
    try:
        await schedule(busy, 2)
        sending, queued = await busy.claim_deliveries(T0, ["telegram"])
        for _ in range(4):  # a long fan-out: the queued row waits, the other progresses
            clock.advance(LEASE.total_seconds() / 2)
            await busy.heartbeat(leader=False)
            await busy.update_delivery(sending, messages_sent=1)
            assert await other.claim_deliveries(clock(), ["telegram"]) == []
        clock.advance(LEASE.total_seconds())  # then it dies: both rows go to the other
        assert len(await other.claim_deliveries(clock(), ["telegram"])) == 2
        assert queued.chat_id == "0001"
    finally:
        await other.close()
        await busy.close()


# --- summaries being made ----------------------------------------------------------------------


KEY = SummaryKey("2611.00001", 1, "fake-model", "en", "p1")


async def test_a_summary_is_claimed_once_and_saving_it_ends_the_claim(engine: Engine) -> None:
    clock = Clock()
    store = await open_as(engine, "maker", clock)
    try:
        assert await store.claim_summary(KEY, T0)
        assert await store.claim_summary(KEY, T0)  # still this instance's
        [(holder,)] = await engine.raw("SELECT claimed_by FROM summary_claims")
        assert holder == "maker"
        await store.save_summary(summary_for(KEY))
        assert await engine.raw("SELECT * FROM summary_claims") == []
        assert await store.claim_summary(KEY, T0)
        await store.release_summary(KEY)
        assert await engine.raw("SELECT * FROM summary_claims") == []
    finally:
        await store.close()


@pg
async def test_a_summary_claimed_by_one_instance_is_not_the_others(shared_url: str) -> None:
    clock = Clock()
    maker = await PostgresStore.open(shared_url, clock=clock, instance="maker")
    other = await PostgresStore.open(shared_url, clock=clock, instance="other")
    try:
        claims = await asyncio.gather(*(s.claim_summary(KEY, T0) for s in (maker, other) * 3))
        assert sorted(claims) == [False] * 3 + [True] * 3  # one instance got it, three times
        winner, loser = (maker, other) if claims[0] else (other, maker)
        assert not await loser.claim_summary(KEY, clock.advance(LEASE.total_seconds() - 1))
        await loser.release_summary(KEY)  # not its claim: nothing changes
        assert not await loser.claim_summary(KEY, clock())
        await winner.release_summary(KEY)
        assert await loser.claim_summary(KEY, clock())
        # An instance that dies holding a claim: it runs out with its lease.
        assert await winner.claim_summary(KEY, clock.advance(LEASE.total_seconds()))
        await loser.close()  # a clean stop gives up what it held, nothing of the others'
        third = await PostgresStore.open(shared_url, clock=clock, instance="third")
        try:
            assert not await third.claim_summary(KEY, clock())
            await winner.close()
            assert await third.claim_summary(KEY, clock())
        finally:
            await third.close()
    finally:
        await other.close()
        await maker.close()


async def test_unclaimed_deliveries_count_the_work_no_live_instance_holds(
    engine: Engine,
) -> None:
    clock = Clock()
    store = await open_as(engine, "me", clock)
    try:
        await schedule(store, 4)
        await schedule(store, 1, "discord")
        assert await store.unclaimed_deliveries(T0, ["telegram"]) == 4
        assert await store.unclaimed_deliveries(T0, ["telegram", "discord"]) == 5
        assert await store.unclaimed_deliveries(T0, []) == 0
        await store.claim_deliveries(T0, ["telegram"], limit=3)
        assert await store.unclaimed_deliveries(T0, ["telegram"]) == 1  # not its own
    finally:
        await store.close()


@pg
async def test_a_dead_instances_rows_count_as_unclaimed_once_its_lease_runs_out(
    shared_url: str,
) -> None:
    clock = Clock()
    dead = await PostgresStore.open(shared_url, clock=clock, instance="dead")
    alive = await PostgresStore.open(shared_url, clock=clock, instance="alive")
    try:
        await schedule(dead, 3)
        await dead.claim_deliveries(T0, ["telegram"], limit=2)
        assert await alive.unclaimed_deliveries(T0, ["telegram"]) == 1
        clock.advance(LEASE.total_seconds())
        assert await alive.unclaimed_deliveries(clock(), ["telegram"]) == 3
    finally:
        await alive.close()
        await dead.close()
