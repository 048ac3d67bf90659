"""Neutral replies as Telegram HTML messages that Telegram never rejects.

Every text from a paper, a user or the model goes through ``html.escape``; markup comes only
from the tree's structure. Folded content becomes ``<blockquote expandable>`` (its first lines
show, the rest opens on tap); blockquotes cannot nest, so folded parts inside folded parts are
flattened. Messages stay within 4,096 characters after entity parsing, counted like Telegram in
UTF-16 code units, split between paragraphs, never inside a tag or an entity.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

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
    Link,
    PaperCard,
    Paragraph,
    Reply,
    Text,
)

MAX_TEXT = 4096
MAX_BUTTONS = 100
BUTTON_TITLE = 32


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    html: str
    plain: str
    """The same message without markup, sent if Telegram ever refuses the HTML."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    papers: tuple[str, ...] = ()
    """arXiv ids of the papers the message shows (its cards, or the paper an answer is
    about): a reply to the message asks about them."""
    completes: tuple[str, ...] = ()
    """The paper cards whose TL;DR this message shows (versioned ids): what an edit that
    completes a summary changes."""


@dataclass(slots=True)
class _Piece:
    """A self-contained fragment (balanced tags): ``size`` is its visible UTF-16 length, or
    the room it keeps for a longer text to come (``reserve``)."""

    html: str
    plain: str
    sep: str = "\n\n"
    quoted: bool = False
    buttons: tuple[Button, ...] = ()
    papers: tuple[str, ...] = ()
    reserve: int = 0
    tldr_of: str = ""
    """The card whose TL;DR this piece is (versioned id)."""

    @property
    def size(self) -> int:
        return max(utf16_len(self.plain), self.reserve)


