"""The feeds on the HTTP port: the legacy service's URLs and a private feed per chat.

- ``/rss`` and ``/rss/<categories>`` (``+``-joined, any case), ``/atom`` and
  ``/atom/<categories>``: the latest announcement scored with the operator's defaults.
- ``/feed/<token>`` (``?format=atom``): that chat's subscription over the last 7
  announcements, newest first, with summaries in its language when they exist.
- ``/``: an index page.

A request only reads what is stored (never arXiv, never the model); answers carry ``ETag`` and
``Last-Modified`` and honour conditional requests with 304; unknown categories and tokens get
a one-line 404.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

from bot import taxonomy
from bot.digest import profile_from_settings
from bot.feed_tokens import token_hash
from bot.feeds import FEED_TYPES, FeedFormat, FeedItem, build_feed
from bot.http_server import Route
from bot.scoring import Profile, Scorer
from bot.services import Services
from bot.store import Batch

PRIVATE_DAYS = 7
MAX_CATEGORIES = 20
CACHE_SIZE = 256
CACHE_SECONDS = 600.0
MAX_AGE = 1800


class FeedRoutes:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._cache: OrderedDict[tuple[object, ...], tuple[float, bytes]] = OrderedDict()
        self._scorers: OrderedDict[tuple[object, ...], Scorer] = OrderedDict()

    def routes(self) -> list[Route]:
        return [
            ("GET", "/", self.index),
            ("GET", "/rss", self.public),
            ("GET", "/atom", self.public),
            ("GET", "/rss/{categories}", self.public),
            ("GET", "/atom/{categories}", self.public),
            ("GET", "/feed/{token}", self.private),
        ]

    # --- handlers --------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.Response:
        cats = "+".join(self.services.settings.categories)
        links = [
            ("/rss", "RSS: the operator's default categories and keywords"),
            ("/atom", "Atom: the same"),
            (f"/rss/{cats}", "RSS for chosen categories (join them with +)"),
            (f"/atom/{cats}", "Atom for chosen categories"),
        ]
        items = "".join(
            f'<li><a href="{html.escape(href)}">{html.escape(href)}</a> - {html.escape(text)}</li>'
            for href, text in links
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>arxiv-digest-bot feeds"
            f"</title></head><body><h1>arXiv digest feeds</h1><ul>{items}</ul>"
            "<p>Private feeds of a chat: use /feed in the chat.</p></body></html>"
        )
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def public(self, request: web.Request) -> web.StreamResponse:
        fmt: FeedFormat = "atom" if request.path.startswith("/atom") else "rss"
        settings = self.services.settings
        profile = profile_from_settings(settings)
        raw = request.match_info.get("categories")
        if raw is not None:
            words = [w for w in raw.split("+") if w]
            if not words or len(words) > MAX_CATEGORIES:
                return _not_found(f"give 1 to {MAX_CATEGORIES} categories joined by +")
            cats: list[str] = []
            for word in words:
                cid = taxonomy.canonical(word)
                if cid is None and word.lower() in taxonomy.archives():
                    cid = word.lower()
                if cid is None:
                    return _not_found(f"unknown arXiv category: {word[:40]}")
                cats.append(cid)
            # One cached feed per set of categories, however the URL orders them.
            profile = replace(profile, categories=tuple(sorted(set(cats))))
        batches = await self.services.store.recent_batches(1)
        key = ("public", fmt, profile.categories, _version(batches))
        language = settings.summary_language  # as `arxiv-bot digest` summarizes
        body = await self._cached(key, lambda: self._render(fmt, profile, batches, language, raw))
        return _answer(request, body, fmt, batches, public=True)

    async def private(self, request: web.Request) -> web.StreamResponse:
        fmt: FeedFormat = "atom" if request.query.get("format") == "atom" else "rss"
        token = request.match_info["token"]
        if not 16 <= len(token) <= 64:
            return _not_found("unknown feed")
        sub = await self.services.store.subscription_by_feed(token_hash(token))
        if sub is None:
            return _not_found("unknown feed")
        batches = await self.services.store.recent_batches(PRIVATE_DAYS)
        key = ("private", fmt, sub.platform, sub.chat_id, sub.updated_at, _version(batches))
        body = await self._cached(
            key, lambda: self._render(fmt, sub.profile(), batches, sub.language, None)
        )
        return _answer(request, body, fmt, batches, public=False)

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
        store = self.services.store
        summarizer = self.services.summarizer
        items: list[FeedItem] = []
        seen: set[str] = set()
        for batch in batches:  # newest first
            scorer = await self._scorer(batch)
            for scored in scorer.score(profile):
                if scored.paper.arxiv_id in seen:
                    continue
                seen.add(scored.paper.arxiv_id)
                summary = (
                    await store.get_summary(summarizer.key(scored.paper, language))
                    if summarizer.enabled
                    else None
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


def _version(batches: list[Batch]) -> tuple[object, ...]:
    return tuple((b.day, b.fetched_at) for b in batches)


def _not_found(reason: str) -> web.Response:
    # The reason may quote the request (%0A, %00...): keep it one line of printable text.
    line = "".join(ch if ch.isprintable() else "?" for ch in reason)
    return web.Response(status=404, text=f"{line}\n", content_type="text/plain", charset="utf-8")


def _answer(
    request: web.Request, body: bytes, fmt: FeedFormat, batches: list[Batch], *, public: bool
) -> web.StreamResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified = batches[0].fetched_at if batches else None
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'public' if public else 'private'}, max-age={MAX_AGE}",
    }
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    if _not_modified(request, etag, modified):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, headers={**headers, "Content-Type": FEED_TYPES[fmt]})


def _not_modified(request: web.Request, etag: str, modified: datetime | None) -> bool:
    if request.headers.get("If-None-Match") is not None:
        # RFC 9110 13.1.2: If-None-Match compares weakly, so W/"x" matches "x" (a proxy that
        # compressed the feed answers with a weak tag), and "*" matches any current feed.
        # aiohttp parses the list (quoted tags may hold commas); what it cannot parse is no tag.
        opaque = etag.strip('"')
        return any(tag.value in ("*", opaque) for tag in request.if_none_match or ())
    since = request.headers.get("If-Modified-Since")
    if since and modified is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
