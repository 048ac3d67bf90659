"""The legacy service's URLs on the HTTP port: ``/``, ``/rss``, ``/rss/<categories>``,
``/atom``, ``/atom/<categories>``, read from the stored announcement only, with the caching
headers feed readers rely on, and a plain 404 for anything else."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser

import pytest

from adapters.http.feed_routes import MAX_AGE
from bot.model.store import Batch
from bot.model.subscriptions import Subscription
from tests.environment import clean_environ
from tests.feeds.conftest import Answer, OpenWorld, World, raw_request
from tests.feeds.support import (
    COMMAND,
    DAY1,
    DAY1_DEFAULT_IDS,
    DAY1_PAPERS,
    FETCHED1,
    OPERATOR_ENV,
    PLATFORM,
    Done,
    announced_day,
    entry_html,
    entry_ids,
    free_port,
    paper,
    parse_feed,
    visible,
)

TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
DAY2 = DAY1 + timedelta(days=1)
FETCHED2 = FETCHED1 + timedelta(days=1)
QUANTUM_LLM = paper(
    "2611.00101", "Quantum LLM inference", "An LLM on qubits.", "cs.LG", "quant-ph"
)


def ids(answer: Answer, fmt: str) -> list[str]:
    assert answer.status == 200, answer.body[:200]
    return [i.removeprefix("arXiv:") for i in entry_ids(parse_feed(answer.body, fmt))]


def assert_plain_404(answer: Answer, *words: str) -> None:
    assert answer.status == 404
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = answer.text
    assert text.endswith("\n"), repr(text)
    assert text.count("\n") == 1, repr(text)  # one line
    assert text.strip(), repr(text)
    assert all(ch.isprintable() for ch in text.strip()), repr(text)
    for word in words:
        assert word in text


async def test_index_page_lists_the_feeds(world: World, day1: Batch) -> None:
    answer = await world.get("/")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    hrefs = re.findall(r'href="([^"]+)"', answer.text)
    assert hrefs == ["/rss", "/atom", "/rss/cs.AI+cs.LG+cs.CL", "/atom/cs.AI+cs.LG+cs.CL"]
    assert "/feed" in answer.text  # how to get a private feed
    for href in hrefs:  # every listed feed answers
        fmt = href.split("/")[1]
        assert ids(await world.get(href), fmt) == DAY1_DEFAULT_IDS


@pytest.mark.parametrize("fmt", ["rss", "atom"])
async def test_the_default_feed_and_its_headers(world: World, day1: Batch, fmt: str) -> None:
    answer = await world.get(f"/{fmt}")
    assert ids(answer, fmt) == DAY1_DEFAULT_IDS
    assert answer.headers["Content-Type"] == f"{TYPES[fmt]}; charset=utf-8"
    assert f"max-age={MAX_AGE}" in answer.headers["Cache-Control"]
    assert MAX_AGE > 0
    assert re.fullmatch(r'(W/)?"[^"]+"', answer.headers["ETag"])
    assert parsedate_to_datetime(answer.headers["Last-Modified"]) == FETCHED1
    parsed = parse_feed(answer.body, fmt)
    assert parsed.feed.title == "arXiv digest: cs.AI, cs.LG, cs.CL"
    # the feed's own address is under PUBLIC_URL
    assert any(link.href == f"https://feeds.example.org/arxiv/{fmt}" for link in parsed.feed.links)
    assert {announced_day(e) for e in parsed.entries} == {day1.day}
    # HEAD answers the same headers without a body
    head = await world.get(f"/{fmt}", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["ETag"] == answer.headers["ETag"]


async def digest_json(world: World, *categories: str) -> list[str]:
    """``arxiv-bot digest --format json`` with the operator's settings, against the same fake
    arXiv, for these categories."""
    base = world.arxiv.base_url
    env = clean_environ(
        **OPERATOR_ENV,
        ARXIV_FEED_URL=world.arxiv.feed_url_template,
        ARXIV_API_URL=f"{base}/api/query",
        ARXIV_PDF_URL=f"{base}/pdf/{{id}}",
        ARXIV_HTML_URL=f"{base}/html/{{id}}",
        OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        DATABASE_URL=f"sqlite:///{world.db_path.parent}/cli.db",
        ARXIV_BOT_ARXIV_REQUEST_INTERVAL="0",
    )
    args = [arg for c in categories for arg in ("--category", c)]
    proc = await asyncio.create_subprocess_exec(
        *COMMAND, "digest", *args, "--format", "json",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    done = Done(proc.returncode or 0, out, err.decode("utf-8", "replace"))
    assert done.code == 0, done.stderr
    return [p["arxiv_id"] for p in json.loads(out)["papers"]]


async def test_categories_in_any_case_match_the_digest_command(world: World, day1: Batch) -> None:
    """With the stored batch being that announcement, ``/rss/<categories>`` is what
    ``arxiv-bot digest`` prints for those categories with the same settings."""
    lg_cl, ai = await asyncio.gather(
        digest_json(world, "cs.LG", "cs.CL"), digest_json(world, "cs.AI")
    )
    assert lg_cl == ["2611.00001", "2611.00002"]
    assert ai == ["2611.00004"]  # 2611.00001 is a cross-list in cs.AI
    assert ids(await world.get("/rss/cs.LG+cs.CL"), "rss") == lg_cl
    assert ids(await world.get("/rss/cs.lg+CS.CL"), "rss") == lg_cl
    assert ids(await world.get("/atom/CS.Lg+cs.cl"), "atom") == lg_cl
    assert ids(await world.get("/rss/cs.CL+cs.LG+cs.lg"), "rss") == lg_cl  # order, repeats
    assert ids(await world.get("/rss/cs.ai"), "rss") == ai
    assert ids(await world.get("/atom/CS.AI"), "atom") == ai
    assert ids(await world.get("/rss"), "rss") == DAY1_DEFAULT_IDS


async def test_whole_archives_are_allowed(world: World) -> None:
    # A chat follows all of cs, so the stored announcement holds every cs paper.
    await world.services.store.save_subscription(
        Subscription(PLATFORM, "archivist", "private", "archivist", categories=("cs",))
    )
    batch = await world.announce(DAY1_PAPERS, DAY1, FETCHED1)
    assert "cs" in batch.categories
    expected = ["2611.00001", "2611.00008", "2611.00002", "2611.00004"]  # new in cs, by score
    assert ids(await world.get("/rss/cs"), "rss") == expected
    assert ids(await world.get("/atom/CS"), "atom") == expected
    assert ids(await world.get("/rss/cs.CV"), "rss") == ["2611.00008"]
    assert ids(await world.get("/rss/math"), "rss") == ["2611.00006"]  # new in math
    empty = await world.get("/rss/q-bio.GN")  # nothing announced there: an empty feed
    assert ids(empty, "rss") == []


@pytest.mark.parametrize("fmt", ["rss", "atom"])
async def test_unknown_categories_and_too_many_are_404(
    world: World, day1: Batch, fmt: str
) -> None:
    assert_plain_404(await world.get(f"/{fmt}/cs.XX"), "unknown", "cs.XX")
    assert_plain_404(await world.get(f"/{fmt}/cs.AI+nope"), "unknown", "nope")
    assert_plain_404(await world.get(f"/{fmt}/+"), "categories")
    too_many = "+".join(["cs.AI", "cs.LG", "cs.CL"] * 7)  # 21
    assert_plain_404(await world.get(f"/{fmt}/{too_many}"), "20")
    assert (await world.get(f"/{fmt}/{'+'.join(['cs.AI', 'cs.LG'] * 10)}")).status == 200


async def test_conditional_get_answers_304_until_a_new_batch(world: World, day1: Batch) -> None:
    for path in ("/rss", "/atom/cs.LG+cs.CL"):
        first = await world.get(path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

        same = await world.get(path, **{"If-None-Match": etag})
        assert same.status == 304
        assert same.body == b""
        assert same.headers["ETag"] == etag
        assert "max-age" in same.headers["Cache-Control"]
        listed = await world.get(path, **{"If-None-Match": f'"other", {etag}'})
        assert listed.status == 304
        assert (await world.get(path, **{"If-Modified-Since": modified})).status == 304
        later = format_datetime(FETCHED1 + timedelta(hours=3), usegmt=True)
        assert (await world.get(path, **{"If-Modified-Since": later})).status == 304
        earlier = format_datetime(FETCHED1 - timedelta(seconds=1), usegmt=True)
        assert (await world.get(path, **{"If-Modified-Since": earlier})).status == 200
        assert (await world.get(path, **{"If-Modified-Since": "garbage"})).status == 200
        other = await world.get(path, **{"If-None-Match": '"something-else"'})
        assert other.status == 200
        assert other.body == first.body
        # If-None-Match wins over If-Modified-Since
        both = await world.get(path, **{"If-None-Match": '"x"', "If-Modified-Since": later})
        assert both.status == 200

    before = await world.get("/rss")
    day2 = [QUANTUM_LLM, *DAY1_PAPERS[4:]]
    await world.announce(day2, DAY2, FETCHED2)

    after = await world.get("/rss", **{"If-None-Match": before.headers["ETag"]})
    assert after.status == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert parsedate_to_datetime(after.headers["Last-Modified"]) == FETCHED2
    assert ids(after, "rss") == ["2611.00101"]
    modified_since = await world.get(
        "/rss", **{"If-Modified-Since": before.headers["Last-Modified"]}
    )
    assert modified_since.status == 200
    again = await world.get("/rss", **{"If-None-Match": after.headers["ETag"]})
    assert again.status == 304


@pytest.mark.parametrize(
    "header",
    [
        "W/{etag}",  # a proxy that compressed the feed made the tag weak
        '"other", W/{etag}',
        'W/"other",{etag}',
        '"a,b", {etag}',  # a comma inside a quoted tag is not a separator
        "*",
    ],
)
async def test_if_none_match_compares_weakly_and_honours_lists_and_star(
    world: World, day1: Batch, header: str
) -> None:
    first = await world.get("/rss")
    etag = first.headers["ETag"]
    answer = await world.get("/rss", **{"If-None-Match": header.format(etag=etag)})
    assert answer.status == 304
    assert answer.body == b""
    assert answer.headers["ETag"] == etag


@pytest.mark.parametrize("header", ['W/"other"', '"other", W/"another"', "garbage"])
async def test_if_none_match_without_our_tag_gets_the_feed(
    world: World, day1: Batch, header: str
) -> None:
    first = await world.get("/rss")
    answer = await world.get("/rss", **{"If-None-Match": header})
    assert answer.status == 200
    assert answer.body == first.body


async def test_feed_requests_make_no_outbound_request(world: World, day1: Batch) -> None:
    # A summary exists for the top paper: the feed shows it from the cache.
    top = await world.services.store.get_paper("2611.00001")
    assert top is not None
    summary = await world.services.summarizer.summary(top, "en")
    before = world.outbound()
    assert before[1] == 1

    paths = [
        "/", "/rss", "/atom", "/rss/cs.AI", "/atom/cs.LG+cs.CL", "/rss/cs", "/rss/math.OC",
        "/atom/q-bio", "/rss/physics.optics+astro-ph", "/rss/stat.ML", "/rss/cs.XX",
        "/feed/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "/feed/short",
    ]  # fmt: skip
    answers = await asyncio.gather(*(world.get(p) for _ in range(5) for p in paths))
    assert {a.status for a in answers} == {200, 404}
    for _ in range(3):
        for path in ("/rss", "/atom/cs.ai"):
            await world.get(path, method="HEAD")
            etag = (await world.get(path)).headers["ETag"]
            assert (await world.get(path, **{"If-None-Match": etag})).status == 304
    assert world.outbound() == before
    shown, _ = visible(entry_html(parse_feed((await world.get("/rss")).body, "rss").entries[0]))
    assert f"TL;DR: {summary.tldr}" in shown  # read from the cache


WEIRD = [  # (request line and headers, expected status)
    (b"GET /rss/%00 HTTP/1.1", 404),
    (b"GET /rss/a%0Ab%0D%0AX-Injected:%201 HTTP/1.1", 404),
    (b"GET /atom/%ff%fe HTTP/1.1", 404),
    (b"GET /rss/%E4%B8%AD%F0%9F%A4%96 HTTP/1.1", 404),
    (b"GET /feed/../../etc/passwd HTTP/1.1", 404),
    (b"GET /feed/..%2F..%2Fetc%2Fpasswd HTTP/1.1", 404),
    (b"GET /feed/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd%00xxxxxxxx HTTP/1.1", 404),
    (b"GET /rss/..%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1", 404),
    (b"GET /rss/" + b"cs.AI+" * 1300 + b"cs.LG HTTP/1.1", 404),
    (b"GET /atom/" + b"x" * 7000 + b" HTTP/1.1", 404),
    (b"GET /rss/cs.AI;drop HTTP/1.1", 404),
    (b"GET /rss/%25%32%65 HTTP/1.1", 404),
    (b"GET /feed/%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00 HTTP/1.1", 404),
    (b"GET /feed/%27%20OR%201=1%20-- HTTP/1.1", 404),
    (b"GET /feed/x?format=%00 HTTP/1.1", 404),
    (b"GET //rss HTTP/1.1", 404),
    (b"GET /rss/ HTTP/1.1", 404),
    (b"HEAD /rss/nope HTTP/1.1", 404),
    (b"HEAD /feed/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1", 404),
    (b"POST /rss HTTP/1.1\r\nContent-Length: 0", 405),
    (b"DELETE /feed/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.1", 405),
    (b"GET /rss HTTP/1.1\r\nIf-Modified-Since: \xff\xfe garbage", 200),
    (b"GET /rss HTTP/1.1\r\nIf-None-Match: " + b'"a",' * 500, 200),
]


@pytest.mark.parametrize(
    ("head", "expected"), WEIRD, ids=[h[:40].decode("latin-1") for h, _ in WEIRD]
)
async def test_nothing_a_request_sends_gets_a_stack_trace(
    world: World, day1: Batch, head: bytes, expected: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    before = world.outbound()
    data = await raw_request(world.port, head)
    status_line, _, rest = data.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert int(status_line.split()[1]) == expected, data[:300]
    if expected == 200:
        assert entry_ids(parse_feed(body, "rss")) == [f"arXiv:{i}" for i in DAY1_DEFAULT_IDS]
    else:
        assert b"Content-Type: text/plain; charset=utf-8" in headers, headers
        if head.startswith(b"HEAD"):
            assert body == b""
        else:
            assert body.strip(), body
            assert body.count(b"\n") <= 1, body  # one line
    assert b"X-Injected" not in headers
    for marker in (b"Traceback", b'File "', b"Error", b"internal error"):
        assert marker not in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert world.outbound() == before


async def test_a_request_line_beyond_the_servers_limit_is_refused_plainly(
    world: World,
) -> None:
    """Past aiohttp's 8 KiB request line the parser refuses it (400) before any handler."""
    data = await raw_request(world.port, b"GET /rss/" + b"a" * 9000 + b" HTTP/1.1")
    assert data.startswith(b"HTTP/1.0 400 ") or data.startswith(b"HTTP/1.1 400 ")
    assert b"Traceback" not in data
    assert b'File "' not in data


