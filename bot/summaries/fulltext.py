"""A paper's full text for the summarizer: arXiv's HTML rendering when it exists, else the PDF,
else the abstract, cleaned and fitted to a budget that keeps what matters.

What matters, in order: abstract, introduction and conclusion, method and experiments, then the
rest; references, acknowledgements and appendices are dropped. Sections keep their original
order in the text the model reads.
"""

from __future__ import annotations

import io
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

import httpx
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from bot.arxiv.transport import ArxivHttp, ArxivRequestError, ArxivUnavailable, MalformedResponse
from bot.model.papers import Paper
from bot.text.unicode import clean_text

log = logging.getLogger(__name__)

Source = Literal["html", "pdf", "abstract"]
MAX_PDF_BYTES = 40_000_000


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class FullText:
    source: Source
    sections: tuple[Section, ...]

    def fitted(self, budget: int) -> str:
        """The text within ``budget`` characters, most important sections first to be kept."""
        return fit_sections(self.sections, budget)


_DROP = re.compile(
    r"^(?:[\dA-Z]+\.?\s+)?(references|bibliography|acknowledge?ments?|appendi(?:x|ces)"
    r"|supplementary|checklist|broader impacts?|author contributions)\b",
    re.I,
)


def back_matter(heading: str) -> bool:
    """References, acknowledgements, appendices and checklists: never worth the model's
    context."""
    return bool(_DROP.match(heading.strip()))


_PRIORITY = (
    (re.compile(r"abstract", re.I), 0),
    (re.compile(r"introduction|conclusion|summary|discussion|limitation", re.I), 1),
    (re.compile(r"method|approach|model|framework|experiment|result|evaluation|setup", re.I), 2),
    (re.compile(r"related work|background|preliminar", re.I), 4),
)


def _priority(heading: str) -> int:
    for pattern, rank in _PRIORITY:
        if pattern.search(heading):
            return rank
    return 3


_CUT_MARK = " [...]"


def _overhead(section: Section) -> int:
    """What a section takes besides its text: its heading line and the blank line after it."""
    return (len(section.heading) + 1 if section.heading else 0) + 2


def fit_sections(
    sections: tuple[Section, ...],
    budget: int,
    priority: Callable[[Section], float] | None = None,
) -> str:
    """Sections within ``budget`` characters: they are given room in ``priority`` order (lowest
    first; by default the summary's order of importance), the last one cut to fit, and are
    written in the paper's order."""
    rank = priority or (lambda s: _priority(s.heading))
    kept = [s for s in sections if not back_matter(s.heading)]
    allowance = {i: 0 for i in range(len(kept))}
    left = budget
    for i in sorted(range(len(kept)), key=lambda i: (rank(kept[i]), i)):
        size = _overhead(kept[i]) + len(kept[i].text)
        allowance[i] = min(size, max(left, 0))
        left -= allowance[i]
    parts = []
    for i, section in enumerate(kept):
        room = allowance[i] - _overhead(section)
        if len(section.text) <= room:
            text = section.text
        elif room > 80:  # a cut section must still say something
            text = _cut(section.text, room)
        else:
            continue
        parts.append(f"{section.heading}\n{text}" if section.heading else text)
    return "\n\n".join(parts)


