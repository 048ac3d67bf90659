"""The neutral content tree as HTML (feed item content). Every text is escaped; only the
tree's structure becomes markup, and links are http(s) only."""

from __future__ import annotations

import html
from collections.abc import Iterable
from urllib.parse import urlsplit

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


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def inline_html(nodes: Iterable[Inline]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(_esc(node.text))
        elif isinstance(node, Code):
            out.append(f"<code>{_esc(node.text)}</code>")
        elif isinstance(node, Link):
            if urlsplit(node.url).scheme in ("http", "https"):
                out.append(f'<a href="{_esc(node.url)}">{_esc(node.text)}</a>')
            else:
                out.append(_esc(node.text))
        elif isinstance(node, Bold):
            out.append(f"<b>{inline_html(node.children)}</b>")
        elif isinstance(node, Italic):
            out.append(f"<i>{inline_html(node.children)}</i>")
    return "".join(out)


def blocks_html(blocks: Iterable[Block]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(f"<p>{inline_html(block.inlines)}</p>")
        elif isinstance(block, Heading):
            out.append(f"<h4>{inline_html(block.inlines)}</h4>")
        elif isinstance(block, BulletList):
            tag = "ol" if block.numbered else "ul"
            items = "".join(f"<li>{inline_html(item)}</li>" for item in block.items)
            out.append(f"<{tag}>{items}</{tag}>")
        elif isinstance(block, CodeBlock):
            out.append(f"<pre>{_esc(block.text)}</pre>")
        elif isinstance(block, Collapsible):
            summary = "".join(
                inline_html(b.inlines) for b in block.summary if isinstance(b, Paragraph)
            )
            out.append(f"<details><summary>{summary}</summary>{blocks_html(block.body)}</details>")
        elif isinstance(block, PaperCard):
            out.append(blocks_html(card_blocks(block)))
    return "".join(out)
