"""A local fake of the arXiv services the bot talks to, for tests.

The fake listens on 127.0.0.1 only (random free port) and speaks the *real* wire formats, so
the project's real parsers work unchanged against it:

* ``/rss/{cats}`` and ``/atom/{cats}``: the announcement feeds of rss.arxiv.org (RSS 2.0 /
  Atom 1.0), item layout copied from arXiv's feed service (``feed/serializers``): description
  ``"arXiv:{id}v{N} Announce Type: {type} \\nAbstract: {abstract}"``, one comma-joined
  ``dc:creator``, ``arxiv:announce_type`` computed relative to the requested category set, a
  400 "Feed error for query: ..." feed for invalid categories, at most ``result_limit`` items.
* ``/api/query``: the export API's Atom answer (opensearch header, ``arxiv:`` extension
  elements), supporting ``id_list``, a small ``search_query`` language, ``start`` and
  ``max_results``. Verified against ``arxiv.Client`` 4.0.2.
* ``/pdf/{id}[vN]``: a real, minimal PDF (Helvetica, uncompressed) whose text pypdf can extract.
  Text is wrapped at 90 characters (line breaks replace spaces at wrap points), 50 lines per
  page. It is encoded in WinAnsi (cp1252): characters outside it (CJK, emoji, ...) become
  ``?`` in the PDF and control characters become spaces.
* ``/html/{id}[vN]``: a page shaped like arXiv's LaTeXML HTML rendering.

Use ``async with FakeArxiv() as fake:`` in async tests, or ``with FakeArxivThread() as fake:``
(same object, served from its own event loop in a background thread) in sync tests and for
subprocess-driven CLI tests.

Text that XML 1.0 cannot carry (control characters other than tab/newline/CR, lone
surrogates, U+FFFE/U+FFFF) is dropped from all XML and HTML answers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import html
import re
import textwrap
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer
from tests.fakes.server_thread import ServerThread

__all__ = ["FakeArxiv", "FakeArxivThread", "FakePaper", "Request"]

EASTERN_STANDARD = timezone(timedelta(hours=-5))
DEFAULT_DATE = datetime(2026, 11, 24, 0, 0, tzinfo=EASTERN_STANDARD)
CC_BY = "http://creativecommons.org/licenses/by/4.0/"

NS_ATOM = "http://www.w3.org/2005/Atom"
NS_ARXIV = "http://arxiv.org/schemas/atom"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"

ROUTES = ("rss", "atom", "api", "pdf", "html")
_CATEGORY_RE = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$", re.IGNORECASE)
_NEW_ID_RE = re.compile(r"^\d{4}\.\d{4,5}$")
_OLD_ID_RE = re.compile(r"^[a-z-]+(\.[A-Za-z]{2})?/\d{7}$", re.IGNORECASE)
_VERSIONED_RE = re.compile(r"^(?P<id>.+?)(?:v(?P<version>\d+))?$")
# Characters XML 1.0 does not allow (everything outside Char), plus U+FFFE/U+FFFF.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MALFORMED_XML = b"<?xml version='1.0' encoding='UTF-8'?>\n<rss version=\"2.0\"><channel><title>br"


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class FakePaper:
    arxiv_id: str  # "2611.01234" (new style) or "hep-th/9901001" (old style); no version
    title: str
    abstract: str
    authors: list[str]  # plain names; affiliations may be given as "Name (Affil)"
    categories: list[str]  # primary category FIRST
    version: int = 1
    replaced: bool = False  # True: a replacement (new version), not a new submission
    published: datetime | None = None  # tz-aware; default 2026-11-24 00:00 -05:00
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    html: str | None = None  # body text for /html/{id}; None -> 404 there
    pdf_text: str | None = None  # text for a real PDF at /pdf/{id}; None -> 404 there
    license: str = CC_BY  # dc:rights in the feeds (extra field)

    def __post_init__(self) -> None:
        if self.published is None:
            self.published = DEFAULT_DATE
        elif self.published.tzinfo is None:
            raise ValueError("FakePaper.published must be timezone-aware")
        if not self.categories:
            raise ValueError("FakePaper.categories must not be empty (primary first)")

    @property
    def primary_category(self) -> str:
        return self.categories[0]

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def published_at(self) -> datetime:
        assert self.published is not None
        return self.published


@dataclass
class Request:
    """One request received by the fake."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    route: str = "other"  # "rss" | "atom" | "api" | "pdf" | "html" | "other" (extra field)
    at: float = 0.0  # time.monotonic() when it arrived (extra field: checks the pacing)


