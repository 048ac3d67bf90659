"""bot/arxiv/api.py (the ``arxiv`` package, wrapped) against the local fake export API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from bot.arxiv.api import ArxivApi
from bot.arxiv.ids import parse_arxiv_id
from bot.arxiv.transport import ArxivHttp, ArxivRequestError, ArxivUnavailable
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper

LEARNING = FakePaper(
    arxiv_id="2611.01234",
    title="Learning  to\n  Learn: x<y & 深度学习 🚀",
    abstract="  Line one with $\\alpha$.\nLine two & x<y.\n",
    authors=["Ada Lovelace (Analytical Engines, London)", "Alan Turing"],
    categories=["cs.LG", "cs.AI"],
    version=3,
    replaced=True,
    published=datetime(2026, 11, 20, 18, 0, tzinfo=UTC),
    comment="12 pages,\n 3 figures",
    journal_ref="J. Mach. Learn. 1 (2026)",
    doi="10.1234/jml.2026.1",
)
STRINGS = FakePaper(
    arxiv_id="hep-th/9901001",
    title="Strings",
    abstract="Vibrations.",
    authors=["Ed Witten"],
    categories=["hep-th"],
)


@pytest.fixture
async def api(fake: FakeArxiv, http: ArxivHttp) -> AsyncIterator[ArxivApi]:
    fake.api_papers.extend([LEARNING, STRINGS])
    client = ArxivApi(http, fake.api_url, timeout=0.2)
    try:
        yield client
    finally:
        client.close()


async def test_get_latest_version(fake: FakeArxiv, api: ArxivApi) -> None:
    paper = await api.get("2611.01234")
    assert paper is not None
    assert (paper.arxiv_id, paper.version) == ("2611.01234", 3)
    assert paper.title == "Learning to Learn: x<y & 深度学习 🚀"
    assert paper.abstract == "Line one with $\\alpha$. Line two & x<y."
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.categories == ("cs.LG", "cs.AI")
    assert paper.primary_category == "cs.LG"
    assert paper.announce_type == "replace"
    assert paper.published == date(2026, 11, 20)
    assert paper.comment == "12 pages, 3 figures"
    assert paper.journal_ref == "J. Mach. Learn. 1 (2026)"
    assert paper.doi == "10.1234/jml.2026.1"
    [request] = [r for r in fake.requests if r.route == "api"]
    assert request.query["id_list"] == "2611.01234"


async def test_get_a_given_version(fake: FakeArxiv, api: ArxivApi) -> None:
    paper = await api.get("2611.01234v2")
    assert paper is not None
    assert (paper.arxiv_id, paper.version, paper.versioned_id) == ("2611.01234", 2, "2611.01234v2")
    assert fake.requests[-1].query["id_list"] == "2611.01234v2"


async def test_get_accepts_parsed_ids_urls_and_old_style(api: ArxivApi) -> None:
    by_url = await api.get("https://arxiv.org/abs/2611.01234v1")
    assert by_url is not None
    assert by_url.versioned_id == "2611.01234v1"
    assert by_url.announce_type == "new"
    old = await api.get(parse_arxiv_id("hep-th/9901001"))
    assert old is not None
    assert (old.arxiv_id, old.version, old.categories) == ("hep-th/9901001", 1, ("hep-th",))


async def test_get_many_keeps_every_paper(api: ArxivApi) -> None:
    papers = await api.get_many([parse_arxiv_id("2611.01234"), parse_arxiv_id("hep-th/9901001")])
    assert sorted(p.arxiv_id for p in papers) == ["2611.01234", "hep-th/9901001"]
    assert await api.get_many([]) == []


async def test_unknown_id_is_none(fake: FakeArxiv, api: ArxivApi) -> None:
    assert await api.get("2611.99999") is None
    assert await api.get("2611.01234v9") is None  # a version that does not exist yet
    assert fake.count("api") == 4  # an empty answer is asked again once


async def test_invalid_id_is_rejected_before_any_request(fake: FakeArxiv, api: ArxivApi) -> None:
    with pytest.raises(ValueError, match="Accepted forms"):
        await api.get("2611.1234")
    assert fake.count("api") == 0


async def test_api_error_entry_is_a_request_error(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.api_error_next("incorrect id format for 2611.01234")
    with pytest.raises(ArxivRequestError, match=r"incorrect id format for 2611\.01234") as info:
        await api.get("2611.01234")
    assert info.value.status == 400
    assert fake.count("api") == 1
    paper = await api.get("2611.01234")  # the next answer is a normal one again
    assert paper is not None


async def test_503_then_success(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.fail_next("api", 503, 503)
    paper = await api.get("2611.01234")
    assert paper is not None
    assert paper.version == 3
    assert fake.count("api") == 3  # retries=2


async def test_503_forever_is_unavailable(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.fail_next("api", *[503] * 10)
    with pytest.raises(ArxivUnavailable, match="HTTP 503"):
        await api.get("2611.01234")
    assert fake.count("api") == 3  # one try and two retries, then give up


async def test_4xx_is_a_request_error(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.fail_next("api", 400, 400, 400)
    with pytest.raises(ArxivRequestError, match="HTTP 400") as info:
        await api.get("2611.01234")
    assert info.value.status == 400


async def test_slow_answer_times_out_as_unavailable(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.delay = 2.0  # ten times the client's 0.2 s timeout
    with pytest.raises(ArxivUnavailable, match="Timeout"):
        await api.get("2611.01234")
    assert fake.count("api") >= 1


async def test_empty_first_page_once_then_success(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.empty_api_page_next(1)
    paper = await api.get("2611.01234")
    assert paper is not None
    assert paper.arxiv_id == "2611.01234"
    assert fake.count("api") == 2


async def test_empty_first_page_twice_is_none(fake: FakeArxiv, api: ArxivApi) -> None:
    fake.empty_api_page_next(2)
    assert await api.get("2611.01234") is None
    assert fake.count("api") == 2


async def test_search(fake: FakeArxiv, api: ArxivApi) -> None:
    found = await api.search("ti:learn", max_results=5)
    assert [p.arxiv_id for p in found] == ["2611.01234"]
    assert fake.requests[-1].query["search_query"] == "ti:learn"
