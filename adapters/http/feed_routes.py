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

import hashlib
import html
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from aiohttp import web

from adapters.http.server import Route
from bot.feeds.service import FeedService, UnknownFeed
from bot.model.store import Batch
from bot.rendering.feed_documents import FEED_TYPES, FeedFormat
from bot.services import Services

MAX_AGE = 1800


class FeedRoutes:
    def __init__(self, services: Services) -> None:
        self.feeds = FeedService(services)

    def routes(self) -> list[Route]:
        return [
            ("GET", "/", self.index),
            ("GET", "/rss", self.public),
            ("GET", "/atom", self.public),
            ("GET", "/rss/{categories}", self.public),
            ("GET", "/atom/{categories}", self.public),
            ("GET", "/feed/{token}", self.private),
        ]

    async def index(self, request: web.Request) -> web.Response:
        items = "".join(
            f'<li><a href="{html.escape(href)}">{html.escape(href)}</a> - {html.escape(text)}</li>'
            for href, text in self.feeds.index_links()
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>arxiv-digest-bot feeds"
            f"</title></head><body><h1>arXiv digest feeds</h1><ul>{items}</ul>"
            "<p>Private feeds of a chat: use /feed in the chat.</p></body></html>"
        )
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def public(self, request: web.Request) -> web.StreamResponse:
        fmt: FeedFormat = "atom" if request.path.startswith("/atom") else "rss"
        try:
            feed = await self.feeds.public(fmt, request.match_info.get("categories"))
        except UnknownFeed as exc:
            return _not_found(str(exc))
        return _answer(request, feed.body, fmt, feed.batches, public=True)

    async def private(self, request: web.Request) -> web.StreamResponse:
        fmt: FeedFormat = "atom" if request.query.get("format") == "atom" else "rss"
        try:
            feed = await self.feeds.private(fmt, request.match_info["token"])
        except UnknownFeed as exc:
            return _not_found(str(exc))
        return _answer(request, feed.body, fmt, feed.batches, public=False)


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
