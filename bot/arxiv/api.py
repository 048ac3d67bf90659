"""Look-ups by id and searches through arXiv's export API, with the ``arxiv`` package.

The package is blocking and has no timeout of its own, and it turns an API error (an Atom entry
titled ``Error``) into an empty result. This wrapper runs it in a worker thread inside the
shared :class:`ArxivHttp` turn, gives its session a timeout, and tells "not found" from
"arXiv refused the query".
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

import arxiv
import requests

from bot.arxiv.ids import ArxivId, parse_arxiv_id
from bot.arxiv.transport import ArxivHttp, ArxivRequestError, ArxivUnavailable
from bot.model.papers import Paper
from bot.text.unicode import clean_text

log = logging.getLogger(__name__)

_ERROR_SUMMARY = re.compile(rb"api/errors#[^<]*</id>.*?<summary>(?P<msg>[^<]*)</summary>", re.S)


class _TimeoutSession(requests.Session):
    """A session that always has a timeout and remembers the last body (for error entries)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last_body = b""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(*args, **kwargs)
        self.last_body = response.content
        return response


class ArxivApi:
    """Paper metadata by id (``ARXIV_API_URL``)."""

    def __init__(self, http: ArxivHttp, api_url: str, *, timeout: float = 30.0) -> None:
        self._http = http
        self._session = _TimeoutSession(timeout)
        self._client = arxiv.Client(
            page_size=50, delay_seconds=http.interval, num_retries=http.retries
        )
        self._client.query_url_format = api_url + "?{}"
        self._client._session = self._session

    def close(self) -> None:
        self._session.close()

    async def get(self, arxiv_id: ArxivId | str) -> Paper | None:
        """The paper (the requested version, or the latest), or None when arXiv has no such id."""
        wanted = arxiv_id if isinstance(arxiv_id, ArxivId) else parse_arxiv_id(arxiv_id)
        found = await self.get_many([wanted])
        return found[0] if found else None

    async def get_many(self, ids: Sequence[ArxivId]) -> list[Paper]:
        if not ids:
            return []
        search = arxiv.Search(id_list=[i.versioned for i in ids], max_results=len(ids))
        results = await self._run(search)
        if not results:  # arXiv's API sometimes answers an empty page by mistake: ask again
            results = await self._run(search)
        return [_paper(r) for r in results]

    async def search(self, query: str, max_results: int = 20) -> list[Paper]:
        search = arxiv.Search(
            query=query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
        )
        return [_paper(r) for r in await self._run(search)]

    async def _run(self, search: arxiv.Search) -> list[arxiv.Result]:
        async with self._http.turn():
            try:
                results = await asyncio.to_thread(lambda: list(self._client.results(search)))
            except arxiv.HTTPError as exc:
                if 400 <= exc.status < 500 and exc.status != 429:
                    raise ArxivRequestError(
                        f"arXiv API answered HTTP {exc.status}", exc.status
                    ) from None
                raise ArxivUnavailable(f"arXiv API is unavailable (HTTP {exc.status})") from None
            except (arxiv.ArxivError, requests.RequestException) as exc:
                raise ArxivUnavailable(
                    f"arXiv API is unavailable ({type(exc).__name__})"
                ) from None
        if not results and (m := _ERROR_SUMMARY.search(self._session.last_body)):
            message = m["msg"].decode("utf-8", "replace").strip()
            raise ArxivRequestError(f"arXiv API refused the query: {message}", 400)
        return results


def _paper(result: arxiv.Result) -> Paper:
    arxiv_id = parse_arxiv_id(result.get_short_id())
    version = arxiv_id.version or 1
    primary = result.primary_category
    categories = (primary, *(c for c in result.categories if c != primary))
    return Paper(
        arxiv_id=arxiv_id.id,
        version=version,
        title=clean_text(result.title),
        abstract=clean_text(result.summary),
        authors=tuple(clean_text(a.name) for a in result.authors),
        categories=categories,
        announce_type="new" if version == 1 else "replace",
        published=result.published.date(),
        comment=clean_text(result.comment) if result.comment else None,
        journal_ref=clean_text(result.journal_ref) if result.journal_ref else None,
        doi=result.doi or None,
    )
