"""What the command tests share: chats, the fixed clock, today's papers on the fake arXiv, and
ways to read a neutral :class:`Reply` without any adapter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.commands import CommandRouter
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import (
    Block,
    BulletList,
    Button,
    CodeBlock,
    Collapsible,
    Heading,
    PaperCard,
    Paragraph,
    Reply,
    plain_text,
)
from bot.model.subscriptions import Subscription
from bot.services import Services
from tests.fakes.fake_arxiv import FakePaper

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""A Tuesday, noon UTC: the next 08:00 UTC delivery is Wednesday 25 November 2026."""

PLATFORM = "test"
PRIVATE = CommandContext(ChatRef(PLATFORM, "alice", "private"), "alice", is_admin=True)
GROUP_ADMIN = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "alice", is_admin=True)
GROUP_MEMBER = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "bob", is_admin=False)


def paper(arxiv_id: str, title: str, abstract: str, *categories: str) -> FakePaper:
    return FakePaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace (Analytical Engines)", "Alan Turing"],
        categories=list(categories),
    )


# Today's announcement. With keywords LLM and "mixture of experts" and cs.AI + cs.LG:
MOE_LLM = paper(  # LLM (title) 1.5 + mixture of experts (title) 1.5 = 3.0
    "2611.00001",
    "Mixture-of-Experts LLM serving",
    "We serve a sparse model on few GPUs.",
    "cs.LG",
    "cs.AI",
)
LLM_INFERENCE = paper(  # LLM (title) 1.5 + mixture of experts 1.0 = 2.5
    "2611.00004",
    "Faster LLM inference",
    "Routing tokens in a mixture of experts layer.",
    "cs.LG",
)
AGENTS = paper(  # LLM 1.0
    "2611.00002", "Agents that plan", "Planning with LLMs and search.", "cs.AI"
)
SURVEY = paper(  # LLM (title): removed by /exclude survey
    "2611.00005", "A survey of LLM agents", "We survey the field.", "cs.AI"
)
OTHER_CATEGORY = paper(  # not in cs.AI or cs.LG
    "2611.00003", "LLM translation", "Mixture of experts for translation.", "cs.CL"
)
CROSS_LIST = paper(  # primary math.OC: a cross-list for cs.LG, left out by default
    "2611.00006", "LLM step sizes", "Optimising LLM training.", "math.OC", "cs.LG"
)
NO_MATCH = paper("2611.00007", "Graph colouring", "Colour graphs quickly.", "cs.AI")
TODAY = [MOE_LLM, LLM_INFERENCE, AGENTS, SURVEY, OTHER_CATEGORY, CROSS_LIST, NO_MATCH]

# Known to the export API only (for /summarize).
ATTENTION = FakePaper(
    arxiv_id="2512.03394",
    title="Attention, again",
    abstract="We revisit attention. It still works.",
    authors=["Grace Hopper", "张伟"],
    categories=["cs.CL", "cs.LG"],
    version=2,
    replaced=True,
)


@dataclass
class Bot:
    """The real command layer over real services, with a clock the test controls."""

    services: Services
    router: CommandRouter
    now: datetime = NOW
    replies: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.services.clock = lambda: self.now

    async def send(self, ctx: CommandContext, text: str) -> Reply:
        answer = await self.router.handle_text(ctx, text)
        assert answer is not None, f"no reply to {text!r}"
        self.replies.append(answer)
        return answer

    async def press(self, ctx: CommandContext, action: str) -> Reply:
        answer = await self.router.handle_action(ctx, action)
        self.replies.append(answer)
        return answer

    async def subscription(self, ctx: CommandContext) -> Subscription | None:
        return await self.services.store.get_subscription(ctx.chat.platform, ctx.chat.chat_id)

    async def stored(self, ctx: CommandContext) -> Subscription:
        found = await self.subscription(ctx)
        assert found is not None, f"{ctx.chat.key} has no stored subscription"
        return found


# --- reading replies ----------------------------------------------------------------------


def parts(reply: Reply) -> Iterator[Reply]:
    yield reply
    for extra in reply.extra:
        yield from parts(extra)


def _block_lines(block: Block) -> Iterator[str]:
    if isinstance(block, Paragraph | Heading):
        yield plain_text(block.inlines)
    elif isinstance(block, BulletList):
        for item in block.items:
            yield plain_text(item)
    elif isinstance(block, CodeBlock):
        yield block.text
    elif isinstance(block, Collapsible):
        for b in (*block.summary, *block.body):
            yield from _block_lines(b)
    elif isinstance(block, PaperCard):
        yield block.title
        yield ", ".join(block.authors)
        yield ", ".join(block.categories)
        yield block.why
        yield block.tldr
        for b in block.body:
            yield from _block_lines(b)


def text(reply: Reply | None) -> str:
    """All the text of a reply and its follow-ups, without formatting."""
    assert reply is not None
    return "\n".join(
        line for part in parts(reply) for b in part.blocks for line in _block_lines(b)
    )


def buttons(reply: Reply) -> list[Button]:
    """Every button, in order: the rows of each part, and the actions of its cards."""
    out: list[Button] = []
    for part in parts(reply):
        for block in part.blocks:
            if isinstance(block, PaperCard):
                out.extend(block.actions)
        for row in part.buttons:
            out.extend(row)
    return out


def actions(reply: Reply) -> list[str]:
    return [b.action for b in buttons(reply)]


def cards(reply: Reply) -> list[PaperCard]:
    return [b for part in parts(reply) for b in part.blocks if isinstance(b, PaperCard)]


def folded(card: PaperCard) -> str:
    """The text a card keeps folded until the reader opens it."""
    return "\n".join(
        line
        for block in card.body
        if isinstance(block, Collapsible)
        for b in block.body
        for line in _block_lines(b)
    )


def is_error(reply: Reply) -> bool:
    return reply.tone == "error"
