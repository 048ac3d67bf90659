"""What a summary is: its cache key and its parts, as stored and shared by every reader.

A summary is made once per (arXiv id and version, model, language, prompt version). The prompt
version is a hash of the instructions (see :mod:`bot.summaries.prompt`), so replacing the prompt
file makes new summaries instead of serving stale ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

SummarySource = Literal["html", "pdf", "abstract", "extract"]


@dataclass(frozen=True, slots=True)
class SummaryKey:
    arxiv_id: str
    version: int
    model: str
    language: str
    prompt_version: str


@dataclass(frozen=True, slots=True)
class UnsupportedNumber:
    """A number of a summary that the paper does not state: as written, its normalized value
    and its kind (``plain``, ``percent``, ``points``, ``multiplier``, ``quantity``)."""

    text: str
    value: float
    kind: str

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "value": self.value, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """What the number check found in the summary as delivered: ``found`` numbers, of which
    ``supported`` are stated by the paper and ``marked`` are not (each carries the visible
    mark in the text; ``unsupported`` lists them). ``corrected`` counts the numbers flagged in
    the model's first answer that its one correction fixed or removed."""

    found: int
    supported: int
    corrected: int = 0
    marked: int = 0
    unsupported: tuple[UnsupportedNumber, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """``{found, supported, unsupported: [{text, value, kind}], corrected, marked}``."""
        return {
            "found": self.found,
            "supported": self.supported,
            "unsupported": [u.as_json() for u in self.unsupported],
            "corrected": self.corrected,
            "marked": self.marked,
        }


@dataclass(frozen=True, slots=True)
class NumberTotals:
    """The number checks of every stored summary, added up (for /status and /metrics)."""

    found: int = 0
    supported: int = 0
    corrected: int = 0
    marked: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    key: SummaryKey
    source: SummarySource
    tldr: str
    body: str
    """The model's Markdown after the TL;DR line (untrusted: rendered as text nodes only)."""
    prompt_tokens: int | None
    completion_tokens: int | None
    created_at: datetime
    numbers: NumberCheck | None = None
    """The check of its numbers against the paper; None for summaries stored before the
    check existed (the summarizer makes those again rather than serve them unchecked)."""

    @property
    def is_extract(self) -> bool:
        """True for the labelled abstract extract used when no model is configured."""
        return self.source == "extract"

    @property
    def text(self) -> str:
        return f"TL;DR: {self.tldr}\n\n{self.body}".strip()

    def credit(self) -> str:
        if self.is_extract:
            return "Extract of the abstract (no language model is configured)."
        where = {"html": "full text (HTML)", "pdf": "full text (PDF)", "abstract": "abstract"}
        return f"Summary by {self.key.model} from the {where[self.source]}."


def usage_day(moment: datetime) -> date:
    """Budgets count per UTC day."""
    return moment.date()