# --------------------------------------------------------------------------------------------
# Text helpers


def _clean(text: str) -> str:
    return _XML_INVALID_RE.sub("", text)


def _x(text: str) -> str:
    """Escape for XML/HTML character data and attribute values (after dropping invalid chars)."""
    return html.escape(_clean(text), quote=True)


def _rfc822(dt: datetime) -> str:
    return format_datetime(dt)


def _rfc3339_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _split_author(author: str) -> tuple[str, list[str]]:
    """``"Ada Lovelace (Analytical Engines, London)"`` -> name and affiliations."""
    m = re.fullmatch(r"\s*(?P<name>[^()]*?)\s*\((?P<aff>.*)\)\s*", author)
    if not m:
        return author.strip(), []
    affs = [a.strip() for a in m["aff"].split(",") if a.strip()]
    return m["name"], affs


def _split_versioned(raw: str) -> tuple[str, int | None]:
    raw = raw.strip()
    if raw.endswith(".pdf"):
        raw = raw[: -len(".pdf")]
    m = _VERSIONED_RE.match(raw)
    assert m is not None
    version = m["version"]
    return m["id"], int(version) if version is not None else None


def _valid_arxiv_id(arxiv_id: str) -> bool:
    return bool(_NEW_ID_RE.match(arxiv_id) or _OLD_ID_RE.match(arxiv_id))


# --------------------------------------------------------------------------------------------
# Category requests (RSS/Atom)


class FeedQueryError(ValueError):
    pass


def _parse_feed_query(
    query: str, unknown: set[str], known_spelling: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Return (archives, categories), canonicalised like arXiv's ``validate_request``."""
    parts = query.split("+")
    if not parts or any(not p.strip() for p in parts):
        raise FeedQueryError(
            f"Invalid archive specification '{query}'. Correct format is one or more archive "
            "names delimited by '+'. Each name can be either of the form 'archive' or "
            "'archive.category'. For example: 'math+cs.CG' (all from math and only "
            "computational geometry from computer science)."
        )
    archives: list[str] = []
    categories: list[str] = []
    lowered_unknown = {u.lower() for u in unknown}
    for part in parts:
        part = part.strip()
        if not _CATEGORY_RE.match(part):
            raise FeedQueryError(
                f"Bad archive/subject class structure '{part}'. Valid names include an "
                "archive, possibly followed by a single period and subject class."
            )
        if part.lower() in lowered_unknown:
            archive, _, subject = part.partition(".")
            if subject:
                raise FeedQueryError(
                    f"Bad subject class '{subject}'. Valid subject classes for the archive "
                    f"'{archive.lower()}' are: ..."
                )
            raise FeedQueryError(f"Bad archive '{archive.lower()}'.")
        if "." in part:
            archive, _, subject = part.partition(".")
            canonical = known_spelling.get(part.lower(), f"{archive.lower()}.{subject}")
            categories.append(canonical)
        else:
            archives.append(part.lower())
    return archives, categories


def _in_set(category: str, archives: list[str], categories: list[str]) -> bool:
    c = category.lower()
    if any(c == cat.lower() for cat in categories):
        return True
    return any(c == a or c.startswith(a + ".") for a in archives)


def _announce_type(paper: FakePaper, archives: list[str], categories: list[str]) -> str:
    primary_in = _in_set(paper.primary_category, archives, categories)
    if paper.replaced:
        return "replace" if primary_in else "replace-cross"
    return "new" if primary_in else "cross"


# --------------------------------------------------------------------------------------------
# API search_query (small subset of arXiv's Lucene-like syntax)

Predicate = Callable[[FakePaper], bool]
_QUERY_TOKEN_RE = re.compile(
    r'\s*(\(|\)|ANDNOT\b|AND\b|OR\b|[A-Za-z]+:\[[^\]]*\]|[A-Za-z]+:"[^"]*"|"[^"]*"|[^\s()]+)'
)


class ApiQueryError(ValueError):
    pass


def _tokenize(query: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    query = query.rstrip()
    while pos < len(query):
        m = _QUERY_TOKEN_RE.match(query, pos)
        if not m:
            raise ApiQueryError(f"cannot parse search_query at {query[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _parse_date(value: str, *, end: bool) -> datetime:
    digits = re.sub(r"\D", "", value)
    if len(digits) < 8:
        raise ApiQueryError(f"bad date {value!r}")
    digits = digits[:12].ljust(12, "9" if end else "0")
    hour, minute = min(int(digits[8:10]), 23), min(int(digits[10:12]), 59)
    return datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]), hour, minute, tzinfo=UTC)


