"""The announcement day the process tests deliver (a SIGKILL mid fan-out, several
instances): thirty chats due a minute ago, fifteen LLM papers with long abstracts, so that
every digest is several Telegram messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.model.subscriptions import Subscription
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakePaper
from tests.fakes.fake_telegram import FakeTelegram

CHATS = [5000 + n for n in range(30)]
TOPICS = ("routing", "caching", "pruning", "distillation", "quantization", "serving")


def papers() -> list[FakePaper]:
    """Fifteen LLM papers with long abstracts: every digest is several Telegram messages."""
    return [
        FakePaper(
            arxiv_id=f"2611.{n:05d}",
            title=f"Paper {n:02d}: LLM {TOPICS[n % len(TOPICS)]} at scale",
            abstract=(
                f"We study LLM {TOPICS[n % len(TOPICS)]} for paper {n} with a long and careful "
                "first sentence that keeps going for a while so that the TL;DR is long. "
                + "More detail follows in further sentences that nobody reads. "
                * 6
            ),
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
            categories=["cs.LG"],
        )
        for n in range(1, 16)
    ]


TITLES = [p.title for p in papers()]


async def subscribe_due(store: SqliteStore, now: datetime) -> None:
    """The thirty subscriptions, their digest due a minute before ``now`` (either engine:
    the PostgreSQL store is a SqliteStore too)."""
    due = now - timedelta(minutes=1)
    for chat_id in CHATS:
        await store.save_subscription(
            Subscription(
                platform="telegram",
                chat_id=str(chat_id),
                chat_kind="private",
                created_by=str(chat_id),
                categories=("cs.LG",),
                keywords=("LLM",),
                max_papers=15,
                delivery_time=due.strftime("%H:%M"),
                timezone="UTC",
                next_due_at=due,
            )
        )


def all_arrived(tg: FakeTelegram) -> bool:
    """Every chat has every paper's title in the messages it received."""
    texts: dict[int, str] = {}
    for message in list(tg.sent):
        texts[message.chat_id] = texts.get(message.chat_id, "") + message.text
    return all(all(t in texts.get(chat, "") for t in TITLES) for chat in CHATS)
