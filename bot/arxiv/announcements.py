"""Today's announcements from arXiv's RSS feed, in as few requests as possible.

One combined ``+`` feed serves any set of categories; it is split in halves only when it hits
arXiv's 2,000-item cap. An empty feed (weekends, holidays) is a normal answer, not an error.
"""

from __future__ import annotations

import logging
import re
import time
import xml.sax
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, cast

import feedparser
import httpx

from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.arxiv.transport import ArxivHttp, MalformedResponse
from bot.model.papers import ANNOUNCE_TYPES, AnnounceType, Paper, announce_type_in
from bot.text.author_lists import split_authors as author_names
from bot.text.unicode import clean_text

log = logging.getLogger(__name__)

FEED_RESULT_LIMIT = 2000

_DESCRIPTION = re.compile(
    r"arXiv:(?P<id>\S+?)v(?P<ver>\d+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*"
    r"(?:Abstract:\s*)?(?P<abstract>.*)",
    re.S,
)
# feedparser maps C1 control characters to Windows-1252 glyphs (U+0085 -> "…", U+0080 -> "€"),
# so clean_text would never see them: they are dropped from the document before parsing.
_C1_CONTROLS = re.compile("[\u0080-\u009f]")


@dataclass(frozen=True, slots=True)
class Announcement:
    """One announcement's papers for a set of categories. ``day`` is arXiv's announcement
    date (the feed's publication date, US Eastern), None when the feed does not say."""

    categories: tuple[str, ...]
    day: date | None
    papers: tuple[Paper, ...]


class AnnouncementSource:
    """Reads arXiv's announcement feed (``ARXIV_FEED_URL``, ``{categories}`` joined by ``+``)."""

    def __init__(
        self, http: ArxivHttp, feed_url: str, *, result_limit: int = FEED_RESULT_LIMIT
    ) -> None:
        self._http = http
        self._feed_url = feed_url
        self._result_limit = result_limit

    async def fetch(self, categories: Sequence[str]) -> Announcement:
        cats = tuple(dict.fromkeys(categories))
        day, papers, split = await self._fetch(cats)
        wanted = frozenset(cats)
        merged: dict[str, Paper] = {}
        for paper in papers:  # one item per paper, the latest version
            kept = merged.get(paper.arxiv_id)
            if kept is None or paper.version > kept.version:
                if split:  # types came from partial feeds: recompute them for the whole set
                    kind = announce_type_in(paper, wanted) or paper.announce_type
                    paper = replace(paper, announce_type=kind)
                merged[paper.arxiv_id] = paper
        return Announcement(cats, day, tuple(merged.values()))

    async def _fetch(self, cats: tuple[str, ...]) -> tuple[date | None, list[Paper], bool]:
        url = self._feed_url.format(categories="+".join(cats))
        what = f"arXiv feed {'+'.join(cats)}"
        day, papers = await self._http.fetch(url, _parse_response, what=what)
        if len(papers) >= self._result_limit and len(cats) > 1:
            half = len(cats) // 2
            log.info("%s hit the %d-item cap; splitting", what, self._result_limit)
            day_a, first, _ = await self._fetch(cats[:half])
            day_b, second, _ = await self._fetch(cats[half:])
            return day_a or day_b or day, first + second, True
        if len(papers) >= self._result_limit:
            log.warning("%s hit the %d-item cap; some papers are missing", what, len(papers))
        return day, papers, False


def _parse_response(response: httpx.Response) -> tuple[date | None, list[Paper]]:
    return parse_feed(response.content)


def parse_feed(content: bytes) -> tuple[date | None, list[Paper]]:
    """Parse arXiv's RSS 2.0 (or Atom) announcement feed into papers.

    Raises :class:`MalformedResponse` for a document that is not a well-formed feed, since a
    half-parsed feed would silently lose papers.
    """
    # HTML sanitising would eat text such as "x<y and z>w" from abstracts; we escape ourselves.
    parsed = feedparser.parse(
        _without_c1_controls(content), sanitize_html=False, resolve_relative_uris=False
    )
    if parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException):
        raise MalformedResponse(str(parsed["bozo_exception"])[:200])
    feed = cast(dict[str, Any], parsed.get("feed", {}))
    if "title" not in feed and not parsed.get("entries"):
        raise MalformedResponse("no feed in the answer")
    day = _feed_day(feed.get("published") or feed.get("updated"))
    papers = []
    for entry in parsed.get("entries", []):
        paper = _paper(entry, day)
        if paper is not None:
            papers.append(paper)
    return day, papers


def _without_c1_controls(content: bytes) -> bytes:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:  # not UTF-8 (arXiv always is): leave it to feedparser
        return content
    return _C1_CONTROLS.sub("", text).encode("utf-8") if _C1_CONTROLS.search(text) else content


def _feed_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None


def _paper(entry: Any, day: date | None) -> Paper | None:
    description = entry.get("summary", "")
    m = _DESCRIPTION.match(description.strip())
    raw_id = m["id"] if m else entry.get("id", "").removeprefix("oai:arXiv.org:")
    try:
        arxiv_id = parse_arxiv_id(raw_id if m is None else f"{m['id']}v{m['ver']}")
    except InvalidArxivId:
        log.warning("skipping a feed item with an unreadable id: %r", raw_id[:80])
        return None
    kind = entry.get("arxiv_announce_type") or (m["type"] if m else "new")
    if kind not in ANNOUNCE_TYPES:
        log.info("skipping %s: announce type %r", arxiv_id, kind)
        return None
    published = _feed_day(entry.get("published")) or day or date.today()
    return Paper(
        arxiv_id=arxiv_id.id,
        version=arxiv_id.version or 1,
        title=clean_text(entry.get("title", "")),
        abstract=clean_text(m["abstract"] if m else description),
        authors=split_authors(entry.get("author", "")),
        categories=tuple(t["term"] for t in entry.get("tags", []) if t.get("term")),
        announce_type=cast(AnnounceType, kind),
        published=published,
        journal_ref=entry.get("arxiv_journal_reference") or None,
        doi=entry.get("arxiv_doi") or None,
    )


def split_authors(creator: str) -> tuple[str, ...]:
    """``"A (Affil, X), B"`` -> ``("A", "B")``: the feed's author element, read by the one
    rule for author fields (:func:`bot.text.author_lists.split_authors`)."""
    return tuple(author_names(creator))


class AnnouncementProvider(Protocol):
    async def fetch(self, categories: Sequence[str]) -> Announcement: ...


class CachedAnnouncements:
    """Today's announcement per category set, kept ``ttl`` seconds: a burst of ``/digest``
    commands costs arXiv one request, not one each."""

    def __init__(self, source: AnnouncementProvider, ttl: float = 1800.0) -> None:
        self._source = source
        self._ttl = ttl
        self._cache: dict[tuple[str, ...], tuple[float, Announcement]] = {}

    async def fetch(self, categories: Sequence[str]) -> Announcement:
        key = tuple(sorted(set(categories)))
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        announcement = await self._source.fetch(key)
        self._cache[key] = (time.monotonic(), announcement)
        return announcement