def _leaf(token: str) -> Predicate:
    field_name, sep, value = token.partition(":")
    if not sep:
        field_name, value = "all", token
    field_name = field_name.lower()
    value = value.strip('"').strip()
    needle = value.lower().replace("*", "")

    if field_name in ("submitteddate", "lastupdateddate"):
        m = re.fullmatch(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", value)
        if not m:
            raise ApiQueryError(f"bad date range {value!r}")
        lo, hi = _parse_date(m[1], end=False), _parse_date(m[2], end=True)
        return lambda p: lo <= p.published_at.astimezone(UTC).replace(second=0) <= hi
    if field_name == "cat":
        if value.endswith("*"):
            prefix = value[:-1].lower()
            return lambda p: any(c.lower().startswith(prefix) for c in p.categories)
        return lambda p: any(c.lower() == value.lower() for c in p.categories)
    if field_name == "id":
        base = _split_versioned(value)[0]
        return lambda p: p.arxiv_id == base

    def texts(p: FakePaper) -> list[str]:
        if field_name == "ti":
            return [p.title]
        if field_name == "abs":
            return [p.abstract]
        if field_name == "au":
            return p.authors
        if field_name == "co":
            return [p.comment or ""]
        if field_name == "jr":
            return [p.journal_ref or ""]
        return [p.title, p.abstract, *p.authors, p.comment or "", p.journal_ref or ""]

    return lambda p: any(needle in t.lower() for t in texts(p))


def parse_search_query(query: str) -> Predicate:
    """Compile ``ti:``/``abs:``/``au:``/``co:``/``jr:``/``cat:``/``id:``/``all:`` terms,
    ``submittedDate:[A TO B]``, ``AND``/``OR``/``ANDNOT`` (left to right, equal precedence;
    juxtaposition means AND) and parentheses into a predicate. Words match as
    case-insensitive substrings; ``cat:`` matches whole categories (``cat:cs.*`` a prefix)."""
    tokens = _tokenize(query)
    if not tokens:
        return lambda p: True
    pos = 0

    def parse_expr() -> Predicate:
        nonlocal pos
        left = parse_term()
        while pos < len(tokens) and tokens[pos] != ")":
            op = "AND"
            if tokens[pos] in ("AND", "OR", "ANDNOT"):
                op = tokens[pos]
                pos += 1
            right = parse_term()
            left = _combine(op, left, right)
        return left

    def parse_term() -> Predicate:
        nonlocal pos
        if pos >= len(tokens):
            raise ApiQueryError("unexpected end of search_query")
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            inner = parse_expr()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise ApiQueryError("unbalanced parentheses in search_query")
            pos += 1
            return inner
        if tok in (")", "AND", "OR", "ANDNOT"):
            raise ApiQueryError(f"unexpected {tok!r} in search_query")
        return _leaf(tok)

    result = parse_expr()
    if pos != len(tokens):
        raise ApiQueryError("unbalanced parentheses in search_query")
    return result


def _combine(op: str, a: Predicate, b: Predicate) -> Predicate:
    if op == "OR":
        return lambda p: a(p) or b(p)
    if op == "ANDNOT":
        return lambda p: a(p) and not b(p)
    return lambda p: a(p) and b(p)


# --------------------------------------------------------------------------------------------
# Renderers


def render_rss(
    *,
    self_url: str,
    topics: list[str],
    items: list[tuple[FakePaper, str]],
    build_date: datetime,
) -> bytes:
    joined = ", ".join(topics)
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f'<rss xmlns:atom="{NS_ATOM}" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        f' xmlns:arxiv="{NS_ARXIV}" xmlns:dc="{NS_DC}" version="2.0">',
        "  <channel>",
        f"    <title>{_x(joined)} updates on arXiv.org</title>",
        f"    <link>{_x(self_url)}</link>",
        f"    <description>{_x(joined)} updates on the arXiv.org e-print archive.</description>",
        f'    <atom:link href="{_x(self_url)}" rel="self" type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{_rfc822(build_date)}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{_rfc822(build_date)}</pubDate>",
        "    <skipDays>",
        "      <day>Saturday</day>",
        "      <day>Sunday</day>",
        "    </skipDays>",
    ]
    for paper, kind in items:
        out += [
            "    <item>",
            f"      <title>{_x(paper.title)}</title>",
            f"      <link>https://arxiv.org/abs/{_x(paper.arxiv_id)}</link>",
            f"      <description>{_x(_description(paper, kind))}</description>",
            f'      <guid isPermaLink="false">oai:arXiv.org:{_x(paper.versioned_id)}</guid>',
        ]
        out += [f"      <category>{_x(c)}</category>" for c in paper.categories]
        out += [
            f"      <pubDate>{_rfc822(paper.published_at)}</pubDate>",
            f"      <arxiv:announce_type>{kind}</arxiv:announce_type>",
            f"      <dc:rights>{_x(paper.license)}</dc:rights>",
        ]
        if paper.doi:
            out.append(f"      <arxiv:DOI>{_x(paper.doi)}</arxiv:DOI>")
        if paper.journal_ref:
            out.append(
                f"      <arxiv:journal_reference>{_x(paper.journal_ref.strip())}"
                "</arxiv:journal_reference>"
            )
        out += [f"      <dc:creator>{_x(', '.join(paper.authors))}</dc:creator>", "    </item>"]
    out += ["  </channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


def render_atom_feed(
    *,
    self_url: str,
    topics: list[str],
    items: list[tuple[FakePaper, str]],
    build_date: datetime,
) -> bytes:
    joined = ", ".join(topics)
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f'<feed xmlns="{NS_ATOM}" xmlns:arxiv="{NS_ARXIV}" xmlns:dc="{NS_DC}" xml:lang="en-us">',
        f"  <id>{_x(self_url)}</id>",
        f"  <title>{_x(joined)} updates on arXiv.org</title>",
        f"  <updated>{build_date.isoformat()}</updated>",
        f'  <link href="{_x(self_url)}" rel="self" type="application/atom+xml"/>',
        f"  <subtitle>{_x(joined)} updates on the arXiv.org e-print archive.</subtitle>",
    ]
    for paper, kind in items:
        out += [
            "  <entry>",
            f"    <id>oai:arXiv.org:{_x(paper.versioned_id)}</id>",
            f"    <title>{_x(paper.title)}</title>",
            f"    <updated>{paper.published_at.isoformat()}</updated>",
            f'    <link href="https://arxiv.org/abs/{_x(paper.arxiv_id)}" rel="alternate"'
            ' type="text/html"/>',
            f'    <summary type="text">{_x(_description(paper, kind))}</summary>',
        ]
        out += [f'    <category term="{_x(c)}"/>' for c in paper.categories]
        out += [
            f"    <published>{paper.published_at.isoformat()}</published>",
            f"    <arxiv:announce_type>{kind}</arxiv:announce_type>",
            f"    <dc:rights>{_x(paper.license)}</dc:rights>",
        ]
        if paper.journal_ref:
            out.append(
                f"    <arxiv:journal_reference>{_x(paper.journal_ref.strip())}"
                "</arxiv:journal_reference>"
            )
        if paper.doi:
            out.append(f"    <arxiv:DOI>{_x(paper.doi)}</arxiv:DOI>")
        out += [f"    <dc:creator>{_x(', '.join(paper.authors))}</dc:creator>", "  </entry>"]
    out += ["</feed>", ""]
    return "\n".join(out).encode("utf-8")