async def test_no_batch_yet_is_an_empty_feed(world: World) -> None:
    for fmt in ("rss", "atom"):
        answer = await world.get(f"/{fmt}")
        assert ids(answer, fmt) == []
        assert "Last-Modified" not in answer.headers
        assert "ETag" in answer.headers


async def test_summaries_in_the_operators_language(open_world: OpenWorld) -> None:
    """Like ``arxiv-bot digest``, the public feeds show summaries in ``summary_language``."""
    async with open_world(ARXIV_BOT_SUMMARY_LANGUAGE="de") as world:
        await world.announce(DAY1_PAPERS, DAY1, FETCHED1)
        store, summarizer = world.services.store, world.services.summarizer
        top, second = [await store.get_paper(i) for i in DAY1_DEFAULT_IDS[:2]]
        assert top is not None
        assert second is not None
        german = await summarizer.summary(top, "de")
        english = await summarizer.summary(second, "en")
        for fmt in ("rss", "atom"):
            entries = parse_feed((await world.get(f"/{fmt}")).body, fmt).entries
            first, _ = visible(entry_html(entries[0]))
            assert f"TL;DR: {german.tldr}" in first
            following, _ = visible(entry_html(entries[1]))
            assert english.tldr not in following
            assert "TL;DR" not in following


