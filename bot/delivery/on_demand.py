"""``/digest`` from the stored announcement: once the day's batch is stored (the scheduled
fetch, every subscribed category at once), a chat's digest is a ranking away, not a feed
request that waits for arXiv's pacing behind the day's full texts."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.delivery.schedule import latest_announcement
from bot.delivery.service import announced_in, batch_scorer
from bot.model.profile import Profile
from bot.model.store import Store
from bot.ranking.digest import Digest, rank


async def stored_digest(
    store: Store, settings: Settings, profile: Profile, now: datetime
) -> Digest | None:
    """The profile's digest of the stored batch, when that batch is the latest
    announcement's and covers the profile's categories; None when arXiv must be asked."""
    batch = await store.latest_batch()
    if batch is None or batch.fetched_at < latest_announcement(now):
        return None
    if not set(profile.categories) <= set(batch.categories):
        return None
    scorer = await batch_scorer(store, [batch], settings)
    announced = announced_in(scorer, profile)
    return rank(scorer, profile, day=batch.day, announced=announced, now=now)
