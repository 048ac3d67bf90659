"""When things happen: each subscription's next digest in its own zone (DST-correct), weekly
digests, rescheduling only on timing changes, and arXiv's announcement times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.schedule import latest_announcement, local_day_end, next_due, rescheduled
from tests.delivery.support import (
    TUESDAY,
    WEDNESDAY,
    World,
    announced,
    subscription,
    utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def et(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


def local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def test_next_due_is_the_local_time_in_the_subscribers_zone() -> None:
    after = utc(TUESDAY, "00:00")
    cases = {
        "UTC": utc(TUESDAY, "08:00"),
        "Europe/Berlin": utc(TUESDAY, "07:00"),  # CET, UTC+1
        "America/New_York": utc(TUESDAY, "13:00"),  # EST, UTC-5
        "Asia/Kolkata": utc(TUESDAY, "02:30"),  # IST, UTC+5:30, no DST
    }
    for tz, expected in cases.items():
        due = next_due(subscription("a", at="08:00", tz=tz), after)
        assert due == expected, tz
        assert due.tzinfo is not None
        assert due.utcoffset() == timedelta(0)


def test_next_due_is_strictly_after_and_moves_day_by_day() -> None:
    sub = subscription("a", at="08:00", tz="Asia/Kolkata")
    first = next_due(sub, utc(TUESDAY, "00:00"))
    assert next_due(sub, first) == first + timedelta(days=1)
    assert next_due(sub, first - timedelta(seconds=1)) == first


def test_berlin_spring_forward_delivers_0230_at_0330_local() -> None:
    # 28 March 2027: Berlin's clocks jump from 02:00 to 03:00; 02:30 does not exist.
    sub = subscription("a", at="02:30", tz="Europe/Berlin")
    due = next_due(sub, at(2027, 3, 27, 12, 0))
    assert local(due, BERLIN) == "2027-03-28 03:30 CEST"
    assert due == at(2027, 3, 28, 1, 30)
    # The day after, 02:30 exists again (now CEST, UTC+2).
    following = next_due(sub, due)
    assert local(following, BERLIN) == "2027-03-29 02:30 CEST"
    # A time after the gap keeps its UTC offset change: 08:00 CET -> 08:00 CEST.
    morning = subscription("b", at="08:00", tz="Europe/Berlin")
    saturday = next_due(morning, at(2027, 3, 27, 0, 0))
    sunday = next_due(morning, saturday)
    assert saturday == at(2027, 3, 27, 7, 0)
    assert sunday == at(2027, 3, 28, 6, 0)


def test_berlin_fall_back_delivers_0230_once() -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    sub = subscription("a", at="02:30", tz="Europe/Berlin")
    first = next_due(sub, at(2026, 10, 24, 12, 0))
    assert first == at(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    second = next_due(sub, first)
    # Not the second 02:30 an hour later (01:30 UTC): the next day's.
    assert second == at(2026, 10, 26, 1, 30)
    assert local(second, BERLIN) == "2026-10-26 02:30 CET"
    # Asked during the repeated hour (02:10 CET, the second pass) it is the next day too.
    assert next_due(sub, at(2026, 10, 25, 1, 10)) == second


def test_new_york_follows_its_own_dst_change() -> None:
    # 14 March 2027: New York goes from EST (UTC-5) to EDT (UTC-4); Europe has not yet.
    sub = subscription("a", at="08:00", tz="America/New_York")
    saturday = next_due(sub, at(2027, 3, 13, 0, 0))
    sunday = next_due(sub, saturday)
    assert saturday == at(2027, 3, 13, 13, 0)
    assert sunday == at(2027, 3, 14, 12, 0)
    assert local(sunday, NEW_YORK) == "2027-03-14 08:00 EDT"
    # A 02:30 subscription on the spring-forward night goes out at 03:30 EDT.
    night = next_due(subscription("b", at="02:30", tz="America/New_York"), saturday)
    assert local(night, NEW_YORK) == "2027-03-14 03:30 EDT"


def test_kolkata_has_no_dst() -> None:
    sub = subscription("a", at="08:00", tz="Asia/Kolkata")
    for start in (datetime(2027, 3, 27, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC)):
        due = next_due(sub, start)
        assert (due.hour, due.minute) == (2, 30)
        assert next_due(sub, due) - due == timedelta(days=1)


def test_weekly_is_due_on_its_weekday_once_a_week() -> None:
    sub = subscription("a", at="09:00", tz="Europe/Berlin", frequency="weekly", weekday=4)
    due = next_due(sub, utc(TUESDAY, "12:00"))
    assert local(due, BERLIN) == "2026-11-27 09:00 CET"  # Friday
    assert due.astimezone(BERLIN).weekday() == 4
    assert next_due(sub, due) == due + timedelta(days=7)
    # On its weekday but after its time: next week.
    assert next_due(sub, due + timedelta(minutes=1)) == due + timedelta(days=7)
    # The weekday is in the subscriber's zone: Friday 00:30 in Tokyo is Thursday in UTC.
    tokyo = subscription("b", at="00:30", tz="Asia/Tokyo", frequency="weekly", weekday=4)
    assert next_due(tokyo, utc(TUESDAY)) == at(2026, 11, 26, 15, 30)
    # A daily subscription ignores the weekday field.
    daily = subscription("c", at="09:00", tz="Europe/Berlin", weekday=4)
    assert next_due(daily, utc(TUESDAY, "12:00")) == utc(WEDNESDAY, "08:00")


def test_rescheduled_only_when_the_timing_changes() -> None:
    now = utc(TUESDAY, "08:00", seconds=30)
    old = rescheduled(None, subscription("a", at="08:00"), utc(TUESDAY, "07:00"))
    assert old.next_due_at == utc(TUESDAY, "08:00")
    # Keywords edited at 08:00:30, before the round that sends the 08:00 digest.
    edited = rescheduled(old, old.changed(keywords=("LLM", "experts")), now)
    assert edited.next_due_at == utc(TUESDAY, "08:00")
    # Pausing and resuming is not a timing change either.
    assert rescheduled(old, old.changed(paused=True), now).next_due_at == old.next_due_at
    # Each timing field recomputes it from now.
    assert rescheduled(old, old.changed(delivery_time="09:00"), now).next_due_at == utc(
        TUESDAY, "09:00"
    )
    assert rescheduled(old, old.changed(timezone="Asia/Kolkata"), now).next_due_at == utc(
        WEDNESDAY, "02:30"
    )
    weekly = rescheduled(old, old.changed(frequency="weekly", weekday=0), now)
    assert weekly.next_due_at == at(2026, 11, 30, 8, 0)
    moved = rescheduled(weekly, weekly.changed(weekday=2), now)
    assert moved.next_due_at == utc(WEDNESDAY, "08:00")
    # A subscription without a next due time gets one.
    assert rescheduled(old, old.changed(next_due_at=None), now).next_due_at == utc(
        WEDNESDAY, "08:00"
    )


async def test_editing_keywords_at_080030_does_not_skip_the_0800_digest(world: World) -> None:
    await world.at(utc(TUESDAY, "07:59"))  # fetches Tuesday's announcement
    await world.subscribe(subscription("a", at="08:00"))
    await world.subscribe(subscription("b", at="08:00"))
    world.clock.set(utc(TUESDAY, "08:00", seconds=30))
    await world.edit("a", keywords=("LLM", "experts"))
    await world.edit("b", delivery_time="07:00")  # a timing change: next 07:00 is tomorrow
    await world.at(utc(TUESDAY, "08:01"))
    assert world.sender.chats() == {"a"}
    papers = {p for s in world.sender.to("a") for p in s.papers}
    assert "2611.02403v1" in papers  # the edit applies to the digest it did not skip
    assert (await world.store.get_subscription("test", "b")).next_due_at == utc(  # type: ignore[union-attr]
        WEDNESDAY, "07:00"
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Tuesday 24 Nov 2026, 00:59 UTC = Monday 19:59 EST: Sunday's announcement.
        (utc(TUESDAY, "00:59"), et(2026, 11, 22, 20, 0)),
        # 01:00 UTC = Monday 20:00 EST: Monday's, exactly then.
        (utc(TUESDAY, "01:00"), et(2026, 11, 23, 20, 0)),
        # Friday and Saturday nights have none: Thursday's holds until Sunday 20:00.
        (at(2026, 11, 28, 12, 0), et(2026, 11, 26, 20, 0)),
        (at(2026, 11, 30, 0, 59), et(2026, 11, 26, 20, 0)),
        (at(2026, 11, 30, 1, 0), et(2026, 11, 29, 20, 0)),
        # Summer time: Sunday 20:00 EDT is Monday 00:00 UTC.
        (at(2027, 6, 14, 0, 0), et(2027, 6, 13, 20, 0)),
        (at(2027, 6, 13, 23, 59), et(2027, 6, 10, 20, 0)),
        # The US spring-forward Sunday: 20:00 EDT.
        (at(2027, 3, 15, 0, 0), et(2027, 3, 14, 20, 0)),
    ],
)
def test_latest_announcement_is_sunday_to_thursday_at_2000_eastern(
    now: datetime, expected: datetime
) -> None:
    found = latest_announcement(now)
    assert found == expected
    assert found.astimezone(NEW_YORK).weekday() in {6, 0, 1, 2, 3}
    assert (found.astimezone(NEW_YORK).hour, found.astimezone(NEW_YORK).minute) == (20, 0)


def test_every_moment_of_a_week_maps_to_an_announcement_at_most_three_days_back() -> None:
    start = at(2026, 11, 22, 0, 0)
    for minutes in range(0, 8 * 24 * 60, 17):
        now = start + timedelta(minutes=minutes)
        found = latest_announcement(now)
        assert found <= now
        assert now - found < timedelta(days=3)
        assert latest_announcement(found) == found
    assert announced(TUESDAY) == latest_announcement(utc(TUESDAY, "12:00"))


def test_local_day_end_is_the_next_local_midnight() -> None:
    assert local_day_end(utc(TUESDAY, "08:00"), "UTC") == utc(WEDNESDAY)
    assert local_day_end(utc(TUESDAY, "08:00"), "Asia/Kolkata") == datetime(
        2026, 11, 24, 18, 30, tzinfo=UTC
    )
    assert local_day_end(utc(TUESDAY, "23:30"), "Asia/Kolkata") == datetime(
        2026, 11, 25, 18, 30, tzinfo=UTC
    )
    assert local_day_end(at(2027, 3, 28, 1, 30), "Europe/Berlin") == (
        at(2027, 3, 28, 22, 0)  # a 23-hour day: midnight CEST
    )
    assert local_day_end(utc(TUESDAY, "03:00"), "America/New_York").date() == date(2026, 11, 24)
