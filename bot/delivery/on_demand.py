"""``/digest`` from the stored announcement: once the day's batch is stored (the scheduled
fetch, every subscribed category at once), a chat's digest is a ranking away, not a feed
request that waits for arXiv's pacing behind the day's full texts."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.delivery.digests import DigestRanker
from bot.delivery.schedule import latest_announcement
from bot.model.profile import Profile
from bot.model.store import Store
from bot.ranking.digest import Digest
from bot.summaries.embeddings import Embedder


async def stored_digest(
    store: Store,
    settings: Settings,
    profile: Profile,
    now: datetime,
    embedder: Embedder | None = None,
) -> Digest | None:
    """The profile's digest of the stored batch, when that batch is the latest
    announcement's and covers the profile's categories; None when arXiv must be asked."""
    batch = await store.latest_batch()
    if batch is None or batch.fetched_at < latest_announcement(now):
        return None
    if not set(profile.categories) <= set(batch.categories):
        return None
    ranker = DigestRanker(store, settings, lambda: now, embedder)
    return await ranker.rank_profile(profile, [batch], batch.day)
