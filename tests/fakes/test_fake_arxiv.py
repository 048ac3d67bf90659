"""Self-tests: the fake arXiv speaks the real formats (feedparser, arxiv.Client, pypdf)."""

from __future__ import annotations

import asyncio
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import arxiv
import feedparser
import httpx
import pypdf
import pytest

from tests.fakes.fake_arxiv import FakeArxiv, FakeArxivThread, FakePaper

HOSTILE = "A <b>bold</b> & claim ]]> 🚀 深度学习"

LG_CROSS_AI = FakePaper(
    arxiv_id="2611.01234",
    title="Learning to Learn",
    abstract="We learn.",
    authors=["Ada Lovelace (Analytical Engines, London)", "Alan Turing"],
    categories=["cs.LG", "cs.AI"],
    comment="12 pages",
    journal_ref="J. Mach. Learn. 1 (2026)",
    doi="10.1234/jml.2026.1",
)
AI_REPLACED = FakePaper(
    arxiv_id="2610.00007",
    title="Old but new",
    abstract="Revised.",
    authors=["Grace Hopper"],
    categories=["cs.AI"],
    version=3,
    replaced=True,
)
LG_REPLACED = FakePaper(
    arxiv_id="hep-th/9901001",
    title="Strings",
    abstract="Vibrations.",
    authors=["Ed Witten"],
    categories=["hep-th", "cs.AI"],
    version=2,
    replaced=True,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv([LG_CROSS_AI, AI_REPLACED, LG_REPLACED]) as f:
        yield f


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def rss(http: httpx.AsyncClient, fake: FakeArxiv, cats: str) -> feedparser.FeedParserDict:
    r = await http.get(fake.feed_url_template.format(categories=cats))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    d = feedparser.parse(r.content)
    assert not d.bozo
    return d


def types(d: feedparser.FeedParserDict) -> dict[str, str]:
    return {e.id: e.arxiv_announce_type for e in d.entries}


async def test_rss_item_layout(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    d = await rss(http, fake, "cs.AI+cs.LG")
    assert d.feed.title == "cs.AI, cs.LG updates on arXiv.org"
    e = d.entries[0]
    assert e.id == "oai:arXiv.org:2611.01234v1"
    assert e.link == "https://arxiv.org/abs/2611.01234"
    assert e.summary == "arXiv:2611.01234v1 Announce Type: new \nAbstract: We learn."
    assert [t.term for t in e.tags] == ["cs.LG", "cs.AI"]
    assert e.author == "Ada Lovelace (Analytical Engines, London), Alan Turing"
    assert e.arxiv_doi == "10.1234/jml.2026.1"
    assert e.arxiv_journal_reference == "J. Mach. Learn. 1 (2026)"
    assert e.rights == "http://creativecommons.org/licenses/by/4.0/"
    assert e.published_parsed[:4] == (2026, 11, 24, 5)  # midnight Eastern, in UTC
    days = ET.fromstring((await http.get(fake.base_url + "/rss/cs.AI")).content)
    assert [x.text for x in days.findall("./channel/skipDays/day")] == ["Saturday", "Sunday"]


async def test_announce_type_is_relative_to_requested_set(
    fake: FakeArxiv, http: httpx.AsyncClient
) -> None:
    both = types(await rss(http, fake, "cs.AI+cs.LG"))
    assert both["oai:arXiv.org:2611.01234v1"] == "new"
    assert both["oai:arXiv.org:2610.00007v3"] == "replace"
    assert both["oai:arXiv.org:hep-th/9901001v2"] == "replace-cross"
    ai = types(await rss(http, fake, "cs.ai"))  # case-insensitive
    assert ai["oai:arXiv.org:2611.01234v1"] == "cross"
    whole_archive = types(await rss(http, fake, "cs"))
    assert whole_archive["oai:arXiv.org:2611.01234v1"] == "new"
    assert types(await rss(http, fake, "hep-th")) == {"oai:arXiv.org:hep-th/9901001v2": "replace"}
    assert (await rss(http, fake, "math.AP")).entries == []


async def test_hostile_text_round_trips(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    fake.papers[:] = [
        FakePaper("2611.00001", HOSTILE, HOSTILE + "\x00\x0b", ["Zoë & Co <x>"], ["cs.AI"])
    ]
    for route in ("rss", "atom"):
        d = feedparser.parse((await http.get(f"{fake.base_url}/{route}/cs.AI")).content)
        assert not d.bozo, route
        e = d.entries[0]
        assert e.title == HOSTILE
        assert e.summary.endswith("\nAbstract: " + HOSTILE)  # control characters dropped
        assert e.author == "Zoë & Co <x>"


async def test_feedparser_treats_description_as_html(
    fake: FakeArxiv, http: httpx.AsyncClient
) -> None:
    """Not a fake bug: arXiv escapes the abstract once, and feedparser sanitises it as HTML."""
    fake.papers[:] = [FakePaper("2611.00002", "T", "x<y and y>z", ["A"], ["cs.AI"])]
    body = (await http.get(fake.base_url + "/rss/cs.AI")).content
    raw = ET.fromstring(body).find("./channel/item/description")
    assert raw is not None
    assert raw.text is not None
    assert raw.text.endswith("x<y and y>z")
    assert feedparser.parse(body).entries[0].summary.endswith("Abstract: xz")


async def test_fail_next_then_success(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    fake.fail_next("rss", 503, 0)
    url = fake.feed_url_template.format(categories="cs.AI")
    r = await http.get(url)
    assert r.status_code == 503
    r = await http.get(url)
    assert r.status_code == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(r.content)
    assert feedparser.parse(r.content).bozo
    assert (await rss(http, fake, "cs.AI")).entries
    assert fake.count("rss") == 3


async def test_invalid_categories_are_400(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    for cats in ("cs.xx", "cs.AI+cs.XX", "cs..AI", "cs.AI+", "1234"):
        r = await http.get(fake.base_url + "/rss/" + cats)
        assert r.status_code == 400, cats
        assert feedparser.parse(r.content).feed.title.startswith("Feed error for query:")
    r = await http.get(fake.base_url + "/atom/cs.xx")
    assert r.status_code == 400
    assert feedparser.parse(r.content).feed.title.startswith("Feed error for query:")


async def test_result_limit(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    fake.result_limit = 2
    assert len((await rss(http, fake, "cs")).entries) == 2


async def test_atom_feed(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    r = await http.get(fake.base_url + "/atom/cs.AI")
    assert r.headers["content-type"].startswith("application/atom+xml")
    d = feedparser.parse(r.content)
    assert d.version == "atom10"
    assert types(d)["oai:arXiv.org:2611.01234v1"] == "cross"


def client_for(fake: FakeArxiv, page_size: int = 10, retries: int = 0) -> arxiv.Client:
    client = arxiv.Client(page_size=page_size, delay_seconds=0, num_retries=retries)
    client.query_url_format = fake.api_url + "?{}"
    return client


def run_search(fake: FakeArxiv, search: arxiv.Search, **kw: int) -> list[arxiv.Result]:
    return list(client_for(fake, **kw).results(search))


async def test_arxiv_client_reads_api(fake: FakeArxiv) -> None:
    search = arxiv.Search(id_list=["2611.01234", "2611.99999", "2610.00007v3"])
    results = await asyncio.to_thread(run_search, fake, search)
    r = results[0]
    assert [x.get_short_id() for x in results] == ["2611.01234v1", "2610.00007v3"]
    assert r.entry_id.endswith("/abs/2611.01234v1")
    assert r.title == "Learning to Learn"
    assert r.summary == "We learn."
    assert [a.name for a in r.authors] == ["Ada Lovelace", "Alan Turing"]
    assert r.authors[0].affiliation == ["Analytical Engines", "London"]
    assert (r.primary_category, r.categories) == ("cs.LG", ["cs.LG", "cs.AI"])
    assert (r.comment, r.journal_ref, r.doi) == (
        "12 pages",
        "J. Mach. Learn. 1 (2026)",
        "10.1234/jml.2026.1",
    )
    assert r.pdf_url is not None
    assert r.pdf_url.endswith("/pdf/2611.01234v1")
    assert fake.requests[-1].headers["User-Agent"].startswith("arxiv.py/")


async def test_api_search_paging_and_errors(fake: FakeArxiv) -> None:
    fake.api_papers.append(
        FakePaper("2501.00001", "Only in the API", "Deep stuff.", ["X"], ["stat.ML"])
    )
    query = arxiv.Search(query="cat:cs.AI OR (ti:api ANDNOT abs:shallow)", max_results=None)
    results = await asyncio.to_thread(run_search, fake, query, page_size=2)
    assert len(results) == 4
    assert fake.requests[-1].query["start"] == "2"
    fake.api_error_next("incorrect id format for 1234")
    assert await asyncio.to_thread(run_search, fake, arxiv.Search(id_list=["2611.01234"])) == []
    fake.fail_next("api", 503, 503)
    with pytest.raises(arxiv.HTTPError):
        await asyncio.to_thread(run_search, fake, arxiv.Search(id_list=["2611.01234"]), retries=1)
    fake.empty_api_page_next(1)  # an empty FIRST page just ends the results
    assert await asyncio.to_thread(run_search, fake, arxiv.Search(query="cat:cs.AI")) == []

    def empty_second_page() -> None:
        it = client_for(fake, page_size=2).results(arxiv.Search(query="cat:cs.AI"))
        next(it)  # fetches page 1 (2 of 3 results)
        fake.empty_api_page_next()
        list(it)

    with pytest.raises(arxiv.UnexpectedEmptyPageError):
        await asyncio.to_thread(empty_second_page)


async def test_pdf_text_is_extractable(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    text = "Intro (with parens) and a back\\slash, café. " + "lorem ipsum " * 600 + "THE END"
    fake.add(FakePaper("2611.00003", "P", "A", ["A"], ["cs.AI"], pdf_text=text))
    r = await http.get(fake.pdf_url_template.format(id="2611.00003v1"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) > 1
    extracted = " ".join(p.extract_text() for p in reader.pages)
    assert " ".join(extracted.split()) == " ".join(text.split())
    assert (await http.get(fake.pdf_url_template.format(id="2611.01234"))).status_code == 404
    assert (await http.get(fake.pdf_url_template.format(id="2611.00003v2"))).status_code == 404
    assert (await http.get(fake.pdf_url_template.format(id="9999.99999"))).status_code == 404


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.found: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(dict(attrs).get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for cls in self.stack[-2:]:
            for c in cls.split():
                self.found.setdefault(c, []).append(data)


async def test_html_rendering(fake: FakeArxiv, http: httpx.AsyncClient) -> None:
    body = "Preface.\n# Introduction\nWe study <tags> & more.\n\nSecond para.\n# Method\nDo it."
    fake.add(FakePaper("2611.00004", HOSTILE, "Abs.", ["A"], ["cs.AI"], html=body))
    r = await http.get(fake.html_url_template.format(id="2611.00004v1"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    parser = _Collect()
    parser.feed(r.text)
    assert "".join(parser.found["ltx_title_document"]) == HOSTILE
    sections = [re.sub(r"\s+", " ", h) for h in parser.found["ltx_title_section"]]
    assert "".join(sections) == "1 Introduction2 Method"
    assert "We study <tags> & more." in parser.found["ltx_p"]
    assert (await http.get(fake.html_url_template.format(id="2611.01234"))).status_code == 404


async def test_delay_causes_client_timeout(fake: FakeArxiv) -> None:
    fake.delay = 30
    async with httpx.AsyncClient(timeout=0.2) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get(fake.feed_url_template.format(categories="cs.AI"))
    fake.delay = 0


def test_thread_variant() -> None:
    with FakeArxivThread([LG_CROSS_AI]) as fake:
        r = httpx.get(fake.feed_url_template.format(categories="cs.AI"))
        assert feedparser.parse(r.content).entries[0].arxiv_announce_type == "cross"
        results = run_search(fake, arxiv.Search(id_list=["2611.01234"]))
        assert results[0].title == "Learning to Learn"
        assert fake.count("rss") == fake.count("api") == 1
