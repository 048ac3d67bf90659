"""Fetching each announcement once, for the union of every subscribed category: late feeds,
empty feeds on holidays, and arXiv being down."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.delivery.schedule import latest_announcement
from bot.delivery.service import FETCHED_FOR, GIVE_UP_AFTER, LAST_FETCH
from tests.delivery.support import (
    FRIDAY,
    MONDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    World,
    announce,
    announced,
    day_papers,
    subscription,
    utc,
)


async def test_one_feed_request_for_the_union_of_all_subscribed_categories(world: World) -> None:
    await world.subscribe(subscription("a", categories=("cs.LG", "cs.AI")))
    await world.subscribe(subscription("b", categories=("cs.CL",)))
    await world.subscribe(subscription("c", categories=("math.OC", "cs.LG")))
    await world.subscribe(subscription("p", categories=("q-bio.NC",), paused=True))
    await world.subscribe(subscription("x", categories=("astro-ph.GA",), active=False))
    await world.at(announced(TUESDAY))
    assert world.feed_requests() == [{"cs.LG", "cs.AI", "cs.CL", "math.OC"}]
    batch = await world.store.latest_batch()
    assert batch is not None
    assert batch.day == TUESDAY
    assert set(batch.categories) == {"cs.LG", "cs.AI", "cs.CL", "math.OC"}
    # Everything the feed had for those categories is stored (the graph paper is cs.DS).
    assert len(batch.papers) == 6
    assert batch.fetched_at == announced(TUESDAY)
    stored = await world.store.batch_papers(batch)
    assert {p.title for p in stored} == {p.title for p in day_papers(TUESDAY)} - {
        "Graph colouring with few colours"
    }
    assert await world.store.get_meta(LAST_FETCH) == announced(TUESDAY).isoformat()


async def test_later_ticks_do_not_refetch_the_same_announcement(world: World) -> None:
    await world.subscribe(subscription("a"))
    await world.at(announced(TUESDAY))
    await world.run_until(announced(WEDNESDAY) - timedelta(minutes=1))
    assert len(world.feed_requests()) == 1
    # Nor after a restart: the fetch is remembered in the database.
    await world.restart()
    await world.tick()
    assert len(world.feed_requests()) == 1
    # The next announcement is fetched once, right when it is due.
    announce(world.arxiv, WEDNESDAY)
    await world.at(announced(WEDNESDAY))
    await world.tick()
    assert len(world.feed_requests()) == 2
    assert (await world.store.latest_batch()).day == WEDNESDAY  # type: ignore[union-attr]


async def test_a_late_feed_is_retried_until_it_changes(world: World) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "08:00"))
    # Tuesday 20:00 ET: the feed still shows Tuesday's announcement (arXiv is late).
    await world.at(announced(WEDNESDAY))
    await world.at(announced(WEDNESDAY).replace(minute=10))
    await world.at(announced(WEDNESDAY).replace(minute=20))
    assert len(world.feed_requests()) == 4
    assert (await world.store.latest_batch()).day == TUESDAY  # type: ignore[union-attr]
    # Then it changes: stored on the next tick, and the 08:00 digest is Wednesday's.
    announce(world.arxiv, WEDNESDAY)
    await world.at(announced(WEDNESDAY).replace(hour=3))
    batch = await world.store.latest_batch()
    assert batch is not None
    assert batch.day == WEDNESDAY
    assert batch.fetched_at == announced(WEDNESDAY).replace(hour=3)
    await world.at(announced(WEDNESDAY).replace(hour=4))
    assert len(world.feed_requests()) == 5
    await world.at(utc(WEDNESDAY, "08:00"))
    assert world.sender.digests("a") == {"daily:2026-11-24", "daily:2026-11-25"}


async def test_an_empty_feed_on_a_holiday_stores_nothing_and_gives_up(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    await world.at(announced(TUESDAY))
    await world.at(utc(TUESDAY, "08:00"))
    announce(world.arxiv, WEDNESDAY)
    await world.at(announced(WEDNESDAY))
    await world.at(utc(WEDNESDAY, "08:00"))
    assert world.sender.digests("a") == {"daily:2026-11-24", "daily:2026-11-25"}
    assert len(world.feed_requests()) == 2
    # Wednesday 20:00 ET: a holiday. The feed is empty (with the new date).
    announce(world.arxiv, THURSDAY, [])
    caplog.set_level(logging.INFO, logger="bot.delivery.service")
    await world.at(announced(THURSDAY))
    await world.at(announced(THURSDAY) + GIVE_UP_AFTER / 2)
    assert len(world.feed_requests()) == 4
    holiday = latest_announcement(world.clock.now).isoformat()
    assert await world.store.get_meta(FETCHED_FOR) != holiday
    assert "none today" not in caplog.text
    # Past GIVE_UP_AFTER it is taken as a day without an announcement...
    await world.at(announced(THURSDAY) + GIVE_UP_AFTER + timedelta(minutes=1))
    assert "none today" in caplog.text
    assert await world.store.get_meta(FETCHED_FOR) == holiday
    assert len(world.feed_requests()) == 5
    # ... not asked again, nothing stored, and no digest on Thursday.
    await world.run_until(utc(THURSDAY, "23:59"), every=timedelta(minutes=30))
    assert len(world.feed_requests()) == 5
    assert (await world.store.latest_batch()).day == WEDNESDAY  # type: ignore[union-attr]
    assert world.sender.digests("a") == {"daily:2026-11-24", "daily:2026-11-25"}


async def test_arxiv_503s_are_retried_on_the_next_tick(world: World) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    world.arxiv.fail_next("rss", 503, 503)
    await world.at(announced(TUESDAY))
    assert await world.store.latest_batch() is None
    await world.at(announced(TUESDAY).replace(minute=1))
    assert await world.store.latest_batch() is None
    await world.at(announced(TUESDAY).replace(minute=2))
    assert (await world.store.latest_batch()).day == TUESDAY  # type: ignore[union-attr]
    assert len(world.feed_requests()) == 3
    await world.at(utc(TUESDAY, "08:00"))
    assert world.sender.digests("a") == {"daily:2026-11-24"}


async def test_nothing_is_fetched_or_sent_over_the_weekend(world: World) -> None:
    world.clock.set(utc(THURSDAY, "12:00"))
    await world.subscribe(subscription("a", at="08:00"))
    announce(world.arxiv, FRIDAY)
    await world.at(announced(FRIDAY))
    await world.at(utc(FRIDAY, "08:00"))
    assert world.sender.digests("a") == {"daily:2026-11-27"}
    requests = len(world.feed_requests())
    # Saturday and Sunday: no announcement is expected, none is fetched, none is sent.
    await world.run_until(announced(MONDAY) - GIVE_UP_AFTER / 100, every=GIVE_UP_AFTER / 10)
    assert len(world.feed_requests()) == requests
    assert world.sender.digests("a") == {"daily:2026-11-27"}
    # Sunday 20:00 ET: Monday's announcement, delivered Monday 08:00.
    announce(world.arxiv, MONDAY)
    await world.at(announced(MONDAY))
    await world.at(utc(MONDAY, "08:00"))
    assert world.sender.digests("a") == {"daily:2026-11-27", "daily:2026-11-30"}


async def test_a_category_subscribed_after_the_fetch_is_fetched_again_the_same_day(
    world: World,
) -> None:
    """The day's batch holds the categories subscribed when it was fetched: a chat that
    subscribes to another one later that day must still get that day's papers."""
    await world.subscribe(subscription("a", at="08:00"))
    await world.at(announced(TUESDAY))
    assert world.feed_requests() == [{"cs.LG"}]

    await world.subscribe(
        subscription("b", categories=("cs.DS",), keywords=("graph",), at="09:00")
    )
    world.service.subscriptions_changed()  # as a command saving it says
    await world.tick()

    assert world.feed_requests() == [{"cs.LG"}, {"cs.LG", "cs.DS"}]
    batch = await world.store.latest_batch()
    assert batch is not None
    assert batch.day == TUESDAY
    assert set(batch.categories) == {"cs.LG", "cs.DS"}
    await world.run_until(utc(TUESDAY, "09:00"))
    titles = [card.title for sent in world.sender.to("b") for card in sent.cards]
    assert "Graph colouring with few colours" in titles
    assert world.row("a", TUESDAY)["state"] == "done"
    assert len(world.feed_requests()) == 2, "covered now: no more requests"


async def test_another_instances_subscription_is_covered_within_a_minute(world: World) -> None:
    await world.subscribe(subscription("a", at="08:00"))
    await world.at(announced(TUESDAY))
    await world.subscribe(subscription("b", categories=("cs.DS",), at="09:00"))  # elsewhere

    world.clock.advance(seconds=61)
    await world.tick()
    await world.tick()

    assert world.feed_requests() == [{"cs.LG"}, {"cs.LG", "cs.DS"}]