def render_feed_error(*, fmt: str, self_url: str, query_url: str, message: str) -> bytes:
    title = f"Feed error for query: {query_url}"
    now = _rfc822(DEFAULT_DATE)
    if fmt == "atom":
        return "\n".join(
            [
                "<?xml version='1.0' encoding='UTF-8'?>",
                f'<feed xmlns="{NS_ATOM}" xml:lang="en-us">',
                f"  <id>{_x(self_url)}</id>",
                f"  <title>{_x(title)}</title>",
                f"  <updated>{DEFAULT_DATE.isoformat()}</updated>",
                f'  <link href="{_x(self_url)}" rel="self" type="application/atom+xml"/>',
                f"  <subtitle>{_x(message)}</subtitle>",
                "</feed>",
                "",
            ]
        ).encode("utf-8")
    return "\n".join(
        [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f'<rss xmlns:atom="{NS_ATOM}" version="2.0">',
            "  <channel>",
            f"    <title>{_x(title)}</title>",
            f"    <link>{_x(self_url)}</link>",
            f"    <description>{_x(message)}</description>",
            f'    <atom:link href="{_x(self_url)}" rel="self" type="application/rss+xml"/>',
            "    <docs>http://www.rssboard.org/rss-specification</docs>",
            "    <language>en-us</language>",
            f"    <lastBuildDate>{now}</lastBuildDate>",
            "    <managingEditor>rss-help.arxiv.org</managingEditor>",
            f"    <pubDate>{now}</pubDate>",
            "  </channel>",
            "</rss>",
            "",
        ]
    ).encode("utf-8")


