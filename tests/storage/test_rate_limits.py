"""The platforms' rate limits kept in PostgreSQL (storage/postgres.py, for adapters/pacing.py):
instances reserving sends at once get distinct slots that keep the limit, whoever sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from adapters.pacing import SharedSlots
from storage import PostgresStore, SqliteStore
from tests.storage.conftest import Engine

pytestmark = pytest.mark.postgres

NOW = 1_800_000_000.0


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[list[PostgresStore]]:
    opened = [await PostgresStore.open(postgres_url, instance=f"i{n}") for n in range(3)]
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


async def test_instances_reserving_at_once_get_evenly_spaced_slots(
    stores: list[PostgresStore],
) -> None:
    spacing = 1 / 30
    slots = await asyncio.gather(
        *(s.reserve_slot("telegram:all", 1, spacing, NOW) for s in stores for _ in range(20))
    )
    assert sorted(slots) == pytest.approx([NOW + n * spacing for n in range(60)])
    # A later reservation queues behind them; one after the queue drained leaves at once.
    assert await stores[0].reserve_slot("telegram:all", 1, spacing, NOW) == pytest.approx(
        NOW + 60 * spacing
    )
    assert await stores[1].reserve_slot("telegram:all", 1, spacing, NOW + 100) == NOW + 100
    assert await stores[2].reserve_slot("telegram:chat:7", 1, 1.25, NOW) == NOW  # its own


async def test_several_a_period_keep_at_most_that_many_in_any_period(
    stores: list[PostgresStore],
) -> None:
    slots = await asyncio.gather(
        *(s.reserve_slot("telegram:group:-5", 20, 60.0, NOW) for s in stores for _ in range(15))
    )
    assert sorted(slots) == [NOW] * 20 + [NOW + 60] * 20 + [NOW + 120] * 5
    peeked = await stores[0].peek_slot("telegram:group:-5", 20, 60.0, NOW + 200)
    assert peeked == NOW + 200
    assert await stores[0].peek_slot("telegram:group:-5", 20, 60.0, NOW) == NOW + 120


async def test_a_pause_holds_every_instance_and_a_peek_reserves_nothing(
    stores: list[PostgresStore],
) -> None:
    first, second, _ = stores
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == NOW  # nothing yet
    await first.pause_slots("telegram:all", NOW + 5)
    await first.pause_slots("telegram:all", NOW + 2)  # a shorter pause shortens nothing
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == NOW + 5
    assert await second.peek_slot("telegram:all", 1, 0.1, NOW) == NOW + 5
    assert await second.reserve_slot("telegram:all", 1, 0.1, NOW) == NOW + 5
    await first.pause_slots("discord:channel:9", NOW + 3)
    assert await second.reserve_slot("discord:channel:9", 5, 5.0, NOW) == NOW + 3


async def test_the_leader_forgets_idle_limits(stores: list[PostgresStore]) -> None:
    first = stores[0]
    await first.reserve_slot("telegram:chat:old", 1, 1.0, NOW)
    await first.reserve_slot("telegram:chat:new", 1, 1.0, NOW + 7200)
    assert await first.forget_slots(NOW + 3600) == 1
    assert await first.peek_slot("telegram:chat:new", 1, 1.0, NOW) == NOW + 7201


async def test_only_the_postgresql_store_shares_limits(engine: Engine) -> None:
    store = await engine.open()
    try:
        assert isinstance(store, SharedSlots) is (engine.name == "postgresql")
        assert isinstance(store, PostgresStore | SqliteStore)
    finally:
        await store.close()
