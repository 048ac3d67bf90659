"""arXiv identifiers: the one parser every entry point uses.

Accepted forms (arXiv's identifier scheme, info.arxiv.org/help/arxiv_identifier):
- new style ``YYMM.NNNN`` (0704-1412) or ``YYMM.NNNNN`` (1501 on), optional ``vN``;
- old style ``archive/YYMMNNN`` or ``archive.SC/YYMMNNN``, optional ``vN``;
- either one prefixed with ``arXiv:``, or inside an arxiv.org ``abs``/``pdf``/``html`` URL.

Anything else is rejected before any network call: the API would only answer with an ``Error``
entry, and a user deserves a message that shows what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.arxiv import taxonomy
from bot.errors import BadInput
from bot.text.unicode import as_typed_identifier

ACCEPTED_FORMS = (
    "2512.03394, 2512.03394v2, arXiv:2512.03394, hep-th/9901001v1, "
    "https://arxiv.org/abs/2512.03394 (also /pdf/ and /html/ links)"
)

# re.ASCII: \d must not accept other scripts' digits (fullwidth digits make no arXiv id).
_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<ver>[1-9]\d{0,3}))?", re.ASCII)
_OLD = re.compile(
    r"(?P<archive>[a-z][a-z-]*[a-z])(?:\.(?P<subj>[A-Z]{2}))?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<ver>[1-9]\d{0,3}))?",
    re.ASCII,
)
_URL = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>[^?#\s]+?)"
    r"(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE | re.ASCII,
)


class InvalidArxivId(BadInput):
    """Raised with a user-facing message naming the accepted forms."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A validated identifier: ``id`` never carries the version; ``version`` may be None."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """The id with its version when one is known (``2512.03394v2``)."""
        return f"{self.id}v{self.version}" if self.version else self.id

    def __str__(self) -> str:
        return self.versioned


def _valid_yymm(yymm: str, *, new_style: bool, digits: int = 0) -> bool:
    year, month = int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12:
        return False
    if not new_style:
        # Old-style ids ran from 1991-08 to 2007-03.
        full_year = 1900 + year if year >= 91 else 2000 + year
        return (1991, 8) <= (full_year, month) <= (2007, 3)
    if (year, month) < (7, 4):
        return False
    # Four-digit sequence numbers until 1412, five from 1501.
    return digits == (4 if year < 15 else 5)


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any accepted form into an :class:`ArxivId` or raise :class:`InvalidArxivId`."""
    raw = as_typed_identifier(text).strip()
    candidate = raw
    if url := _URL.fullmatch(raw):
        candidate = url["rest"]
    elif candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:].strip()
    if m := _NEW.fullmatch(candidate):
        if _valid_yymm(m["yymm"], new_style=True, digits=len(m["num"])):
            return ArxivId(f"{m['yymm']}.{m['num']}", int(m["ver"]) if m["ver"] else None)
    elif (
        (m := _OLD.fullmatch(candidate))
        and m["archive"] in taxonomy.old_style_archives()
        and _valid_yymm(m["yymm"], new_style=False)
    ):
        subj = f".{m['subj']}" if m["subj"] else ""
        return ArxivId(
            f"{m['archive']}{subj}/{m['yymm']}{m['num']}",
            int(m["ver"]) if m["ver"] else None,
        )
    shown = raw if len(raw) <= 60 else raw[:57] + "..."
    raise InvalidArxivId(
        f"'{shown}' is not an arXiv identifier. Accepted forms: {ACCEPTED_FORMS}."
    )


def split_version(versioned: str) -> tuple[str, int | None]:
    """Split ``2512.03394v2`` into ``("2512.03394", 2)`` without validating."""
    m = re.fullmatch(r"(.+?)v(\d+)", versioned)
    return (m[1], int(m[2])) if m else (versioned, None)