def _description(paper: FakePaper, kind: str) -> str:
    return f"arXiv:{paper.versioned_id} Announce Type: {kind} \nAbstract: {paper.abstract}"


def _api_feed(
    *,
    self_url: str,
    title_query: str,
    updated: datetime,
    total: int,
    start: int,
    per_page: int,
    entries: Iterable[str],
) -> bytes:
    feed_id = hashlib.sha1(title_query.encode()).hexdigest()[:27]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<feed xmlns="{NS_ATOM}" xmlns:opensearch="{NS_OPENSEARCH}" xmlns:arxiv="{NS_ARXIV}">',
        f"  <id>https://arxiv.org/api/{feed_id}</id>",
        f'  <title type="html">ArXiv Query: {_x(title_query)}</title>',
        f"  <updated>{_rfc3339_utc(updated)}</updated>",
        f'  <link href="{_x(self_url)}" type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
        *entries,
        "</feed>",
        "",
    ]
    return "\n".join(out).encode("utf-8")


def _api_entry(paper: FakePaper, version: int) -> str:
    vid = f"{paper.arxiv_id}v{version}"
    when = _rfc3339_utc(paper.published_at)
    out = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{_x(vid)}</id>",
        f"    <title>{_x(paper.title)}</title>",
        f"    <updated>{when}</updated>",
        f'    <link href="https://arxiv.org/abs/{_x(vid)}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{_x(vid)}" rel="related" type="application/pdf"'
        ' title="pdf"/>',
    ]
    if paper.doi:
        out.append(f'    <link href="https://doi.org/{_x(paper.doi)}" rel="related" title="doi"/>')
    out += [
        f"    <summary>{_x(paper.abstract)}</summary>",
    ]
    out += [f'    <category term="{_x(c)}" scheme="{NS_ARXIV}"/>' for c in paper.categories]
    out += [
        f"    <published>{when}</published>",
        f'    <arxiv:primary_category term="{_x(paper.primary_category)}"/>',
    ]
    if paper.comment:
        out.append(f"    <arxiv:comment>{_x(paper.comment)}</arxiv:comment>")
    if paper.journal_ref:
        out.append(f"    <arxiv:journal_ref>{_x(paper.journal_ref)}</arxiv:journal_ref>")
    if paper.doi:
        out.append(f"    <arxiv:doi>{_x(paper.doi)}</arxiv:doi>")
    for author in paper.authors:
        name, affs = _split_author(author)
        out.append(f"    <author>\n      <name>{_x(name)}</name>")
        out += [f"      <arxiv:affiliation>{_x(a)}</arxiv:affiliation>" for a in affs]
        out.append("    </author>")
    out.append("  </entry>")
    return "\n".join(out)


def _api_error_entry(message: str, when: datetime) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", message)
    err_id = f"http://arxiv.org/api/errors#{slug}"
    return "\n".join(
        [
            "  <entry>",
            f"    <id>{_x(err_id)}</id>",
            "    <title>Error</title>",
            f"    <summary>{_x(message)}</summary>",
            f"    <updated>{_rfc3339_utc(when)}</updated>",
            f'    <link href="{_x(err_id)}" rel="alternate" type="text/html"/>',
            "    <author>\n      <name>arXiv api core</name>\n    </author>",
            "  </entry>",
        ]
    )


