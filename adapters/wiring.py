"""The composition root: concrete services (database, arXiv clients) for the core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.announcements import AnnouncementSource
from bot.arxiv_api import ArxivApi
from bot.arxiv_http import ArxivHttp
from bot.config import Settings
from bot.services import CachedAnnouncements, Services
from storage import open_store


def make_http(settings: Settings) -> ArxivHttp:
    return ArxivHttp(
        interval=settings.arxiv_request_interval,
        retries=settings.arxiv_retries,
        retry_delay=settings.arxiv_retry_delay,
        timeout=settings.http_timeout,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Everything the core needs, closed in reverse order on the way out."""
    store = await open_store(settings.database_url)
    http = make_http(settings)
    api = ArxivApi(http, settings.arxiv_api_url, timeout=settings.http_timeout)
    try:
        yield Services(
            settings=settings,
            store=store,
            announcements=CachedAnnouncements(AnnouncementSource(http, settings.arxiv_feed_url)),
            papers=api,
        )
    finally:
        api.close()
        await http.aclose()
        await store.close()
