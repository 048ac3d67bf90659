"""The console adapter: the bot in a terminal, as a private chat of the local user.

It is how a newcomer tries the bot before creating any bot token, and how the command layer is
tested end to end as a person uses it (commands on stdin, replies on stdout). Buttons are shown
as numbered choices; typing the number presses it. Folded parts are shown indented.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from contextlib import nullcontext
from typing import TextIO

from bot.commands import CommandRouter
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Button, PaperCard, Reply
from bot.contract.outbound import Gate, OnSent
from bot.rendering.text import INDENT, block_lines, strip_controls

PLATFORM = "console"


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
            lines.extend(block_lines(block))
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
    return strip_controls("\n".join(lines)), buttons


class ConsoleAdapter:
    """Reads commands from ``stdin`` and writes replies to ``stdout`` until end of input.

    A terminal has one chat, and each reply is one message."""

    platform = PLATFORM

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

    async def start(self) -> None:
        if self.stdin.isatty():
            self.write("arxiv-bot in your terminal. Type /help, or /quit to leave.")

    async def stop(self) -> None:
        self.stdout.flush()

    async def send(
        self,
        chat: ChatRef,
        reply: Reply,
        *,
        skip: int = 0,
        key: str | None = None,
        on_sent: OnSent | None = None,
        gate: Gate | None = None,
    ) -> int:
        """Proactive messages (digests) to the one chat a terminal has: one message."""
        if skip >= 1:
            return 1
        async with gate or nullcontext():
            self._show(reply)
            if on_sent is not None:
                await on_sent(1)
        return 1

    def _show(self, reply: Reply) -> None:
        text, self._buttons = render(reply)
        self.write(text)

    async def _progress(self, reply: Reply) -> None:
        self.write(render(reply)[0])

    async def handle_line(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        ctx = self._context()
        answer: Reply | None
        if text.isdecimal() and self._buttons:  # not isdigit: int('²') fails
            index = int(text) - 1
            if not 0 <= index < len(self._buttons):
                self.write(f"(!) Choose a number from 1 to {len(self._buttons)}.")
                return
            action = self._buttons[index].action
            answer = await self.router.handle_action(ctx, action, self._progress)
        else:
            answer = await self.router.handle_text(ctx, text, self._progress)
        if answer is not None:
            self._show(answer)

    async def run(self) -> None:
        """Start, answer each line until end of input or /quit, then stop."""
        await self.start()
        try:
            await self._read_lines()
        finally:
            await self.stop()

    async def _read_lines(self) -> None:
        interactive = self.stdin.isatty()
        while True:
            if interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip().lower() in ("/quit", "/exit", "quit", "exit"):
                return
            await self.handle_line(line)
