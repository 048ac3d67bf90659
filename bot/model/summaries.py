"""What a summary is: its cache key and its parts, as stored and shared by every reader.

A summary is made once per (arXiv id and version, model, language, prompt version). The prompt
version is a hash of the instructions (see :mod:`bot.summaries.prompt`), so replacing the prompt
file makes new summaries instead of serving stale ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

SummarySource = Literal["html", "pdf", "abstract", "extract"]


@dataclass(frozen=True, slots=True)
class SummaryKey:
    arxiv_id: str
    version: int
    model: str
    language: str
    prompt_version: str


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
