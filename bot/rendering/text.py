"""The neutral content tree as plain text (terminals, ``--format text``): links show their
address, folded parts are indented, and terminal control characters never pass."""

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

INDENT = "    "
_TERMINAL_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")


def strip_controls(text: str) -> str:
    """No escape sequence from a paper or a model may reach a terminal."""
    return _TERMINAL_CONTROL.sub("", text)


def inline_text(nodes: Iterable[Inline]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Code):
            out.append(f"`{node.text}`")
        elif isinstance(node, Link):
            out.append(node.text if node.text == node.url else f"{node.text} <{node.url}>")
        elif isinstance(node, Bold | Italic):
            out.append(inline_text(node.children))
    return "".join(out)


def block_lines(block: Block, indent: str = "") -> list[str]:
    if isinstance(block, Paragraph | Heading):
        text = inline_text(block.inlines)
        return [indent + line for line in text.split("\n")] if text else []
    if isinstance(block, BulletList):
        return [
            f"{indent}  {f'{n}.' if block.numbered else '-'} {inline_text(item)}"
            for n, item in enumerate(block.items, 1)
        ]
    if isinstance(block, CodeBlock):
        return [indent + INDENT + line for line in block.text.split("\n")]
    if isinstance(block, Collapsible):
        lines = [line for b in block.summary for line in block_lines(b, indent)]
        return lines + [line for b in block.body for line in block_lines(b, indent + INDENT)]
    if isinstance(block, PaperCard):
        return [line for b in card_blocks(block) for line in block_lines(b, indent)]
    raise TypeError(f"unknown block {type(block).__name__}")


def blocks_text(blocks: Iterable[Block], indent: str = "") -> str:
    return strip_controls("\n".join(line for b in blocks for line in block_lines(b, indent)))
