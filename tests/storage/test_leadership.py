"""Leader election (storage/leadership.py): one leader per installation on PostgreSQL, held
by a session's advisory lock; SQLite's one instance always leads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.leadership import AdvisoryLeadership, SoleLeadership, leadership_for
from tests.postgres import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
async def candidates(postgres_url: str) -> AsyncIterator[list[AdvisoryLeadership]]:
    made = [AdvisoryLeadership(postgres_url, instance=f"test-{n}") for n in range(3)]
    try:
        yield made
    finally:
        for leadership in made:
            await leadership.close()


async def test_one_instance_leads_and_another_takes_over_when_it_goes(
    candidates: list[AdvisoryLeadership],
) -> None:
    first, second, third = candidates
    assert [await c.refresh() for c in candidates] == [True, False, False]
    assert [await c.refresh() for c in candidates] == [True, False, False]  # it stays

    await first.close()

    assert first.leads is False
    assert [await c.refresh() for c in (second, third)] == [True, False]
    assert await first.refresh() is False  # back, but the other leads now
    assert (second.leads, third.leads) == (True, False)


async def test_a_lost_connection_is_lost_leadership(
    candidates: list[AdvisoryLeadership], postgres_url: str
) -> None:
    first, second, _ = candidates
    assert await first.refresh() is True
    assert await second.refresh() is False
    admin = await asyncpg.connect(postgres_url)
    try:  # the database ends the leader's session (a restart, an operator, a network cut)
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'arxiv-bot leader test-0'"
        )
    finally:
        await admin.close()
    assert ended == 1

    # The lock ended with the session: another instance takes it at its next try, and the
    # old leader, at its own next try, finds it no longer leads (never two leaders).
    assert await second.refresh() is True
    assert await first.refresh() is False
    assert first.leads is False


async def test_an_unreachable_database_means_not_leading() -> None:
    nobody = AdvisoryLeadership("postgresql://postgres@127.0.0.1:1/test", instance="x")
    assert await nobody.refresh() is False
    assert nobody.leads is False
    await nobody.close()


async def test_installations_in_separate_schemas_each_have_their_leader(
    postgres_url: str,
) -> None:
    async with postgres_schema() as other_url:
        here = AdvisoryLeadership(postgres_url)
        there = AdvisoryLeadership(other_url)
        try:
            assert [await here.refresh(), await there.refresh()] == [True, True]
        finally:
            await here.close()
            await there.close()


async def test_sqlite_has_one_instance_and_it_leads() -> None:
    sole = leadership_for("sqlite:///data/bot.db")
    assert isinstance(sole, SoleLeadership)
    assert (sole.leads, await sole.refresh()) == (True, True)
    assert isinstance(leadership_for("postgresql://u@h/db"), AdvisoryLeadership)