def render_html(paper: FakePaper) -> bytes:
    """An HTML page shaped like arXiv's LaTeXML rendering (``/html/{id}``)."""
    body = paper.html or ""
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    current = preamble
    for line in body.splitlines():
        if line.startswith("# "):
            sections.append((line[2:].strip(), []))
            current = sections[-1][1]
        else:
            current.append(line)

    def paragraphs(lines: list[str], prefix: str) -> list[str]:
        text = "\n".join(lines).strip()
        paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        return [
            f'<div class="ltx_para" id="{prefix}p{i}">\n<p class="ltx_p">{_x(p)}</p>\n</div>'
            for i, p in enumerate(paras, 1)
        ]

    authors = "\n".join(
        '<span class="ltx_creator ltx_role_author">'
        f'<span class="ltx_personname">{_x(a)}</span></span>'
        for a in paper.authors
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_x(paper.title)}</title>",
        "</head>",
        "<body>",
        '<div class="ltx_page_main">',
        '<div class="ltx_page_content">',
        '<article class="ltx_document ltx_authors_1line">',
        f'<h1 class="ltx_title ltx_title_document">{_x(paper.title)}</h1>',
        f'<div class="ltx_authors">\n{authors}\n</div>',
        '<div class="ltx_abstract">',
        '<h6 class="ltx_title ltx_title_abstract">Abstract</h6>',
        f'<p class="ltx_p">{_x(paper.abstract)}</p>',
        "</div>",
        *paragraphs(preamble, ""),
    ]
    for n, (heading, lines) in enumerate(sections, 1):
        out += [
            f'<section class="ltx_section" id="S{n}">',
            f'<h2 class="ltx_title ltx_title_section">'
            f'<span class="ltx_tag ltx_tag_section">{n} </span>{_x(heading)}</h2>',
            *paragraphs(lines, f"S{n}."),
            "</section>",
        ]
    out += ["</article>", "</div>", "</div>", "</body>", "</html>", ""]
    return "\n".join(out).encode("utf-8")


# --------------------------------------------------------------------------------------------
# PDF writer (no dependencies)

PDF_LINE_WIDTH = 90
PDF_LINES_PER_PAGE = 50


def _pdf_string(text: str) -> bytes:
    text = "".join(" " if (ord(ch) < 32 or 127 <= ord(ch) < 160) else ch for ch in text)
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap_lines(text: str) -> list[str]:
    lines: list[str] = []
    for src in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        wrapped = textwrap.wrap(src, PDF_LINE_WIDTH, break_long_words=True, break_on_hyphens=False)
        lines.extend(wrapped or [""])
    return lines


def render_pdf(text: str, *, title: str = "") -> bytes:
    """A minimal valid PDF 1.4 with ``text`` in Helvetica (see the module docstring)."""
    lines = _wrap_lines(text)
    pages = [
        lines[i : i + PDF_LINES_PER_PAGE] for i in range(0, len(lines), PDF_LINES_PER_PAGE)
    ] or [[]]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        4: b"<< /Title (" + _pdf_string(title) + b") /Producer (fake_arxiv) >>",
    }
    kids: list[int] = []
    for i, page_lines in enumerate(pages):
        page_num, content_num = 5 + 2 * i, 6 + 2 * i
        kids.append(page_num)
        stream = b"BT\n/F1 10 Tf\n14 TL\n50 750 Td\n"
        stream += b"".join(b"(" + _pdf_string(line) + b") Tj T*\n" for line in page_lines)
        stream += b"ET"
        objects[page_num] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content_num
        )
        objects[content_num] = (
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
        )
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    size = max(objects) + 1
    for num in range(1, size):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        xref_at,
    )
    return bytes(out)


# --------------------------------------------------------------------------------------------
# The server


def _route_of(path: str) -> str:
    if path == "/api/query":
        return "api"
    head = path.lstrip("/").split("/", 1)[0]
    return head if head in ROUTES and head != "api" else "other"