def fit_units(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 code units (with an ellipsis when cut)."""
    if utf16_len(text) <= units:
        return text
    cut = text[: max(units - 1, 0)]
    while cut and utf16_len(cut) + 1 > units:
        cut = cut[:-1]
    return cut.rstrip() + "…"


def inline_html(nodes: tuple[Inline, ...]) -> tuple[str, str]:
    out_html: list[str] = []
    out_plain: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out_html.append(_esc(node.text))
            out_plain.append(node.text)
        elif isinstance(node, Code):
            out_html.append(f"<code>{_esc(node.text)}</code>")
            out_plain.append(node.text)
        elif isinstance(node, Link):
            scheme = urlsplit(node.url).scheme
            if scheme in ("http", "https"):
                href = html.escape(node.url, quote=True)
                out_html.append(f'<a href="{href}">{_esc(node.text)}</a>')
            else:
                out_html.append(_esc(node.text))
            out_plain.append(node.text)
        else:
            inner_html, inner_plain = inline_html(node.children)
            tag = "b" if isinstance(node, Bold) else "i"
            out_html.append(f"<{tag}>{inner_html}</{tag}>" if inner_plain else "")
            out_plain.append(inner_plain)
    return "".join(out_html), "".join(out_plain)


def _pieces(block: Block, *, quoted: bool = False) -> list[_Piece]:
    if isinstance(block, Paragraph):
        h, p = inline_html(block.inlines)
        return [_Piece(h, p, quoted=quoted)] if p.strip() else []
    if isinstance(block, Heading):
        h, p = inline_html(block.inlines)
        return [_Piece(f"<b>{h}</b>", p, quoted=quoted)] if p.strip() else []
    if isinstance(block, BulletList):
        out: list[_Piece] = []
        for n, item in enumerate(block.items, 1):
            h, p = inline_html(item)
            mark = f"{n}." if block.numbered else "•"
            out.append(
                _Piece(f"{mark} {h}", f"{mark} {p}", sep="\n" if out else "\n\n", quoted=quoted)
            )
        return out
    if isinstance(block, CodeBlock):
        return [_Piece(f"<pre>{_esc(block.text)}</pre>", block.text, quoted=quoted)]
    if isinstance(block, Collapsible):
        head = [p for b in block.summary for p in _pieces(b, quoted=quoted)]
        return head + [p for b in block.body for p in _pieces(b, quoted=True)]
    if isinstance(block, PaperCard):
        return _card(block, quoted=quoted)
    raise TypeError(f"unknown block {type(block).__name__}")


def _card(card: PaperCard, *, quoted: bool) -> list[_Piece]:
    title = f'<b><a href="{html.escape(card.url, quote=True)}">{_esc(card.title)}</a></b>'
    meta = ", ".join(card.categories)
    if card.score is not None:
        meta += f" · score {card.score:g}"
    lines_html = [title]
    lines_plain = [card.title]
    if card.authors:
        lines_html.append(f"<i>{_esc(', '.join(card.authors))}</i>")
        lines_plain.append(", ".join(card.authors))
    lines_html.append(_esc(meta) + (f" · {_esc(card.why)}" if card.why else ""))
    lines_plain.append(meta + (f" · {card.why}" if card.why else ""))
    head = _Piece("\n".join(lines_html), "\n".join(lines_plain), quoted=quoted)
    short = card.title if len(card.title) <= BUTTON_TITLE else card.title[: BUTTON_TITLE - 1] + "…"
    # One row per paper, beside its summary; the first button names the paper.
    head.buttons = tuple(
        Button(f"{b.label}: {short}" if n == 0 else b.label, b.action)
        for n, b in enumerate(card.actions)
    )
    out = [head]
    if card.tldr:
        room = card.tldr_room
        tldr = fit_units(card.tldr, room) if room else card.tldr
        out.append(
            _Piece(_esc(tldr), tldr, sep="\n", quoted=True, reserve=room, tldr_of=card.arxiv_id)
        )
    for block in card.body:
        out.extend(_pieces(block, quoted=True))
    for piece in out:  # a card split over two messages: a reply to either asks about it
        piece.papers = (card.arxiv_id,)
    return out


def _split_long(piece: _Piece, room: int) -> list[_Piece]:
    """A piece too long for one message, cut at sentence or word boundaries into plain-text
    pieces (its inline formatting is dropped: rare, and always better than a rejection)."""
    out: list[_Piece] = []
    text = piece.plain
    while text:
        if utf16_len(text) <= room:
            cut = len(text)
        else:
            cut = room // 2  # UTF-16 units never exceed twice the characters
            window = text[:cut]
            boundary = max(window.rfind(". "), window.rfind("\n"))
            if boundary < cut // 2:
                boundary = window.rfind(" ")
            cut = boundary + 1 if boundary > 0 else cut
        chunk, text = text[:cut].rstrip(), text[cut:].lstrip()
        if chunk:
            out.append(
                _Piece(_esc(chunk), chunk, sep=piece.sep if not out else "\n", quoted=piece.quoted)
            )
    out[0].buttons = piece.buttons
    for part in out:
        part.papers = piece.papers
    return out


@dataclass(slots=True)
class _Draft:
    parts_html: list[str] = field(default_factory=list)
    parts_plain: list[str] = field(default_factory=list)
    size: int = 0
    in_quote: bool = False
    buttons: list[tuple[Button, ...]] = field(default_factory=list)
    """A row per paper."""
    papers: list[str] = field(default_factory=list)
    completes: list[str] = field(default_factory=list)

    def close_quote(self) -> None:
        if self.in_quote:
            self.parts_html.append("</blockquote>")
            self.in_quote = False

    def add(self, piece: _Piece) -> None:
        sep = piece.sep if self.parts_plain else ""
        if piece.quoted and not self.in_quote:
            self.parts_html.append(sep + "<blockquote expandable>")
            self.in_quote = True
        elif not piece.quoted and self.in_quote:
            self.close_quote()
            self.parts_html.append(sep)
        else:
            self.parts_html.append(sep)
        self.parts_html.append(piece.html)
        self.parts_plain.append(sep + piece.plain)
        self.size += utf16_len(sep) + piece.size
        if piece.buttons:
            self.buttons.append(piece.buttons)
        self.papers.extend(p for p in piece.papers if p not in self.papers)
        if piece.tldr_of:
            self.completes.append(piece.tldr_of)

    def cost(self, piece: _Piece) -> int:
        return (utf16_len(piece.sep) if self.parts_plain else 0) + piece.size


def render(reply: Reply, *, limit: int = MAX_TEXT) -> list[TelegramMessage]:
    """One reply (and its follow-ups) as Telegram messages, in order."""
    messages: list[TelegramMessage] = []
    for part in (reply, *reply.extra):
        pieces: list[_Piece] = []
        for block in part.blocks:
            for piece in _pieces(block):
                pieces.extend(_split_long(piece, limit) if piece.size > limit else [piece])
        drafts = [_Draft()]
        for piece in pieces:
            if drafts[-1].parts_plain and drafts[-1].size + drafts[-1].cost(piece) > limit:
                drafts[-1].close_quote()
                drafts.append(_Draft())
                piece = replace(piece, sep="")
            drafts[-1].add(piece)
        for i, draft in enumerate(drafts):
            draft.close_quote()
            if not draft.parts_plain:
                continue
            rows = tuple(draft.buttons)
            if i == len(drafts) - 1:
                rows += part.buttons
            papers = tuple(draft.papers) or ((part.paper,) if part.paper else ())
            messages.append(
                TelegramMessage(
                    "".join(draft.parts_html),
                    "".join(draft.parts_plain),
                    rows[:MAX_BUTTONS],
                    papers,
                    tuple(draft.completes),
                )
            )
    return messages
