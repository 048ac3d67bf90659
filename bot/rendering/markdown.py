"""The neutral content tree written back as Markdown (for README-style digests and feeds),
with every text node escaped so nothing from a paper or a model becomes markup."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.contract.messages import (
    Block,
    Bold,
    BulletList,
    Code,
    CodeBlock,
    Collapsible,
    Heading,
    Inline,
    Italic,
    Link,
    PaperCard,
    Paragraph,
    Text,
    card_blocks,
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_escape(text: str) -> str:
    """Make untrusted text inert in Markdown (and in the raw HTML GitHub allows)."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def _fence(text: str, shortest: int) -> str:
    """A backtick run longer than any inside ``text``, so the code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(shortest, longest + 1)


def inline_markdown(nodes: Iterable[Inline]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(markdown_escape(node.text))
        elif isinstance(node, Code):
            fence = _fence(node.text, 1)
            out.append(f"{fence} {node.text} {fence}")
        elif isinstance(node, Link):
            out.append(f"[{markdown_escape(node.text)}](<{node.url.replace('>', '%3E')}>)")
        elif isinstance(node, Bold):
            out.append(f"**{inline_markdown(node.children)}**")
        elif isinstance(node, Italic):
            out.append(f"*{inline_markdown(node.children)}*")
    return "".join(out)


def blocks_markdown(blocks: Iterable[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(inline_markdown(block.inlines))
        elif isinstance(block, Heading):
            parts.append(f"**{inline_markdown(block.inlines)}**")
        elif isinstance(block, BulletList):
            parts.append(
                "\n".join(
                    f"{f'{n}.' if block.numbered else '-'} {inline_markdown(item)}"
                    for n, item in enumerate(block.items, 1)
                )
            )
        elif isinstance(block, CodeBlock):
            fence = _fence(block.text, 3)
            parts.append(f"{fence}\n{block.text}\n{fence}")
        elif isinstance(block, Collapsible):
            summary = " ".join(blocks_markdown((b,)) for b in block.summary)
            parts.append(
                f"<details>\n<summary>{summary}</summary>\n\n{blocks_markdown(block.body)}\n\n"
                "</details>"
            )
        elif isinstance(block, PaperCard):
            parts.append(blocks_markdown(card_blocks(block)))
    return "\n\n".join(p for p in parts if p)
