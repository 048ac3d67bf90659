"""The console adapter: the bot in a terminal, as a private chat of the local user.

It is how a newcomer tries the bot before creating any bot token, and how the command layer is
tested end to end as a person uses it (commands on stdin, replies on stdout). Buttons are shown
as numbered choices; typing the number presses it. Folded parts are shown indented.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from typing import TextIO

from bot.chats import ChatRef, CommandContext
from bot.commands import CommandRouter
from bot.messages import (
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
    card_blocks,
)

PLATFORM = "console"
INDENT = "    "
_TERMINAL_CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f]")


def _inline(nodes: tuple[Inline, ...]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Code):
            out.append(f"`{node.text}`")
        elif isinstance(node, Link):
            out.append(node.text if node.text == node.url else f"{node.text} <{node.url}>")
        elif isinstance(node, Bold | Italic):
            out.append(_inline(node.children))
    return "".join(out)


def _block(block: Block, indent: str = "") -> list[str]:
    if isinstance(block, Paragraph | Heading):
        text = _inline(block.inlines)
        return [indent + line for line in text.split("\n")] if text else []
    if isinstance(block, BulletList):
        return [
            f"{indent}  {f'{n}.' if block.numbered else '-'} {_inline(item)}"
            for n, item in enumerate(block.items, 1)
        ]
    if isinstance(block, CodeBlock):
        return [indent + INDENT + line for line in block.text.split("\n")]
    if isinstance(block, Collapsible):
        lines = [line for b in block.summary for line in _block(b, indent)]
        return lines + [line for b in block.body for line in _block(b, indent + INDENT)]
    if isinstance(block, PaperCard):
        return [line for b in card_blocks(block) for line in _block(b, indent)]
    raise TypeError(f"unknown block {type(block).__name__}")


def render(reply: Reply) -> tuple[str, list[Button]]:
    """Text for the terminal, and the buttons in the order they are numbered."""
    lines: list[str] = []
    buttons: list[Button] = []
    for part in (reply, *reply.extra):
        if lines:
            lines.append("")
        if part.tone == "error":
            lines.append("(!)")
        for block in part.blocks:
            lines.extend(_block(block))
            if isinstance(block, PaperCard):
                for action in block.actions:
                    buttons.append(action)
                    lines.append(f"{INDENT}[{len(buttons)}] {action.label}")
        row_labels = []
        for row in part.buttons:
            for button in row:
                buttons.append(button)
                row_labels.append(f"[{len(buttons)}] {button.label}")
        if row_labels:
            lines.append("  ".join(row_labels))
    text = "\n".join(lines)
    return _TERMINAL_CONTROL.sub("", text), buttons


class ConsoleAdapter:
    """Reads commands from ``stdin`` and writes replies to ``stdout`` until end of input."""

    name = PLATFORM

    def __init__(
        self,
        router: CommandRouter,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        user: str | None = None,
    ) -> None:
        self.router = router
        self.stdin = stdin
        self.stdout = stdout
        self.user = user or getpass.getuser()
        self.chat = ChatRef(PLATFORM, self.user, "private")
        self._buttons: list[Button] = []

    def _context(self) -> CommandContext:
        return CommandContext(self.chat, self.user, is_admin=True, user_name=self.user)

    def write(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        """Proactive messages (digests) to the one chat a terminal has."""
        text, self._buttons = render(reply)
        self.write(text)

    async def handle_line(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        ctx = self._context()
        answer: Reply | None
        if text.isdigit() and self._buttons:
            index = int(text) - 1
            if not 0 <= index < len(self._buttons):
                self.write(f"(!) Choose a number from 1 to {len(self._buttons)}.")
                return
            answer = await self.router.handle_action(ctx, self._buttons[index].action)
        else:
            answer = await self.router.handle_text(ctx, text)
        if answer is not None:
            await self.send(self.chat, answer)

    async def run(self) -> None:
        interactive = self.stdin.isatty()
        if interactive:
            self.write("arxiv-bot in your terminal. Type /help, or /quit to leave.")
        while True:
            if interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                return
            await self.handle_line(line)