def _cut(text: str, room: int) -> str:
    """At most ``room`` characters of ``text``, ending at a sentence when one ends in the
    second half, marked as cut."""
    room -= len(_CUT_MARK)
    cut = text[:room]
    end = max(cut.rfind(". "), cut.rfind(".\n"))
    return (cut[: end + 1] if end > room // 2 else cut).rstrip() + _CUT_MARK


# --- HTML (arXiv's LaTeXML rendering) ------------------------------------------------------


class _LatexmlText(HTMLParser):
    """Collects section headings and paragraph text; math becomes its LaTeX ``alttext``;
    bibliography, navigation and scripts are skipped."""

    _SKIP_TAGS = frozenset({"head", "script", "style", "nav", "header", "footer", "button", "svg"})
    _SKIP_CLASSES = frozenset(
        {"ltx_bibliography", "ltx_appendix", "ltx_page_footer", "ltx_authors"}
    )
    _BREAKS = frozenset({"p", "div", "li", "section", "br", "tr", "figcaption"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.is_latexml = False
        self.sections: list[list[str]] = [["", ""]]
        self._skip_depth = 0
        self._stack: list[tuple[str, bool]] = []
        self._in_heading = 0
        self._math_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = set((attr.get("class") or "").split())
        if classes & {"ltx_document", "ltx_page_main"}:
            self.is_latexml = True
        skip = tag in self._SKIP_TAGS or bool(classes & self._SKIP_CLASSES)
        if tag in ("br", "img", "hr", "meta", "link", "input"):
            if tag == "br":
                self._text("\n")
            return
        self._stack.append((tag, skip))
        if skip:
            self._skip_depth += 1
            return
        if tag == "math" and self._skip_depth == 0:
            self._math_depth += 1
            if self._math_depth == 1:
                self._text(f" ${attr.get('alttext') or ''}$ ")
            return
        is_title = re.fullmatch(r"h[1-6]", tag) and "ltx_title" in classes
        if is_title and "ltx_title_document" not in classes:
            self.sections.append(["", ""])
            self._in_heading += 1

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, skip = self._stack.pop()
            if skip:
                self._skip_depth -= 1
            elif open_tag == "math":
                self._math_depth = max(self._math_depth - 1, 0)
            elif re.fullmatch(r"h[1-6]", open_tag) and self._in_heading:
                self._in_heading -= 1
            if open_tag in self._BREAKS:
                self._text("\n")
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _text(self, data: str) -> None:
        if self._skip_depth or self._math_depth:
            return
        current = self.sections[-1]
        if self._in_heading:
            current[0] += data
        else:
            current[1] += data


def parse_html(body: str) -> tuple[Section, ...] | None:
    """Sections of an arXiv HTML rendering, or None when the page is not one (arXiv answers
    200 with an explanation page for papers it could not convert)."""
    parser = _LatexmlText()
    parser.feed(body)
    parser.close()
    if not parser.is_latexml:
        return None
    sections = []
    for heading, text in parser.sections:
        paragraphs = [clean_text(p) for p in text.split("\n")]
        joined = "\n".join(p for p in paragraphs if p)
        if joined or heading.strip():
            sections.append(Section(clean_text(heading), joined))
    return tuple(s for s in sections if s.text) or None


# --- PDF -------------------------------------------------------------------------------------

_PDF_HEADING = re.compile(
    r"^(?:(?:\d+|[IVX]+|[A-H])\.?\s+)?(abstract|introduction|related work|background|"
    r"preliminaries|method(?:s|ology)?|approach|experiments?|evaluation|results|discussion|"
    r"conclusions?|limitations|references|bibliography|acknowledge?ments?|appendix\b.*)\s*$",
    re.I,
)


def parse_pdf(data: bytes) -> tuple[Section, ...] | None:
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise MalformedResponse(f"unreadable PDF: {exc}") from exc
    sections: list[Section] = []
    heading, lines = "", list[str]()
    for line in "\n".join(pages).splitlines():
        if _PDF_HEADING.match(line.strip()) and len(line) < 80:
            if lines:
                sections.append(Section(heading, clean_text(" ".join(lines))))
            heading, lines = line.strip(), []
        else:
            lines.append(line)
    if lines:
        sections.append(Section(heading, clean_text(" ".join(lines))))
    return tuple(s for s in sections if s.text) or None


# --- fetching --------------------------------------------------------------------------------


class FullTextSource:
    """Fetches full text through the shared :class:`ArxivHttp` (arXiv's rate limit covers PDFs
    and HTML too), and keeps the extracted text of the last ``cache_size`` papers: a summary
    and the questions that follow it, or several questions about one paper, fetch it once."""

    def __init__(
        self, http: ArxivHttp, html_url: str, pdf_url: str, *, cache_size: int = 32
    ) -> None:
        self._http = http
        self._html_url = html_url
        self._pdf_url = pdf_url
        self._cache_size = cache_size
        self._cache: OrderedDict[str, FullText] = OrderedDict()

    async def fetch(self, paper: Paper) -> FullText:
        """The paper's text, from the cache when it is there."""
        found = self._cache.get(paper.versioned_id)
        if found is not None:
            self._cache.move_to_end(paper.versioned_id)
            return found
        text, final = await self._download(paper)
        if final and self._cache_size > 0:
            self._cache[paper.versioned_id] = text
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return text

    async def _download(self, paper: Paper) -> tuple[FullText, bool]:
        """The text, and whether it is final: an abstract that stands in because arXiv was
        unreachable is not kept, so the next request tries the full text again."""
        abstract = Section("Abstract", paper.abstract)
        final = True
        for source, url, parse in (
            ("html", self._html_url, _parse_html_response),
            ("pdf", self._pdf_url, _parse_pdf_response),
        ):
            try:
                sections = await self._http.fetch(
                    url.format(id=paper.versioned_id),
                    parse,
                    what=f"arXiv {source} of {paper.versioned_id}",
                )
            except (ArxivRequestError, ArxivUnavailable) as exc:
                log.info("no %s text for %s: %s", source, paper.versioned_id, exc)
                final = final and isinstance(exc, ArxivRequestError)
                continue
            if sections:
                has_abstract = any(s.heading.lower() == "abstract" for s in sections)
                body = sections if has_abstract else (abstract, *sections)
                return FullText(source, body), True  # type: ignore[arg-type]
        return FullText("abstract", (abstract,)), final


def _parse_html_response(response: httpx.Response) -> tuple[Section, ...] | None:
    return parse_html(response.text)


def _parse_pdf_response(response: httpx.Response) -> tuple[Section, ...] | None:
    if len(response.content) > MAX_PDF_BYTES:
        return None
    return parse_pdf(response.content)
