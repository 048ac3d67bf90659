"""LaTeX in titles, abstracts and summaries, made readable Unicode.

pylatexenc does the conversion. Text without LaTeX is left alone, and characters that are
special to LaTeX but ordinary in prose (``%`` starts a comment, ``&`` aligns, ``#``) are
escaped first, so "5% better" keeps everything after the percent sign.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

log = logging.getLogger(__name__)

_LOOKS_LATEX = re.compile(r"\$|\\[A-Za-z]|\\[{}'\"`^~]")
_PROSE_SPECIALS = re.compile(r"(?<!\\)([%&#])")
_CONVERTER = LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


@lru_cache(maxsize=4096)
def readable(text: str) -> str:
    """Unicode for the LaTeX in ``text``; the text unchanged when it has none or cannot be
    parsed (a reader is better served by raw LaTeX than by nothing)."""
    if not _LOOKS_LATEX.search(text):
        return text
    try:
        converted = _CONVERTER.latex_to_text(_PROSE_SPECIALS.sub(r"\\\1", text))
    except Exception:  # pylatexenc raises many types on hostile input
        log.debug("LaTeX conversion failed; keeping the raw text", exc_info=True)
        return text
    return " ".join(converted.replace("\u00a0", " ").split())
