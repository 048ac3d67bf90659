"""Platform-neutral replies: a small tree of rich content that every adapter renders natively.

Handlers build trees, never markup strings, so escaping is the renderer's job alone and text
from papers, users or the model can only ever be text. Each adapter maps these nodes to its
own format (Telegram HTML, Discord Markdown and embeds, plain terminal text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

# --- inline nodes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Italic:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str


Inline = Text | Bold | Italic | Code | Link

# --- block nodes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    """A section title; chat platforms without headings show it as a bold line."""

    inlines: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[tuple[Inline, ...], ...]
    numbered: bool = False


@dataclass(frozen=True, slots=True)
class CodeBlock:
    text: str


@dataclass(frozen=True, slots=True)
class Collapsible:
    """Content that stays folded until the reader opens it (Telegram's expandable quote,
    Markdown's ``<details>``). ``summary`` is what shows while it is folded."""

    summary: tuple[Block, ...]
    body: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class PaperCard:
    """One paper in a digest or a summary reply. Adapters with cards (Discord embeds) render it
    natively; others use :func:`card_blocks`."""

    arxiv_id: str
    title: str
    url: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    score: float | None = None
    why: str = ""
    tldr: str = ""
    body: tuple[Block, ...] = ()
    actions: tuple[Button, ...] = ()
    tldr_room: int = 0
    """Room (characters) kept for a TL;DR that replaces this one later, when the message
    is edited in place: renderers lay the card out as if its TL;DR were that long and cut a
    longer one there, so the edited reply splits into the same messages."""


Block = Paragraph | Heading | BulletList | CodeBlock | Collapsible | PaperCard


@dataclass(frozen=True, slots=True)
class Button:
    """A button; ``action`` comes back in an :class:`Action` when pressed. It must fit
    Telegram's 64-byte callback data (and Discord's 100-character custom id)."""

    label: str
    action: str

    def __post_init__(self) -> None:
        if not 0 < len(self.action.encode()) <= MAX_ACTION_BYTES:
            raise ValueError(f"button action {self.action!r} does not fit in 64 bytes")


MAX_ACTION_BYTES = 64

Tone = Literal["info", "error"]
OnMessage = Callable[[int, str, tuple[str, ...]], Awaitable[None]]
"""``on_message(index, message_id, papers)``: message ``index`` of a reply went out as the
platform's ``message_id``, carrying the paper cards ``papers`` (versioned ids)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers. ``private`` asks adapters that can (Discord) to show it only to
    the person who asked; ``tone`` lets them style errors."""

    blocks: tuple[Block, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()
    private: bool = False
    tone: Tone = "info"
    extra: tuple[Reply, ...] = field(default=())
    """Follow-up messages sent after this one (a digest longer than one message)."""
    on_message: OnMessage | None = field(default=None, compare=False, repr=False)
    """Set on a reply that is completed in place later (a /digest whose summaries are still
    being made): the adapter that sends it reports where each of its messages went."""
    paper: str = ""
    """The arXiv id of the one paper this reply is about when it shows no card (an answer):
    adapters that let people reply to a message (Telegram) remember which paper it shows."""


# --- builders -------------------------------------------------------------------------------

InlineLike = Inline | str


def inlines(*parts: InlineLike) -> tuple[Inline, ...]:
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def para(*parts: InlineLike) -> Paragraph:
    return Paragraph(inlines(*parts))


def bold(*parts: InlineLike) -> Bold:
    return Bold(inlines(*parts))


def italic(*parts: InlineLike) -> Italic:
    return Italic(inlines(*parts))


def bullets(items: Iterable[tuple[InlineLike, ...] | InlineLike]) -> BulletList:
    rows = tuple(inlines(*i) if isinstance(i, tuple) else inlines(i) for i in items)
    return BulletList(rows)


def reply(
    *blocks: Block | str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    private: bool = False,
) -> Reply:
    built = tuple(para(b) if isinstance(b, str) else b for b in blocks)
    return Reply(built, buttons=buttons, private=private)


def error(*blocks: Block | str) -> Reply:
    """A friendly refusal: shown privately where the platform allows."""
    built = tuple(para(b) if isinstance(b, str) else b for b in blocks)
    return Reply(built, private=True, tone="error")


def card_blocks(card: PaperCard) -> tuple[Block, ...]:
    """A card as plain blocks, for renderers without native cards."""
    meta = ", ".join(card.categories)
    if card.score is not None:
        meta += f" · score {card.score:g}"
    if card.why:
        meta += f" · {card.why}"
    head: list[Block] = [
        Paragraph((Bold((Link(card.title, card.url),)),)),
        para(", ".join(card.authors)) if card.authors else para(""),
        para(meta),
    ]
    if card.tldr or card.body:
        summary = (para(card.tldr),) if card.tldr else (para("Details"),)
        head.append(Collapsible(summary, card.body) if card.body else summary[0])
    return tuple(b for b in head if not (isinstance(b, Paragraph) and b.inlines == (Text(""),)))


def plain_text(nodes: Iterable[Inline]) -> str:
    """The text of inline nodes without formatting (for lengths and fallbacks)."""
    out = []
    for node in nodes:
        if isinstance(node, Text | Code | Link):
            out.append(node.text)
        else:
            out.append(plain_text(node.children))
    return "".join(out)
