"""Local wall-clock times in IANA zones, DST-correct.

A delivery at 02:30 in Europe/Berlin on the spring-forward night happens at 03:30 (the wall
clock skips 02:30); on the fall-back night it happens once, at the first 02:30.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.text.unicode import as_typed_identifier

_HH_MM = re.compile(r"(?P<h>\d{1,2})[:.h](?P<m>\d{2})")


def parse_hh_mm(text: str) -> str | None:
    """``8:30``, ``08:30``, ``8.30``, ``20h15`` -> ``"08:30"``; None when not a time of day."""
    m = _HH_MM.fullmatch(as_typed_identifier(text).strip())
    if not m or int(m["h"]) > 23 or int(m["m"]) > 59:
        return None
    return f"{int(m['h']):02d}:{int(m['m']):02d}"  # digits of any script, stored as ASCII


NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
"""Entries of the zone database that name no place: the server's own zone (so a chat's time
would move with the server), a placeholder ("-00"), a template."""


@cache
def _zones_by_lower() -> dict[str, str]:
    zones = {
        z.lower(): z
        for z in available_timezones()
        if z not in NOT_PLACES and not z.startswith(("posix/", "right/"))
    }
    zones["utc"] = "UTC"
    return zones


def available_zones() -> list[str]:
    """Every IANA zone name (for completion lists)."""
    return sorted(set(_zones_by_lower().values()))


def canonical_zone(text: str) -> str | None:
    """``europe/berlin`` -> ``Europe/Berlin``; None when unknown."""
    return _zones_by_lower().get(text.strip().lower())


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    lowered = text.strip().lower().replace(" ", "_")
    zones = _zones_by_lower()
    by_city = {z.rsplit("/", 1)[-1]: z for z in zones if "/" in z}
    hits = difflib.get_close_matches(lowered, list(zones), n=limit, cutoff=0.6)
    hits += [by_city[c] for c in difflib.get_close_matches(lowered, list(by_city), n=limit)]
    return list(dict.fromkeys(zones[h] for h in hits))[:limit]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_local_time(
    hh_mm: str, zone_name: str, after: datetime, *, weekday: int | None = None
) -> datetime:
    """The first moment strictly after ``after`` when the wall clock in ``zone_name`` shows
    ``hh_mm`` (on ``weekday``, 0 = Monday, when given), as an aware UTC datetime."""
    tz = zone(zone_name)
    hours, minutes = (int(x) for x in hh_mm.split(":"))
    local_after = after.astimezone(tz)
    day = local_after.date()
    for _ in range(9):
        if weekday is None or day.weekday() == weekday:
            candidate = datetime.combine(day, time(hours, minutes), tzinfo=tz)
            # A wall time in a DST gap does not exist; normalise it through UTC (it moves on).
            moment = candidate.astimezone(UTC)
            if moment > after.astimezone(UTC):
                return moment
        day += timedelta(days=1)
    raise AssertionError("unreachable: a week always has the weekday")
