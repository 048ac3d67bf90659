"""One harness for commands without an adapter: the real command router over real services,
and readers of the neutral replies it returns. Every suite that talks to commands uses it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from bot.commands import CommandRouter
from bot.contract.chats import CommandContext
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


@dataclass
class CommandBot:
    """The real command layer over real services. With ``now``, the services' clock is the
    test's (move it by assigning ``now``); ``interim`` holds the interim messages of the
    last command (what slow commands send before their answer)."""

    services: Services
    router: CommandRouter
    now: datetime | None = None
    replies: list[Reply] = field(default_factory=list)
    interim: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.now is not None:
            self.services.clock = self._clock

    def _clock(self) -> datetime:
        assert self.now is not None
        return self.now

    async def _progress(self, reply: Reply) -> None:
        self.interim.append(reply)

    async def send(self, ctx: CommandContext, text: str) -> Reply:
        self.interim.clear()
        answer = await self.router.handle_text(ctx, text, self._progress)
        assert answer is not None, f"no reply to {text!r}"
        self.replies.append(answer)
        return answer

    async def press(self, ctx: CommandContext, action: str) -> Reply:
        self.interim.clear()
        answer = await self.router.handle_action(ctx, action, self._progress)
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
