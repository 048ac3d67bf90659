"""The platforms' rate limits kept in PostgreSQL (storage/postgres.py, for adapters/pacing.py):
instances asking for turns at once get one each in turn, whoever sends, and the limits hold
for them all. Moments are given (``now``) so that nothing depends on the test's speed."""

from __future__ import annotations

import asyncio

import pytest

from adapters.pacing import SharedSlots
from storage import PostgresStore, SqliteStore
from storage.postgres import TURN_TOLERANCE
from tests.storage.conftest import Engine

pytestmark = pytest.mark.postgres

NOW = 1_800_000_000.0
SPACING = 1.03 / 30
EPOCH_ULP = 1e-6
"""Moments are seconds since the epoch in doubles: a few tenths of a microsecond apart."""


async def test_of_instances_asking_at_once_one_takes_the_turn(
    instances: list[PostgresStore],
) -> None:
    answers = await asyncio.gather(
        *(s.take_slot("telegram:all", SPACING, NOW) for s in instances for _ in range(10))
    )
    assert answers.count(None) == 1  # taken once; the others wait for it to free
    waits = sorted(a for a in answers if a is not None)
    assert waits == pytest.approx([SPACING] * 29, abs=EPOCH_ULP)
    # The turn counts from when it was taken: free again one spacing later, not before.
    assert await instances[1].take_slot("telegram:all", SPACING, NOW + SPACING / 2) == (
        pytest.approx(SPACING / 2, abs=EPOCH_ULP)
    )
    assert await instances[1].take_slot("telegram:all", SPACING, NOW + SPACING) is None
    # Taken a little after it freed (a round trip, a wake-up): it counts from when it freed.
    slightly = NOW + 2 * SPACING + TURN_TOLERANCE / 2
    assert await instances[0].take_slot("telegram:all", SPACING, slightly) is None
    assert await instances[1].take_slot("telegram:all", SPACING, NOW + 3 * SPACING) is None
    late = NOW + 10 * SPACING  # a late taker: the next turn counts from it (less the tolerance)
    assert await instances[2].take_slot("telegram:all", SPACING, late) is None
    assert await instances[0].take_slot("telegram:all", SPACING, late + SPACING / 2) == (
        pytest.approx(SPACING / 2 - TURN_TOLERANCE, abs=EPOCH_ULP)
    )
    assert await instances[0].take_slot("telegram:chat:7", 1.25, NOW) is None  # its own


async def test_taking_turns_in_a_loop_spaces_every_send(instances: list[PostgresStore]) -> None:
    """Three instances, each taking turns as SharedWindow does (waiting what it is told):
    the turns they get are a spacing apart, whoever takes them."""
    taken: list[float] = []
    clock = [NOW]  # one clock for all, as the server's is

    async def sender(store: PostgresStore) -> None:
        for _ in range(10):
            while True:
                now = clock[0]
                wait = await store.take_slot("telegram:all", SPACING, now)
                if wait is None:
                    taken.append(now)
                    break
                clock[0] = max(clock[0], now + wait)  # time passes while it waits

    await asyncio.gather(*(sender(s) for s in instances))
    taken.sort()
    assert len(taken) == 30
    # Any run of turns spans its spacings, less at most the tolerance of one late turn.
    for run in (2, 10, 30):
        spans = [b - a for a, b in zip(taken, taken[run - 1 :], strict=False)]
        assert min(spans) >= (run - 1) * SPACING - TURN_TOLERANCE - EPOCH_ULP


async def test_several_a_period_keep_at_most_that_many_in_any_period(
    instances: list[PostgresStore],
) -> None:
    waits = await asyncio.gather(
        *(s.reserve_slot("telegram:group:-5", 20, 60.0, NOW) for s in instances for _ in range(15))
    )
    assert sorted(waits) == [0.0] * 20 + [60.0] * 20 + [120.0] * 5
    assert await instances[0].peek_slot("telegram:group:-5", 20, 60.0, NOW + 200) == 0.0
    assert await instances[0].peek_slot("telegram:group:-5", 20, 60.0, NOW) == 120.0


async def test_a_pause_holds_every_instance_and_a_peek_takes_nothing(
    instances: list[PostgresStore],
) -> None:
    first, second, _ = instances
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == 0.0  # nothing yet
    await first.pause_slots("telegram:all", 5.0, NOW)
    await first.pause_slots("telegram:all", 2.0, NOW)  # a shorter pause shortens nothing
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == 5.0
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == 5.0
    assert await second.take_slot("telegram:all", 0.1, NOW + 1) == 4.0
    assert await second.take_slot("telegram:all", 0.1, NOW + 5) is None
    await first.pause_slots("discord:channel:9", 3.0, NOW)
    assert await second.reserve_slot("discord:channel:9", 5, 5.0, NOW) == 3.0


async def test_the_servers_clock_by_default(instances: list[PostgresStore]) -> None:
    first, second, _ = instances
    assert await first.take_slot("telegram:all", 30.0) is None
    wait = await second.take_slot("telegram:all", 30.0)
    assert wait is not None
    assert 29.0 < wait <= 30.0
    assert 29.0 < await second.peek_slot("telegram:all", 1, 30.0) <= 30.0


async def test_the_leader_forgets_idle_limits(instances: list[PostgresStore]) -> None:
    first = instances[0]
    assert await first.take_slot("telegram:chat:old", 1.0, NOW) is None
    assert await first.take_slot("telegram:chat:new", 1.0, NOW + 7200) is None
    assert await first.forget_slots(NOW + 3600) == 1
    assert await first.peek_slot("telegram:chat:new", 1, 1.0, NOW + 7200) == 1.0
    assert await first.peek_slot("telegram:chat:old", 1, 1.0, NOW) == 0.0


async def test_only_the_postgresql_store_shares_limits(engine: Engine) -> None:
    store = await engine.open()
    try:
        assert isinstance(store, SharedSlots) is (engine.name == "postgresql")
        assert isinstance(store, PostgresStore | SqliteStore)
    finally:
        await store.close()
