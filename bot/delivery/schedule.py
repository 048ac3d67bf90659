"""When things happen: arXiv's announcements, and each subscription's next digest.

arXiv announces new listings Sunday to Thursday around 20:00 US Eastern, and none on Friday
and Saturday nights or on holidays. A subscription's next digest is a stored UTC moment
computed from its local time and IANA zone (DST-correct), so due subscriptions are found by one
indexed query however many there are.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta

from bot.delivery.local_time import next_local_time, zone
from bot.model.subscriptions import Subscription

ANNOUNCE_ZONE = "America/New_York"
ANNOUNCE_TIME = time(20, 0)
ANNOUNCE_WEEKDAYS = frozenset({6, 0, 1, 2, 3})  # Sunday to Thursday


def latest_announcement(now: datetime) -> datetime:
    """The most recent scheduled announcement at or before ``now`` (aware)."""
    tz = zone(ANNOUNCE_ZONE)
    local = now.astimezone(tz)
    day = local.date()
    for _ in range(8):
        if day.weekday() in ANNOUNCE_WEEKDAYS:
            moment = datetime.combine(day, ANNOUNCE_TIME, tzinfo=tz)
            if moment <= local:
                return moment
        day -= timedelta(days=1)
    raise AssertionError("unreachable: announcements happen every week")


def next_due(subscription: Subscription, after: datetime) -> datetime:
    weekday = subscription.weekday if subscription.frequency == "weekly" else None
    return next_local_time(
        subscription.delivery_time, subscription.timezone, after, weekday=weekday
    )


_TIMING = ("delivery_time", "timezone", "frequency", "weekday")


def rescheduled(old: Subscription | None, new: Subscription, now: datetime) -> Subscription:
    """``new`` with its next due time: recomputed when its timing changed (or it has none),
    kept otherwise, so that editing keywords at 08:00:30 does not skip the 08:00 digest."""
    changed = old is None or any(getattr(old, f) != getattr(new, f) for f in _TIMING)
    if changed or new.next_due_at is None:
        return replace(new, next_due_at=next_due(new, now))
    return new


def local_day_end(moment: datetime, zone_name: str) -> datetime:
    """Midnight after ``moment`` in that zone: the default grace for a missed digest."""
    local = moment.astimezone(zone(zone_name))
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
