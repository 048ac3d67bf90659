"""bot/arxiv/announcements.py against the local fake arXiv (real RSS over real HTTP)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.arxiv.announcements import AnnouncementSource, parse_feed, split_authors
from bot.arxiv.transport import ArxivHttp, ArxivRequestError, ArxivUnavailable, MalformedResponse
from bot.model.papers import Paper
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper

EASTERN = timezone(timedelta(hours=-5))


def paper(
    arxiv_id: str,
    categories: list[str],
    *,
    title: str = "A title",
    abstract: str = "An abstract.",
    authors: list[str] | None = None,
    version: int = 1,
    replaced: bool = False,
    published: datetime | None = None,
) -> FakePaper:
    return FakePaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=authors or ["Ada Lovelace"],
        categories=categories,
        version=version,
        replaced=replaced,
        published=published,
    )


# One paper of each announce type in the cs.AI+cs.LG feed.
NEW_AI = paper("2611.00001", ["cs.AI"], title="New in AI")
NEW_LG_CROSS_AI = paper("2611.00002", ["cs.LG", "cs.AI"], title="LG primary, cross-listed to AI")
CROSS_FROM_MATH = paper("2611.00003", ["math.OC", "cs.LG"], title="Math primary")
REPLACED_AI = paper("2610.00004", ["cs.AI"], version=2, replaced=True, title="Replaced")
REPLACED_OLD_STYLE = paper(
    "hep-th/9901001", ["hep-th", "cs.AI"], version=3, replaced=True, title="Old strings"
)
UNRELATED = paper("2611.00005", ["q-bio.GN"], title="Genomics")
ALL = [NEW_AI, NEW_LG_CROSS_AI, CROSS_FROM_MATH, REPLACED_AI, REPLACED_OLD_STYLE, UNRELATED]


def source(fake: FakeArxiv, http: ArxivHttp, **kwargs: int) -> AnnouncementSource:
    return AnnouncementSource(http, fake.feed_url_template, **kwargs)


def by_id(papers: tuple[Paper, ...]) -> dict[str, Paper]:
    ids = [p.arxiv_id for p in papers]
    assert len(ids) == len(set(ids)), f"a paper twice: {ids}"
    return {p.arxiv_id: p for p in papers}


async def test_all_four_announce_types_in_one_combined_request(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    fake.add(*ALL)
    announcement = await source(fake, http).fetch(["cs.AI", "cs.LG"])

    assert fake.count("rss") == 1
    assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.LG"]
    assert announcement.categories == ("cs.AI", "cs.LG")
    papers = by_id(announcement.papers)
    assert {k: p.announce_type for k, p in papers.items()} == {
        "2611.00001": "new",
        "2611.00002": "new",  # primary cs.LG is in the set
        "2611.00003": "cross",
        "2610.00004": "replace",
        "hep-th/9901001": "replace-cross",
    }
    replaced = papers["2610.00004"]
    assert (replaced.version, replaced.versioned_id) == (2, "2610.00004v2")
    old = papers["hep-th/9901001"]
    assert (old.version, old.categories, old.title) == (3, ("hep-th", "cs.AI"), "Old strings")
    assert papers["2611.00002"].categories == ("cs.LG", "cs.AI")
    assert papers["2611.00002"].primary_category == "cs.LG"


async def test_announce_types_are_relative_to_the_requested_set(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    fake.add(*ALL)
    src = source(fake, http)

    ai = by_id((await src.fetch(["cs.AI"])).papers)
    assert {k: p.announce_type for k, p in ai.items()} == {
        "2611.00001": "new",
        "2611.00002": "cross",  # cs.LG primary: a cross-list in the cs.AI feed alone
        "2610.00004": "replace",
        "hep-th/9901001": "replace-cross",
    }
    lg = by_id((await src.fetch(["cs.LG"])).papers)
    assert {k: p.announce_type for k, p in lg.items()} == {
        "2611.00002": "new",
        "2611.00003": "cross",
    }
    whole_archive = by_id((await src.fetch(["cs"])).papers)
    assert whole_archive["2611.00002"].announce_type == "new"
    assert whole_archive["2611.00003"].announce_type == "cross"
    hep = by_id((await src.fetch(["hep-th", "cs.AI"])).papers)
    assert hep["hep-th/9901001"].announce_type == "replace"
    assert [r.path for r in fake.requests] == [
        "/rss/cs.AI",
        "/rss/cs.LG",
        "/rss/cs",
        "/rss/hep-th+cs.AI",
    ]


async def test_duplicate_categories_are_requested_once(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(NEW_AI)
    announcement = await source(fake, http).fetch(["cs.AI", "cs.LG", "cs.AI"])
    assert announcement.categories == ("cs.AI", "cs.LG")
    assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.LG"]


async def test_empty_day_is_an_empty_announcement(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(UNRELATED)  # nothing in cs.AI or cs.LG today
    fake.announce_date = datetime(2026, 11, 28, tzinfo=EASTERN)  # a Saturday
    announcement = await source(fake, http).fetch(["cs.AI", "cs.LG"])
    assert announcement.papers == ()
    assert announcement.day == date(2026, 11, 28)
    assert fake.count("rss") == 1


async def test_announcement_day_comes_from_the_feed_pubdate(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    submitted = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    fake.add(paper("2611.00001", ["cs.AI"], published=submitted))
    # Midnight Eastern on the 25th is 05:00 UTC on the 25th; late evening Eastern on the
    # 24th is already the 25th in UTC: the day must be read in the feed's own offset.
    fake.announce_date = datetime(2026, 11, 24, 23, 30, tzinfo=EASTERN)
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert announcement.day == date(2026, 11, 24)
    assert announcement.papers[0].published == date(2026, 11, 20)


async def test_atom_feed_gives_the_same_papers(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(*ALL)
    fake.announce_date = datetime(2026, 11, 25, tzinfo=EASTERN)
    rss = await source(fake, http).fetch(["cs.AI", "cs.LG"])
    atom = await AnnouncementSource(http, fake.atom_url_template).fetch(["cs.AI", "cs.LG"])
    assert atom.day == rss.day == date(2026, 11, 25)
    assert by_id(atom.papers) == by_id(rss.papers)


async def test_503_then_success_retries(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(NEW_AI)
    fake.fail_next("rss", 503)
    started = time.monotonic()
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert [p.arxiv_id for p in announcement.papers] == ["2611.00001"]
    assert fake.count("rss") == 2
    assert time.monotonic() - started >= 1.0  # the fake's Retry-After: 1 is honoured


async def test_500s_then_success_within_the_retry_budget(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(NEW_AI)
    fake.fail_next("rss", 500, 502)
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert len(announcement.papers) == 1
    assert fake.count("rss") == 3


async def test_503_forever_is_arxiv_unavailable(fake: FakeArxiv) -> None:
    fake.add(NEW_AI)
    fake.fail_next("rss", *[503] * 10)
    http = ArxivHttp(interval=0, retries=1, retry_delay=0.01)  # Retry-After: 1 costs a second
    try:
        with pytest.raises(ArxivUnavailable, match=r"HTTP 503 after 2 attempts"):
            await source(fake, http).fetch(["cs.AI"])
    finally:
        await http.aclose()
    assert fake.count("rss") == 2


async def test_5xx_forever_uses_every_retry(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.fail_next("rss", *[502] * 10)
    with pytest.raises(ArxivUnavailable, match=r"cs\.AI\+cs\.LG is unavailable"):
        await source(fake, http).fetch(["cs.AI", "cs.LG"])
    assert fake.count("rss") == 3  # retries=2


async def test_malformed_xml_then_success(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(NEW_AI, REPLACED_AI)
    fake.fail_next("rss", 0)  # 200 with truncated XML
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert {p.arxiv_id for p in announcement.papers} == {"2611.00001", "2610.00004"}
    assert fake.count("rss") == 2


async def test_html_error_page_with_200_is_retried_not_an_empty_day(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    fake.add(NEW_AI)
    page = b"<html><head><title>Maintenance</title></head><body>back soon</body></html>"
    fake.fail_next("rss", 0, body=page)
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert len(announcement.papers) == 1
    assert fake.count("rss") == 2


async def test_malformed_forever_is_unavailable(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.fail_next("rss", 0, 0, 0)
    with pytest.raises(ArxivUnavailable, match="malformed answer"):
        await source(fake, http).fetch(["cs.AI"])
    assert fake.count("rss") == 3


async def test_unknown_category_is_a_request_error_without_retries(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    with pytest.raises(ArxivRequestError, match="HTTP 400") as info:
        await source(fake, http).fetch(["cs.XX"])
    assert info.value.status == 400
    assert fake.count("rss") == 1


async def test_result_limit_splits_in_halves_and_merges(
    fake: FakeArxiv, http: ArxivHttp, caplog: pytest.LogCaptureFixture
) -> None:
    lg_replaced = paper("2610.00009", ["cs.LG"], version=2, replaced=True)
    fake.add(NEW_AI, NEW_LG_CROSS_AI, lg_replaced)
    fake.result_limit = 3  # the combined feed is full: it may have been cut
    with caplog.at_level(logging.INFO, logger="bot.arxiv.announcements"):
        announcement = await source(fake, http, result_limit=3).fetch(["cs.AI", "cs.LG"])

    assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.LG", "/rss/cs.AI", "/rss/cs.LG"]
    assert "splitting" in caplog.text
    papers = by_id(announcement.papers)  # 2611.00002 came in both halves: kept once
    assert {k: p.announce_type for k, p in papers.items()} == {
        "2611.00001": "new",
        "2611.00002": "new",  # "cross" in the cs.AI half, "new" for the set
        "2610.00009": "replace",
    }
    assert announcement.day == date(2026, 11, 24)


async def test_result_limit_split_recovers_papers_the_cap_cut(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    ai = [paper(f"2611.0010{i}", ["cs.AI"]) for i in range(3)]
    lg = [paper(f"2611.0020{i}", ["cs.LG", "cs.AI"]) for i in range(2)]
    math = [paper("2611.00300", ["math.OC"])]
    fake.add(*ai, *lg, *math)
    fake.result_limit = 5
    announcement = await source(fake, http, result_limit=5).fetch(["cs.AI", "cs.LG", "math.OC"])
    # cs.AI+cs.LG+math.OC has 6 papers, capped at 5 -> cs.AI (5: full, single category,
    # kept with a warning) and cs.LG+math.OC (3).
    assert [r.path for r in fake.requests] == [
        "/rss/cs.AI+cs.LG+math.OC",
        "/rss/cs.AI",
        "/rss/cs.LG+math.OC",
    ]
    papers = by_id(announcement.papers)
    assert set(papers) == {p.arxiv_id for p in [*ai, *lg, *math]}
    assert {papers[p.arxiv_id].announce_type for p in lg} == {"new"}


async def test_hostile_text_survives_exactly_once_decoded(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    title = (
        "x<y and y>z: <b>bold</b> & AT&T ]]> $\\alpha$ 深度学习 🚀 &amp; &lt;tag&gt; &#65; "
        '<script>alert("x")</script> <![CDATA[c]]>'
    )
    abstract = (
        "We show x<y and y>z & a<b; ]]> breaks CDATA. Let $\\alpha \\in \\mathbb{R}^{n}$ "
        "and $f(x) = \\frac{1}{2}\\|x\\|^2$. 大语言模型的推理 🤖🚀 Zoë naïve. "
        "Literal &amp; stays &amp;, &nbsp; and &#x41; stay literal."
    )
    fake.add(paper("2611.00001", ["cs.AI"], title=title, abstract=abstract))
    [got] = (await source(fake, http).fetch(["cs.AI"])).papers
    assert got.title == title
    assert got.abstract == abstract


async def test_control_and_invisible_characters_are_removed(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    # C0 controls never reach the wire (XML cannot carry them); C1 controls, DEL, zero-width
    # and bidi controls do, and must be dropped without leaving anything in their place.
    title = "A\x00B\x07C\x1bD\x7fE\x80F\x85G\x9fH\u200bI\u202eJ\ufeffK\u2060L"
    fake.add(
        paper(
            "2611.00001",
            ["cs.AI"],
            title=title,
            abstract="start " + title + " end",
            authors=["Zo\u200bë\x85 Q (Affil\x9f, X)", "Bob\x80 Smith"],
        )
    )
    [got] = (await source(fake, http).fetch(["cs.AI"])).papers
    assert got.title == "ABCDEFGHIJKL"
    assert got.abstract == "start ABCDEFGHIJKL end"
    assert got.authors == ("Zoë Q", "Bob Smith")


async def test_whitespace_in_abstracts_and_titles_is_normalised(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    fake.add(
        paper(
            "2611.00001",
            ["cs.AI"],
            title="  Learning\n   to\tLearn  ",
            abstract="\n  We study\nline breaks,\r\n\ttabs   and\u00a0runs  of spaces.\n\n ",
        )
    )
    [got] = (await source(fake, http).fetch(["cs.AI"])).papers
    assert got.title == "Learning to Learn"
    assert got.abstract == "We study line breaks, tabs and runs of spaces."


async def test_authors_with_affiliations_are_split_correctly(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    fake.add(
        paper(
            "2611.00001",
            ["cs.AI"],
            authors=[
                "Ada Lovelace (Analytical Engines, London, UK)",
                "Alan Turing (Bletchley Park, and University of Manchester)",
                "Grace Hopper",
                "Zhang Wei (Dept. of CS (DCS), Tsinghua University, Beijing)",
                "Émilie du Châtelet",
            ],
        )
    )
    [got] = (await source(fake, http).fetch(["cs.AI"])).papers
    assert got.authors == (
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Zhang Wei",
        "Émilie du Châtelet",
    )


async def test_feed_authors_are_read_by_the_one_author_rule(
    fake: FakeArxiv, http: ArxivHttp
) -> None:
    """The feed's author field goes through bot.text.author_lists, the rule author matching
    uses: LaTeX accents become letters and a final "and" separates two authors."""
    fake.add(
        paper(
            "2611.00001",
            ["cs.AI"],
            authors=['Bernhard Sch\\"olkopf (MPI)', "Yann LeCun and Yoshua Bengio"],
        )
    )
    [got] = (await source(fake, http).fetch(["cs.AI"])).papers
    assert got.authors == ("Bernhard Schölkopf", "Yann LeCun", "Yoshua Bengio")


@pytest.mark.parametrize(
    ("creator", "names"),
    [
        ("A B (X, Y), C D", ("A B", "C D")),
        ("A B, C D, E F", ("A B", "C D", "E F")),
        ("A (1), B (2) ((1) Univ X, (2) Univ Y)", ("A", "B")),
        ("A (Lab (L1), Univ), B", ("A", "B")),
        ("Single Author", ("Single Author",)),
        ("A,  , B", ("A", "B")),
        ("", ()),
    ],
)
def test_split_authors(creator: str, names: tuple[str, ...]) -> None:
    assert split_authors(creator) == names


async def test_items_with_unreadable_ids_are_skipped(fake: FakeArxiv, http: ArxivHttp) -> None:
    fake.add(NEW_AI, paper("9999.99999", ["cs.AI"]))  # month 99: not an arXiv id
    announcement = await source(fake, http).fetch(["cs.AI"])
    assert [p.arxiv_id for p in announcement.papers] == ["2611.00001"]


def test_parse_feed_rejects_documents_that_are_not_feeds() -> None:
    for body in (b"", b"not xml at all", b'{"json": true}', b"<rss><channel><title>x"):
        with pytest.raises(MalformedResponse):
            parse_feed(body)


def test_parse_feed_accepts_a_channel_without_items_or_date() -> None:
    body = (
        b"<?xml version='1.0' encoding='UTF-8'?>\n<rss version=\"2.0\"><channel>"
        b"<title>cs.AI updates on arXiv.org</title></channel></rss>"
    )
    assert parse_feed(body) == (None, [])
