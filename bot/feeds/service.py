"""The feeds' content: the latest announcement for the operator's defaults or chosen categories,
and a chat's private feed over its last announcements, each built once and kept briefly.

A feed only reads what is stored (never arXiv, never the model). HTTP (caching headers, 304s,
status codes) is the edge's business: ``adapters/http/feed_routes.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.arxiv import taxonomy
from bot.config import profile_from_settings
from bot.feeds.tokens import token_hash
from bot.model.profile import Profile
from bot.model.store import Batch
from bot.ranking.scoring import Scorer
from bot.rendering.feed_documents import FeedFormat, FeedItem, build_feed
from bot.services import Services

PRIVATE_DAYS = 7
MAX_CATEGORIES = 20
CACHE_SIZE = 256
CACHE_SECONDS = 600.0


class UnknownFeed(LookupError):
    """No such feed: unknown categories or token. The message is safe to show."""


@dataclass(frozen=True, slots=True)
class FeedDocument:
    body: bytes
    batches: list[Batch]
    """The announcements it was built from, newest first (for Last-Modified)."""


class FeedService:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._cache: OrderedDict[tuple[object, ...], tuple[float, bytes]] = OrderedDict()
        self._scorers: OrderedDict[tuple[object, ...], Scorer] = OrderedDict()

    def index_links(self) -> list[tuple[str, str]]:
        """The public feeds, as (path, description)."""
        cats = "+".join(self.services.settings.categories)
        return [
            ("/rss", "RSS: the operator's default categories and keywords"),
            ("/atom", "Atom: the same"),
            (f"/rss/{cats}", "RSS for chosen categories (join them with +)"),
            (f"/atom/{cats}", "Atom for chosen categories"),
        ]

    async def public(self, fmt: FeedFormat, raw_categories: str | None) -> FeedDocument:
        """The latest announcement with the operator's defaults, for ``raw_categories``
        (``+``-joined, any case) when given. Raises :class:`UnknownFeed`."""
        settings = self.services.settings
        profile = profile_from_settings(settings)
        if raw_categories is not None:
            cats = _categories(raw_categories)
            # One cached feed per set of categories, however the URL orders them.
            profile = replace(profile, categories=tuple(sorted(set(cats))))
        batches = await self.services.store.recent_batches(1)
        key = ("public", fmt, profile.categories, _version(batches))
        language = settings.summary_language  # as `arxiv-bot digest` summarizes
        body = await self._cached(
            key, lambda: self._render(fmt, profile, batches, language, raw_categories)
        )
        return FeedDocument(body, batches)

    async def private(self, fmt: FeedFormat, token: str) -> FeedDocument:
        """A chat's subscription over its last announcements. Raises :class:`UnknownFeed`."""
        if not 16 <= len(token) <= 64:
            raise UnknownFeed("unknown feed")
        sub = await self.services.store.subscription_by_feed(token_hash(token))
        if sub is None:
            raise UnknownFeed("unknown feed")
        batches = await self.services.store.recent_batches(PRIVATE_DAYS)
        key = ("private", fmt, sub.platform, sub.chat_id, sub.updated_at, _version(batches))
        body = await self._cached(
            key, lambda: self._render(fmt, sub.profile(), batches, sub.language, None)
        )
        return FeedDocument(body, batches)

    # --- rendering -------------------------------------------------------------------------

    async def _cached(
        self, key: tuple[object, ...], make: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """Feeds change once per announcement (and as summaries arrive): each is built once,
        then served from memory for a few minutes."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            self._cache.move_to_end(key)
            return hit[1]
        body = await make()
        self._cache[key] = (now, body)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return body

    async def _scorer(self, batch: Batch) -> Scorer:
        """Each batch is indexed once, off the event loop, so no request can stall the bot."""
        key = (batch.day, batch.fetched_at)
        scorer = self._scorers.get(key)
        if scorer is None:
            papers = await self.services.store.batch_papers(batch)
            mode = self.services.settings.scoring
            scorer = await asyncio.to_thread(Scorer, papers, mode)
            self._scorers[key] = scorer
            while len(self._scorers) > PRIVATE_DAYS + 1:
                self._scorers.popitem(last=False)
        return scorer

    async def _render(
        self,
        fmt: FeedFormat,
        profile: Profile,
        batches: list[Batch],
        language: str,
        path_categories: str | None,
    ) -> bytes:
        summarizer = self.services.summarizer
        items: list[FeedItem] = []
        seen: set[str] = set()
        for batch in batches:  # newest first
            scorer = await self._scorer(batch)
            for scored in scorer.score(profile):
                if scored.paper.arxiv_id in seen:
                    continue
                seen.add(scored.paper.arxiv_id)
                summary = (  # stored and checked only: feeds never call the model
                    await summarizer.cached(scored.paper, language) if summarizer.enabled else None
                )
                items.append(FeedItem(scored, batch.day, summary))
        base = (self.services.settings.public_url or "").rstrip("/")
        cats = "+".join(profile.categories)
        path = f"/{fmt}/{path_categories}" if path_categories else f"/{fmt}"
        updated = batches[0].fetched_at if batches else datetime(2000, 1, 1, tzinfo=UTC)
        return build_feed(
            items,
            fmt=fmt,
            title=f"arXiv digest: {', '.join(profile.categories)}",
            feed_url=f"{base}{path}" if base else f"urn:arxiv-digest-bot:{fmt}:{cats}",
            site_url=f"https://arxiv.org/list/{cats}/new",
            description=f"The best new papers in {', '.join(profile.categories)}, by score.",
            updated=updated,
        )


def _categories(raw: str) -> list[str]:
    words = [w for w in raw.split("+") if w]
    if not words or len(words) > MAX_CATEGORIES:
        raise UnknownFeed(f"give 1 to {MAX_CATEGORIES} categories joined by +")
    cats: list[str] = []
    for word in words:
        cid = taxonomy.canonical(word)
        if cid is None and word.lower() in taxonomy.archives():
            cid = word.lower()
        if cid is None:
            raise UnknownFeed(f"unknown arXiv category: {word[:40]}")
        cats.append(cid)
    return cats


def _version(batches: list[Batch]) -> tuple[object, ...]:
    return tuple((b.day, b.fetched_at) for b in batches)