SCRIPT_LINKS = (
    "javascript:alert(1)",
    "JaVaScRiPt:alert(2)",
    " javascript:alert(3)",
    "java\tscript:alert(4)",
    "%6Aavascript:alert(5)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==",
    "vbscript:msgbox(7)",
    "VBScript:msgbox(8)",
    "javascript://evil.example/%0Aalert(9)",
)
SCRIPTED_MARKDOWN = "\n".join(f"- [click {n}]({url})" for n, url in enumerate(SCRIPT_LINKS))
SCRIPTED = paper(
    "2611.00077",
    'LLM inference [click](javascript:alert(0)) <a href="javascript:alert(0)">x</a> '
    "data:text/html,x",
    "An LLM abstract with [a link](vbscript:msgbox(0)) and javascript:alert(0) in it.",
    "cs.LG",
)
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}


class _Attributes(HTMLParser):
    """Every URL-carrying attribute of an HTML fragment, as a browser decodes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [v or "" for k, v in attrs if k in _URL_ATTRIBUTES]


def _addresses(body: bytes) -> list[str]:
    """Every address a feed reader could follow: ``<link>`` elements and ``href``s in the
    XML, and URL attributes in every item's HTML content."""
    found: list[str] = []
    for element in ET.fromstring(body).iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name == "link":
            found.append(element.get("href") or element.text or "")
        elif name in ("description", "content", "summary") and element.text:
            parser = _Attributes()
            parser.feed(element.text)
            parser.close()
            found += parser.found
    return found


