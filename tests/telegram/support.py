"""What the Telegram suite shares: today's papers on the fake arXiv, the chats, and a
:class:`TgBot` that drives the real adapter through the fake Bot API server.

Synchronisation is event-driven: the fake's ``wait_*`` helpers, and :class:`UpdateLog`, an
observer registered in a late handler group through PTB's public ``add_handler`` API. PTB runs
the groups of one update in order, so the observer fires exactly when the adapter's own
handler for that update has finished (its replies sent, its store changes committed).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from adapters.telegram import TelegramAdapter, TelegramLimits
from bot.contract.chats import ChatRef
from bot.model.subscriptions import Subscription
from bot.services import Services
from tests.fakes.fake_arxiv import FakePaper
from tests.fakes.fake_telegram import FakeTelegram, SentMessage

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""A Tuesday, noon UTC: the fake arXiv's announcement day."""

USER = 4242  # a private chat: its id is the user's id
OTHER_USER = 4343
GROUP = -555  # a basic group
SUPERGROUP = -1001234567890
MEMBER = 1001  # the fake's default group sender (not an admin unless made one)
ADMIN = 2002

FAST = TelegramLimits(overall_per_second=10_000, private_per_second=10_000,
                      group_per_minute=100_000)  # fmt: skip
"""Pacing out of the way, for tests about behaviour rather than pacing (configuration)."""

WAIT = 15.0
"""Upper bound for anything the suite waits for; a hang fails the test instead of CI."""

# --- papers ---------------------------------------------------------------------------------

_AUTHORS = (
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger W. Dijkstra", "Barbara Liskov",
    "Donald E. Knuth", "Frances Allen", "John McCarthy", "Leslie Lamport", "Shafi Goldwasser",
    "Yoshua Bengio", "Fei-Fei Li", "Geoffrey Hinton", "Daphne Koller", "Andrew Ng",
)  # fmt: skip

_TITLES = (
    "Sparse Mixture-of-Experts Routing with Load-Aware Capacity Factors for LLM Serving",
    "Speculative Decoding with Draft Trees: Faster LLM Inference without Quality Loss",
    "Learning to Plan with Language Models: Search, Verification and Self-Correction",
    "Retrieval-Augmented Generation under Distribution Shift: A Benchmark and Analysis",
    "Quantized Low-Rank Adapters for Parameter-Efficient Fine-Tuning on a Single GPU",
    "Scaling Laws for Mixture of Experts Language Models Trained on Multilingual Data",
    "Reward Models Are Not Enough: Process Supervision for Mathematical Reasoning",
    "KV-Cache Compression for Long-Context Transformers via Learned Token Eviction",
    "Constitutional Alignment Revisited: Robustness of Preference Optimisation to Noise",
    "Graph Neural Networks Meet LLMs: Structured Reasoning over Knowledge Graphs",
    "Efficient Attention Kernels for Heterogeneous Accelerators",
    "Data Contamination Detection in LLM Benchmarks with Membership Inference",
)
_SENTENCES = (
    "Large language models (LLMs) have become the default interface to many tasks, yet "
    "their cost at inference time limits where they can be deployed.",
    "We propose a simple method that replaces a hand-tuned component with a learned one and "
    "analyse when it helps.",
    "Our approach keeps the model architecture unchanged and needs no additional training "
    "data beyond a small calibration set.",
    "Experiments on five public benchmarks show consistent gains over strong baselines, with "
    "up to 2.3x higher throughput at equal accuracy.",
    "We further study the trade-off between memory, latency and quality, and give a "
    "theoretical bound that matches the observed behaviour.",
    "Code and trained checkpoints are released to support reproducibility.",
)


def realistic_paper(n: int, *, categories: tuple[str, ...] = ("cs.LG", "cs.AI")) -> FakePaper:
    """Paper ``2611.000NN``: a real-looking title, 4-6 authors and a ~150-word abstract."""
    title = _TITLES[n % len(_TITLES)]
    authors = [_AUTHORS[(n + k) % len(_AUTHORS)] for k in range(4 + n % 3)]
    abstract = " ".join(_SENTENCES[(n + k) % len(_SENTENCES)] for k in range(len(_SENTENCES)))
    return FakePaper(
        arxiv_id=f"2611.{n:05d}",
        title=title,
        abstract=abstract,
        authors=authors,
        categories=list(categories),
    )


TODAY = [realistic_paper(n) for n in range(1, 13)]
"""Today's announcement in cs.LG and cs.AI: twelve papers."""

