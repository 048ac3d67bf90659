"""Neutral replies as Discord messages within every Discord limit.

Text from papers, users and the model is Markdown-escaped and its mentions defused (a
zero-width space after ``@``), on top of ``allowed_mentions`` none on every send. Papers
become compact embeds (title link, authors, categories, score and why, TL;DR), each with its
own URL (Discord merges embeds that share one). Discord has no folded text: folded parts go
into embeds after the visible part. Limits: content 2,000; 10 embeds and 6,000 characters
per message; description 4,096; title 256; field 1,024; 25 buttons (5 rows of 5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord

from bot.contract.messages import (
    Block,
    Bold,
    BulletList,
    Button,
    Code,
    CodeBlock,
    Collapsible,
    Heading,
    Inline,
    Italic,
    Link,
    PaperCard,
    Paragraph,
    Reply,
    Text,
)

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_DESCRIPTION = 4096
MAX_TITLE = 256
MAX_FIELD = 1024
MAX_BUTTONS = 25
MAX_LABEL = 80
ASK_ACTION = "ask:"
"""Custom ids of Ask buttons: ``ask:<arXiv id>``; the adapter opens a modal for the question."""
EMBED_COLOUR = 0xB31B1B  # arXiv red


_MISPLACED_ESCAPE = re.compile(r"^\\(\s+)-", re.MULTILINE)


def _escape_markdown(text: str) -> str:
    escaped = discord.utils.escape_markdown(text)
    # escape_markdown puts the backslash of an indented list marker before the indent, where
    # Discord shows it ("\ - x"); before the "-" it escapes the marker and stays invisible.
    return _MISPLACED_ESCAPE.sub(r"\1\\-", escaped)


def safe(text: str) -> str:
    """Escape Markdown and defuse mentions in untrusted text."""
    # Escaped piece by piece between "[": escape_markdown takes everything from the first
    # "[" to the last ")" of a line for one link and leaves the Markdown in between (and the
    # later links) as it was.
    escaped = "\\[".join(_escape_markdown(part) for part in text.split("["))
    return discord.utils.escape_mentions(escaped)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _within_room(escaped: str, room: int) -> str:
    """Escaped text cut to a card's ``tldr_room`` (never leaving half an escape)."""
    if not room or len(escaped) <= room:
        return escaped
    return escaped[: room - 1].rstrip("\\") + "…"


def _reserved(card: PaperCard) -> int:
    """Characters a card's embed keeps free for the longer TL;DR an edit may bring."""
    if not card.tldr_room:
        return 0
    return max(card.tldr_room - len(_within_room(safe(card.tldr), card.tldr_room)), 0)