class FakeArxiv(LocalServer):
    """``async with FakeArxiv() as fake: ...``; ``fake.base_url == 'http://127.0.0.1:PORT'``.

    ``papers`` is today's announcement (also known to the API); ``api_papers`` are known only
    to the API. Both lists, ``result_limit``, ``delay`` and ``unknown_categories`` may be
    changed at any time, also while serving.
    """

    def __init__(
        self,
        papers: Iterable[FakePaper] = (),
        api_papers: Iterable[FakePaper] = (),
        *,
        result_limit: int = 2000,
        delay: float = 0.0,
        announce_date: datetime = DEFAULT_DATE,
    ) -> None:
        self.papers: list[FakePaper] = list(papers)
        self.api_papers: list[FakePaper] = list(api_papers)
        self.requests: list[Request] = []
        self.result_limit = result_limit
        self.delay = delay
        self.announce_date = announce_date  # channel pubDate/lastBuildDate (midnight Eastern)
        self.unknown_categories: set[str] = {"cs.xx"}
        self._lock = threading.Lock()
        self._failures: dict[str, collections.deque[tuple[int, bytes | None]]] = {
            r: collections.deque() for r in ROUTES
        }
        self._api_errors: collections.deque[str] = collections.deque()
        self._empty_api_pages = 0
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeArxiv already started")
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/rss/{cats}", self._rss)
        app.router.add_get("/atom/{cats}", self._atom)
        app.router.add_get("/api/query", self._api)
        app.router.add_get("/pdf/{tail:.+}", self._pdf)
        app.router.add_get("/html/{tail:.+}", self._html)
        await self._serve(app)

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()
        await self._close_server()

    # -- URLs ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def feed_url_template(self) -> str:
        return f"{self.base_url}/rss/{{categories}}"

    @property
    def atom_url_template(self) -> str:
        return f"{self.base_url}/atom/{{categories}}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def pdf_url_template(self) -> str:
        return f"{self.base_url}/pdf/{{id}}"

    @property
    def html_url_template(self) -> str:
        return f"{self.base_url}/html/{{id}}"

    # -- programming the fake --------------------------------------------------------------

    def add(self, *papers: FakePaper) -> None:
        self.papers.extend(papers)

    def fail_next(self, route: str, *statuses: int, body: bytes | None = None) -> None:
        """The next ``len(statuses)`` requests on ``route`` answer these statuses.

        A status of 0 means "200 with a malformed XML body". ``body`` replaces the default
        body (a short HTML error page, or truncated XML for 0)."""
        if route not in ROUTES:
            raise ValueError(f"route must be one of {ROUTES}, not {route!r}")
        with self._lock:
            self._failures[route].extend((s, body) for s in statuses)

    def api_error_next(self, message: str) -> None:
        """The next API answer is 200 with an arXiv error ``<entry>`` (title "Error")."""
        with self._lock:
            self._api_errors.append(message)

    def empty_api_page_next(self, n: int = 1) -> None:
        """The next ``n`` API answers are valid feeds with zero entries (totalResults kept)."""
        with self._lock:
            self._empty_api_pages += n

    def count(self, route: str) -> int:
        return sum(1 for r in list(self.requests) if r.route == route)

    def find(self, arxiv_id: str) -> FakePaper | None:
        for paper in [*self.papers, *self.api_papers]:
            if paper.arxiv_id == arxiv_id:
                return paper
        return None

    # -- plumbing --------------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        route = _route_of(request.path)
        self.requests.append(
            Request(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                route=route,
                at=time.monotonic(),
            )
        )
        delay = self.delay
        if delay > 0 and self._closing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
        if route in ROUTES:
            failure = self._pop_failure(route)
            if failure is not None:
                return failure
        response: web.StreamResponse = await handler(request)
        return response

    def _pop_failure(self, route: str) -> web.Response | None:
        with self._lock:
            queue = self._failures[route]
            if not queue:
                return None
            status, body = queue.popleft()
        if status == 0:
            return web.Response(
                body=body if body is not None else MALFORMED_XML,
                status=200,
                content_type=_CONTENT_TYPES.get(route, "application/xml"),
                charset="utf-8",
            )
        reason = _reason(status)
        default = (
            f"<html><head><title>{status} {reason}</title></head>"
            f"<body><h1>{status} {reason}</h1></body></html>"
        ).encode()
        headers = {"Retry-After": "1"} if status in (429, 503) else None
        return web.Response(
            body=body if body is not None else default,
            status=status,
            content_type="text/html",
            charset="utf-8",
            headers=headers,
        )

    # -- feeds -----------------------------------------------------------------------------

    async def _rss(self, request: web.Request) -> web.Response:
        return self._feed(request, "rss")

    async def _atom(self, request: web.Request) -> web.Response:
        return self._feed(request, "atom")

    def _feed(self, request: web.Request, fmt: str) -> web.Response:
        query = request.match_info["cats"]
        papers = list(self.papers)
        spelling = {c.lower(): c for p in papers for c in p.categories}
        prefix = f"{self.base_url}/{fmt}/"
        try:
            archives, categories = _parse_feed_query(query, self.unknown_categories, spelling)
        except FeedQueryError as exc:
            body = render_feed_error(
                fmt=fmt, self_url=prefix + query, query_url=prefix + query, message=str(exc)
            )
            return self._xml_response(body, fmt, status=400)
        topics = archives + categories
        items = [
            (p, _announce_type(p, archives, categories))
            for p in papers
            if any(_in_set(c, archives, categories) for c in p.categories)
        ][: max(self.result_limit, 0)]
        render = render_rss if fmt == "rss" else render_atom_feed
        body = render(
            self_url=prefix + "+".join(topics),
            topics=topics,
            items=items,
            build_date=self.announce_date,
        )
        response = self._xml_response(body, fmt)
        response.headers["ETag"] = hashlib.sha256(body).hexdigest()
        return response

    @staticmethod
    def _xml_response(body: bytes, route: str, status: int = 200) -> web.Response:
        return web.Response(
            body=body, status=status, content_type=_CONTENT_TYPES[route], charset="utf-8"
        )

    # -- API -------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        q = request.query
        search_query = q.get("search_query", "")
        id_list = [i.strip() for i in q.get("id_list", "").split(",") if i.strip()]
        title_query = (
            f"search_query={search_query}&id_list={','.join(id_list)}"
            f"&start={q.get('start', '0')}&max_results={q.get('max_results', '10')}"
        )
        self_url = str(request.url)
        now = self.announce_date

        def error(message: str, status: int = 400) -> web.Response:
            body = _api_feed(
                self_url=self_url,
                title_query=title_query,
                updated=now,
                total=1,
                start=0,
                per_page=1,
                entries=[_api_error_entry(message, now)],
            )
            return self._xml_response(body, "api", status=status)

        with self._lock:
            forced_error = self._api_errors.popleft() if self._api_errors else None
        if forced_error is not None:
            return error(forced_error, status=200)

        try:
            start = int(q.get("start", "0"))
            max_results = int(q.get("max_results", "10"))
        except ValueError:
            return error("start and max_results must be integers")
        if start < 0:
            return error("start must be non-negative")
        if max_results < 0 or max_results > 30000:
            return error("max_results must be between 0 and 30000")

        try:
            predicate = parse_search_query(search_query)
        except ApiQueryError as exc:
            return error(str(exc))

        known = [*self.papers, *self.api_papers]
        matches: list[tuple[FakePaper, int]] = []
        if id_list:
            for raw in id_list:
                base, version = _split_versioned(raw)
                if not _valid_arxiv_id(base):
                    return error(f"incorrect id format for {raw}")
                paper = next((p for p in known if p.arxiv_id == base), None)
                if paper is None or (version is not None and version > paper.version):
                    continue
                if predicate(paper):
                    matches.append((paper, version or paper.version))
        else:
            if not search_query.strip():
                matches = []
            else:
                matches = [(p, p.version) for p in known if predicate(p)]
                sort_by = q.get("sortBy", "relevance")
                if sort_by in ("submittedDate", "lastUpdatedDate"):
                    matches.sort(
                        key=lambda m: m[0].published_at,
                        reverse=q.get("sortOrder", "descending") != "ascending",
                    )

        with self._lock:
            empty = self._empty_api_pages > 0
            if empty:
                self._empty_api_pages -= 1
        page = [] if empty else matches[start : start + max_results]
        body = _api_feed(
            self_url=self_url,
            title_query=title_query,
            updated=now,
            total=len(matches),
            start=start,
            per_page=max_results,
            entries=[_api_entry(p, v) for p, v in page],
        )
        return self._xml_response(body, "api")

    # -- PDF and HTML ----------------------------------------------------------------------

    def _lookup(self, tail: str) -> FakePaper | None:
        base, version = _split_versioned(tail)
        paper = self.find(base)
        if paper is None or (version is not None and not 1 <= version <= paper.version):
            return None
        return paper

    async def _pdf(self, request: web.Request) -> web.Response:
        paper = self._lookup(request.match_info["tail"])
        if paper is None or paper.pdf_text is None:
            return _not_found()
        return web.Response(
            body=render_pdf(paper.pdf_text, title=paper.title),
            content_type="application/pdf",
        )

    async def _html(self, request: web.Request) -> web.Response:
        tail = request.match_info["tail"]
        paper = self._lookup(tail)
        if paper is None or paper.html is None:
            return _not_found()
        return web.Response(body=render_html(paper), content_type="text/html", charset="utf-8")


_CONTENT_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "api": "application/atom+xml",
    "pdf": "application/pdf",
    "html": "text/html",
}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _not_found() -> web.Response:
    return web.Response(
        status=404,
        body=b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>",
        content_type="text/html",
        charset="utf-8",
    )


# --------------------------------------------------------------------------------------------
# Thread wrapper


class FakeArxivThread(ServerThread[FakeArxiv]):
    """``with FakeArxivThread() as fake:`` runs a :class:`FakeArxiv` on its own event loop in
    a background thread; ``fake`` is the ``FakeArxiv`` object itself. Arguments are passed to
    ``FakeArxiv``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(FakeArxiv(*args, **kwargs))