ATTENTION = FakePaper(
    arxiv_id="2512.03394",
    title="Attention, again",
    abstract="We revisit attention. It still works, and we show why.",
    authors=["Grace Hopper", "张伟"],
    categories=["cs.CL", "cs.LG"],
    version=2,
    replaced=True,
)
"""Known to the export API only (for /summarize)."""

HOSTILE_TEXT = (
    "<b>unclosed",
    "<script>alert(1)</script>",
    "R&D",
    "AT&T",
    "&nbsp;",
    "]]>",
    "x < y > z",
    "@everyone",
    "论文",
    "🤖🧪",
    "zero\u200bwidth",
    "</blockquote>",
    '<a href="javascript:alert(1)">x</a>',
)
"""Fragments that must reach the reader as the very text they are."""

HOSTILE = FakePaper(
    arxiv_id="2611.06666",
    title="<b>unclosed & <script>alert(1)</script> ]]> x < y > z @everyone 论文 🤖🧪",
    abstract=(
        "We show $\\alpha<\\beta$ and $x_{i} > 0$ for R&D at AT&T; &nbsp; is not an entity. "
        "</blockquote> <i>dangling ]]> zero\u200bwidth text. "
        '<a href="javascript:alert(1)">x</a> @everyone 论文 🤖🧪 and more.'
    ),
    authors=["<i>Mallory</i> & Eve", "张伟"],
    categories=["cs.LG"],
)


# --- the running bot ------------------------------------------------------------------------


class UpdateLog:
    """Which updates the adapter has finished handling (see the module docstring)."""

    GROUP = 10_000

    def __init__(self) -> None:
        self.done: set[int] = set()
        self._changed = asyncio.Condition()

    def attach(self, adapter: TelegramAdapter) -> None:
        adapter.app.add_handler(TypeHandler(Update, self._seen), group=self.GROUP)

    async def _seen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self._changed:
            self.done.add(update.update_id)
            self._changed.notify_all()

    async def wait(self, *update_ids: int) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: all(u in self.done for u in update_ids))


@dataclass
class TgBot:
    """The real adapter over real services, talking to the fake Bot API server."""

    fake: FakeTelegram
    adapter: TelegramAdapter
    services: Services
    log: UpdateLog
    errors: list[BaseException] = field(default_factory=list)

    async def handled(self, update: dict[str, Any]) -> None:
        await self.log.wait(update["update_id"])

    async def exchange(self, chat_id: int, text: str, **kwargs: Any) -> list[SentMessage]:
        """``text`` written in a chat; every message the bot sent there in answer."""
        before = len(self.fake.sent_to(chat_id))
        update = self.fake.send_text(chat_id, text, **kwargs)
        await self.handled(update)
        return self.fake.sent_to(chat_id)[before:]

    async def press(self, message: SentMessage, data: str, **kwargs: Any) -> list[SentMessage]:
        """A button pressed under ``message``; every message the bot sent in answer."""
        before = len(self.fake.sent_to(message.chat_id))
        update = self.fake.press_button(message, data, **kwargs)
        await self.handled(update)
        return self.fake.sent_to(message.chat_id)[before:]

    async def inject(self, update: dict[str, Any]) -> None:
        await self.handled(update)

    async def subscription(self, chat_id: int) -> Subscription | None:
        return await self.services.store.get_subscription("telegram", str(chat_id))

    async def stored(self, chat_id: int) -> Subscription:
        found = await self.subscription(chat_id)
        assert found is not None, f"no stored subscription for telegram:{chat_id}"
        return found

    async def subscribe(self, chat_id: int, *categories: str, kind: str = "private") -> None:
        """Put a subscription in the store directly (the state a test starts from)."""
        sub = Subscription(
            platform="telegram",
            chat_id=str(chat_id),
            chat_kind="private" if kind == "private" else "group",
            created_by="test",
            categories=categories,
        )
        await self.services.store.save_subscription(sub)

    def chat(self, chat_id: int) -> ChatRef:
        return ChatRef("telegram", str(chat_id), "private" if chat_id > 0 else "group")


def texts(messages: Iterable[SentMessage]) -> str:
    """The visible text of messages, joined by blank lines."""
    return "\n\n".join(m.text for m in messages)


def expandable(message: SentMessage) -> list[str]:
    return message.entities_of("expandable_blockquote")


def normalized(text: str) -> str:
    """Whitespace collapsed, for comparing text across message boundaries."""
    return re.sub(r"\s+", " ", text).strip()
