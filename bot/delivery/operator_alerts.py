"""The operators hear, in a direct message on their platform, when chats become unusable.

Otherwise a blocked, kicked or deleted chat shows only in that chat (to whoever next uses a
command there: maybe nobody) and in /status. Each chat is reported once per change of state
(:class:`~bot.delivery.chat_events.ChatEvents` reports only an active chat going inactive),
and never as a flood: what goes during a delivery round (a fan-out may find hundreds) is sent
as one message per operator when the round ends (:meth:`OperatorAlerts.round`); what goes
between rounds (a membership update, a reply that could not be sent) waits
``settle_seconds`` for the rest of its burst. An operator who cannot be reached is logged;
nothing here ever raises into delivery or a command.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from bot.contract.messages import Reply
from bot.contract.outbound import DirectMessenger
from bot.delivery.unusable import UnusableChat, operator_report

log = logging.getLogger(__name__)

SETTLE_SECONDS = 10.0
"""Between rounds, how long a chat that became unusable waits for others of its burst (the
bot removed from many groups at once) before the operators are told."""
SEND_SECONDS = 10.0
"""How long one operator's message may take (a platform's pacing and retries included)."""


class OperatorAlerts:
    def __init__(
        self,
        operators: Sequence[str],
        *,
        settle_seconds: float = SETTLE_SECONDS,
        send_seconds: float = SEND_SECONDS,
    ) -> None:
        """``operators``: ``platform:user_id`` entries, as the operators setting lists them."""
        self.operators = list(operators)
        self.settle_seconds = settle_seconds
        self.send_seconds = send_seconds
        self.messengers: dict[str, DirectMessenger] = {}
        self._pending: dict[str, UnusableChat] = {}
        self._rounds = 0
        self._timer: asyncio.Task[None] | None = None
        self._waiting = False
        self._sending = asyncio.Lock()

    def add(self, messenger: object) -> None:
        """A platform that is up: its operators can be written to (one that cannot write to
        a person directly is ignored)."""
        if isinstance(messenger, DirectMessenger):
            self.messengers[messenger.platform] = messenger

    def chat_unusable(self, gone: UnusableChat) -> None:
        """Note a chat that just became unusable; the operators hear at the end of the round,
        or after ``settle_seconds`` outside one."""
        if not self.operators:
            return
        self._pending[gone.chat.key] = gone
        if self._rounds == 0 and self._timer is None:
            self._timer = asyncio.get_running_loop().create_task(self._settle())

    async def _settle(self) -> None:
        self._waiting = True
        try:
            await asyncio.sleep(self.settle_seconds)
        finally:
            self._waiting = False
            self._timer = None
        if self._rounds == 0:  # else the round's end tells them
            await self.flush()

    @asynccontextmanager
    async def round(self) -> AsyncIterator[None]:
        """A delivery round: every chat it finds unusable goes into one message per operator,
        sent when it ends. A round cancelled by the shutdown leaves them to :meth:`close`."""
        self._rounds += 1
        cancelled = False
        try:
            yield
        except asyncio.CancelledError:
            cancelled = True
            raise
        finally:
            self._rounds -= 1
            if not cancelled and self._rounds == 0:
                await self.flush()

    def around(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """``job`` (the scheduler's delivery round) run as one :meth:`round`."""

        async def run() -> None:
            async with self.round():
                await job()

        return run

    async def flush(self) -> None:
        """Tell every operator about the chats noted so far, one message each."""
        async with self._sending:
            if not self._pending:
                return
            chats = list(self._pending.values())
            self._pending.clear()
            report = operator_report(chats)
            for operator in self.operators:
                await self._tell(operator, report, len(chats))

    async def _tell(self, operator: str, report: Reply, count: int) -> None:
        platform, _, user_id = operator.partition(":")
        messenger = self.messengers.get(platform)
        if messenger is None:
            log.warning(
                "operator %s not told that %d chats became unusable: %s is not running",
                operator,
                count,
                platform,
            )
            return
        try:
            async with asyncio.timeout(self.send_seconds):
                await messenger.send_direct(user_id, report)
        except Exception as exc:  # never into delivery or a command
            log.warning(
                "operator %s not told that %d chats became unusable: %s", operator, count, exc
            )
        else:
            log.info("told operator %s that %d chats became unusable", operator, count)

    async def close(self, seconds: float) -> None:
        """At shutdown: what is still to tell gets ``seconds`` (the platforms are still up)."""
        timer, self._timer = self._timer, None
        try:
            async with asyncio.timeout(seconds):
                if timer is not None:
                    if self._waiting:  # still settling: tell now instead
                        timer.cancel()
                    await asyncio.wait({timer})
                await self.flush()
        except TimeoutError:
            log.warning("the operators were not told about every unusable chat before exit")
