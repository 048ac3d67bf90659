"""Scheduled digests ranked by interests: each paper of an announcement is embedded once for
every subscriber, each chat's interests once, and an endpoint that is down only means the
words of the interests rank the digest, with a note."""

from __future__ import annotations

from pathlib import Path

from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    day_papers,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI
from tests.harness import text

INTERESTS = (
    "speculative decoding for faster inference",
    "routing in sparse mixture of experts",
    "graph colouring",
)


async def open_world(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> World:
    config = settings(summaries_enabled=False, max_papers_to_summarize=0)
    return await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()


def whys(sender: RecordingSender, chat_id: str) -> dict[str, str]:
    return {c.arxiv_id: c.why for s in sender.to(chat_id) for c in s.cards}


def notes(sender: RecordingSender, chat_id: str) -> str:
    return " ".join(text(s.reply) for s in sender.to(chat_id))


async def test_each_paper_is_embedded_once_whatever_the_number_of_subscribers(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    world = await open_world(db_path, arxiv, clock, sender, llm)
    try:
        for n in range(30):
            await world.subscribe(
                subscription(f"chat{n}", categories=("cs.LG", "cs.AI"), interests=INTERESTS[n % 3])
            )
        await world.subscribe(subscription("no-interests"))
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))

        inputs = [text for call in llm.embedding_calls for text in call.inputs]
        assert len(sender.chats()) == 31
        fetched = {"cs.LG", "cs.AI"}  # the announcement as fetched: what is subscribed
        papers = [p for p in day_papers(TUESDAY) if fetched.intersection(p.categories)]
        assert len(papers) == 4
        assert sorted(i for i in inputs if "\n\n" in i) == sorted(
            f"{p.title}\n\n{p.abstract}" for p in papers
        )
        assert sorted(i for i in inputs if "\n\n" not in i) == sorted(INTERESTS)
        assert len(llm.embedding_calls) <= 4  # the papers in one batch, 3 interests
        moe = whys(sender, "chat1")
        assert any("close to your interests 1.00" in why for why in moe.values())
        assert all(
            "close to your interests" not in w for w in whys(sender, "no-interests").values()
        )
    finally:
        await world.close()


async def test_endpoint_down_ranks_by_words_with_a_note(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    llm.embeddings_down = True
    world = await open_world(db_path, arxiv, clock, sender, llm)
    try:
        await world.subscribe(
            subscription("a", categories=("cs.LG", "cs.AI"), interests=INTERESTS[0])
        )
        await world.subscribe(subscription("b", categories=("cs.LG",), interests=INTERESTS[1]))
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))

        assert sender.chats() == {"a", "b"}
        shown = whys(sender, "a")
        assert any("close to your interests" in why for why in shown.values())
        assert "Ranked by the words of your interests" in notes(sender, "a")
        assert "HTTP 503" in notes(sender, "b")
    finally:
        await world.close()
