"""A summary's body as neutral blocks, for every renderer."""

from __future__ import annotations

from bot.contract.messages import Block, Bold, Paragraph, Text
from bot.model.summaries import Summary
from bot.text.latex import readable
from bot.text.markdown_tree import parse_markdown


def summary_body_blocks(summary: Summary) -> tuple[Block, ...]:
    """The summary after its TL;DR, as neutral blocks (the model's Markdown read as text)."""
    if summary.is_extract:
        return (
            Paragraph((Bold((Text("Abstract"),)),)),
            Paragraph((Text(readable(summary.body)),)),
        )
    return parse_markdown(summary.body)