@pytest.mark.parametrize("fmt", ["rss", "atom"])
async def test_script_links_in_a_title_or_summary_never_reach_a_feed(
    world: World, fmt: str
) -> None:
    world.llm.responder = lambda call: (
        f"TL;DR: see [this]({SCRIPT_LINKS[0]}).\n\n## Results\n" + (SCRIPTED_MARKDOWN)
    )
    await world.announce([*DAY1_PAPERS, SCRIPTED], DAY1, FETCHED1)
    stored = await world.services.store.get_paper(SCRIPTED.arxiv_id)
    assert stored is not None
    await world.services.summarizer.summary(stored, "en")  # cached: the feed shows it

    answer = await world.get(f"/{fmt}/cs.LG")

    assert answer.status == 200
    document = answer.body.decode("utf-8")
    assert "click 1" in document  # the summary is in the feed
    assert "click 8" in document
    addresses = _addresses(answer.body)
    assert addresses, "the feed has links (the papers' own)"
    for address in addresses:
        scheme = address.strip().split(":", 1)[0].lower()
        assert scheme in ("http", "https"), address
    entries = parse_feed(answer.body, fmt).entries
    scripted = next(e for e in entries if e.id == f"arXiv:{SCRIPTED.arxiv_id}")
    assert scripted.link == f"https://arxiv.org/abs/{SCRIPTED.arxiv_id}"
    for link in (*(e.link for e in entries), *(ln.href for e in entries for ln in e.links)):
        assert link.startswith(("https://", "http://")), link