def inline_md(nodes: tuple[Inline, ...]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(safe(node.text))
        elif isinstance(node, Code):
            out.append(f"`{node.text.replace('`', 'ˋ')}`")  # noqa: RUF001 - a look-alike on purpose
        elif isinstance(node, Link):
            out.append(f"[{safe(node.text).replace(']', '')}](<{node.url}>)")
        elif isinstance(node, Bold):
            out.append(f"**{inline_md(node.children)}**")
        elif isinstance(node, Italic):
            out.append(f"*{inline_md(node.children)}*")
    return "".join(out)


def block_md(block: Block) -> list[str]:
    """Paragraph-sized Markdown chunks (the unit messages are split at)."""
    if isinstance(block, Paragraph):
        text = inline_md(block.inlines)
        return [text] if text.strip() else []
    if isinstance(block, Heading):
        return [f"**{inline_md(block.inlines)}**"]
    if isinstance(block, BulletList):
        return [
            "\n".join(
                f"{f'{n}.' if block.numbered else '•'} {inline_md(item)}"
                for n, item in enumerate(block.items, 1)
            )
        ]
    if isinstance(block, CodeBlock):
        return [f"```\n{block.text.replace('```', 'ˋˋˋ')}\n```"]  # noqa: RUF001
    if isinstance(block, Collapsible):
        return [c for b in (*block.summary, *block.body) for c in block_md(b)]
    if isinstance(block, PaperCard):
        return [f"**[{safe(block.title)}](<{block.url}>)**"]
    raise TypeError(f"unknown block {type(block).__name__}")


def paper_embed(card: PaperCard, *, with_body: bool = False) -> discord.Embed:
    lines = []
    if card.authors:
        lines.append(f"*{safe(', '.join(card.authors))}*")
    if card.tldr:
        lines.append(_within_room(safe(card.tldr), card.tldr_room))
    description = "\n\n".join(lines)
    embed = discord.Embed(
        title=_cut(safe(card.title), MAX_TITLE),
        url=card.url,
        description=_cut(description, MAX_DESCRIPTION),
        colour=EMBED_COLOUR,
    )
    meta = ", ".join(card.categories)
    if card.score is not None:
        meta += f" · score {card.score:g}"
    embed.add_field(name="Categories", value=_cut(meta, MAX_FIELD), inline=True)
    if card.why:
        embed.add_field(name="Why", value=_cut(safe(card.why), MAX_FIELD), inline=True)
    embed.set_footer(text=f"arXiv:{card.arxiv_id}")
    return embed


def body_embeds(blocks: tuple[Block, ...], *, title: str | None = None) -> list[discord.Embed]:
    """Long text as embed descriptions of at most 4,096 characters, split between chunks."""
    embeds: list[discord.Embed] = []
    current = ""
    for chunk in (c for b in blocks for c in block_md(b)):
        for piece in _split(chunk, MAX_DESCRIPTION):
            if current and len(current) + 2 + len(piece) > MAX_DESCRIPTION:
                embeds.append(discord.Embed(description=current, colour=EMBED_COLOUR))
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        embeds.append(discord.Embed(description=current, colour=EMBED_COLOUR))
    if embeds and title:
        embeds[0].title = _cut(title, MAX_TITLE)
    return embeds


def _split(text: str, limit: int) -> list[str]:
    out = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        out.append(text)
    return out


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


@dataclass(slots=True)
class DiscordMessage:
    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    papers: list[str] = field(default_factory=list)
    """The paper cards in it (versioned ids), for edits that complete their summaries."""
    reserved: int = 0

    def room_for(self, embed: discord.Embed, buttons: int = 0, reserve: int = 0) -> bool:
        """Whether the embed (and its paper's buttons, kept in the same message) fit, with
        ``reserve`` characters kept for a TL;DR that arrives later."""
        total = sum(_embed_size(e) for e in self.embeds) + _embed_size(embed)
        total += self.reserved + reserve
        return (
            len(self.embeds) < MAX_EMBEDS
            and total <= MAX_EMBED_TOTAL
            and len(self.buttons) + buttons <= MAX_BUTTONS
        )


def render(reply: Reply) -> list[DiscordMessage]:
    """One reply (and its follow-ups) as Discord messages, in order."""
    out: list[DiscordMessage] = []
    for part in (reply, *reply.extra):
        messages = [DiscordMessage()]
        text_chunks: list[str] = []
        cards = 0
        for block in part.blocks:
            if isinstance(block, PaperCard):
                cards += 1
                embed = paper_embed(block)
                reserve = _reserved(block)
                if not messages[-1].room_for(embed, len(block.actions) + 1, reserve):  # + Ask
                    messages.append(DiscordMessage())
                messages[-1].embeds.append(embed)
                messages[-1].reserved += reserve
                messages[-1].papers.append(block.arxiv_id)
                messages[-1].buttons.extend(
                    Button(_cut(f"{a.label}: {block.title}", MAX_LABEL), a.action)
                    for a in (*block.actions[:1], ask_button(block.arxiv_id), *block.actions[1:])
                )
                for extra in body_embeds(block.body):
                    if not messages[-1].room_for(extra):
                        messages.append(DiscordMessage())
                    messages[-1].embeds.append(extra)
            elif isinstance(block, Collapsible):
                text_chunks.extend(c for b in block.summary for c in block_md(b))
                for extra in body_embeds(block.body):
                    if not messages[-1].room_for(extra):
                        messages.append(DiscordMessage())
                    messages[-1].embeds.append(extra)
            else:
                text_chunks.extend(block_md(block))
        contents = _pack(text_chunks)
        if contents:
            messages[0].content = contents[0]
            messages[1:1] = [DiscordMessage(content=c) for c in contents[1:]]
        messages[-1].buttons.extend(b for row in part.buttons for b in row)
        if part.paper:
            messages[-1].buttons.append(ask_button(part.paper, "Ask a follow-up"))
        out.extend(_spread_buttons([m for m in messages if m.content or m.embeds]))
    return out


def ask_button(paper: str, label: str = "Ask") -> Button:
    """Discord's way to ask about a paper: a button that opens a modal for the question."""
    return Button(label, f"{ASK_ACTION}{paper}")


def _pack(chunks: list[str]) -> list[str]:
    contents: list[str] = []
    current = ""
    for chunk in chunks:
        for piece in _split(chunk, MAX_CONTENT):
            if current and len(current) + 2 + len(piece) > MAX_CONTENT:
                contents.append(current)
                current = ""
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        contents.append(current)
    return contents


def _spread_buttons(messages: list[DiscordMessage]) -> list[DiscordMessage]:
    """At most 25 buttons a message: extra ones go to follow-up messages of their own."""
    out: list[DiscordMessage] = []
    for message in messages:
        overflow = message.buttons[MAX_BUTTONS:]
        message.buttons = message.buttons[:MAX_BUTTONS]
        out.append(message)
        while overflow:
            out.append(DiscordMessage(content="…", buttons=overflow[:MAX_BUTTONS]))
            overflow = overflow[MAX_BUTTONS:]
    return out
