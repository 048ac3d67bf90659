"""``/summarize`` through the real command layer: an acknowledgement at once, then the paper's
card with the TL;DR visible and the rest folded; refusals show the abstract and say why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.arxiv.announcements import AnnouncementSource, CachedAnnouncements
from bot.arxiv.api import ArxivApi
from bot.commands import CommandRouter
from bot.config import load_settings
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import Collapsible, PaperCard, Paragraph, Reply, plain_text
from bot.model.papers import Paper
from bot.rendering.text import blocks_text
from bot.services import Services
from bot.summaries.summarizer import Summarizer
from bot.text.excerpts import abstract_tldr
from tests.fakes.fake_arxiv import FakePaper
from tests.fakes.fake_openai import FAKE_MODEL
from tests.summaries.support import NOW, World, fake_paper

ALICE = CommandContext(ChatRef("test", "alice", "private"), "alice", is_admin=True)
BOB = CommandContext(ChatRef("test", "bob", "private"), "bob", is_admin=True)


@dataclass
class Chat:
    """The command router over real services, recording interim messages with the number of
    model calls made when each was sent."""

    world: World
    router: CommandRouter
    interim: list[tuple[Reply, int]] = field(default_factory=list)

    async def send(self, ctx: CommandContext, text: str) -> Reply:
        self.interim.clear()

        async def progress(reply: Reply) -> None:
            self.interim.append((reply, self.world.llm.attempts))

        answer = await self.router.handle_text(ctx, text, progress)
        assert answer is not None
        assert answer.tone == "info", blocks_text(answer.blocks)
        return answer


OpenChat = Callable[..., Chat]


@pytest.fixture
async def open_chat(world: World) -> AsyncIterator[OpenChat]:
    """Services built as ``adapters.wiring.open_services`` builds them, with the test's
    summarizer, the fake arXiv and a fixed clock."""
    apis: list[ArxivApi] = []
    settings = load_settings()

    def opener(**options: Any) -> Chat:
        summarizer: Summarizer = world.summarizer(**options)
        api = ArxivApi(world.http, world.arxiv.api_url, timeout=10)
        apis.append(api)
        services = Services(
            settings=settings,
            store=world.store,
            announcements=CachedAnnouncements(
                AnnouncementSource(world.http, world.arxiv.feed_url_template)
            ),
            papers=api,
            summarizer=summarizer,
            clock=lambda: NOW,
        )
        return Chat(world, CommandRouter(services))

    yield opener
    for api in apis:
        api.close()


def _known_to_the_api(world: World, fp: FakePaper) -> FakePaper:
    world.arxiv.api_papers.append(fp)
    return fp


def _card(answer: Reply) -> PaperCard:
    (card,) = [b for b in answer.blocks if isinstance(b, PaperCard)]
    return card


def _folded(card: PaperCard) -> tuple[str, str]:
    """(what shows while folded, what unfolds) of the card's collapsible part."""
    (fold,) = [b for b in card.body if isinstance(b, Collapsible)]
    return blocks_text(fold.summary), blocks_text(fold.body)


def _notes(answer: Reply) -> list[str]:
    return [plain_text(b.inlines) for b in answer.blocks if isinstance(b, Paragraph)]


async def test_summarize_acknowledges_then_shows_the_card(
    world: World, open_chat: OpenChat
) -> None:
    fp = _known_to_the_api(world, fake_paper(1))
    chat = open_chat()

    answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    ((ack, calls_before_ack),) = chat.interim
    assert f"Summarizing arXiv:{fp.versioned_id}" in blocks_text(ack.blocks)
    assert calls_before_ack == 0  # the acknowledgement went out before the model was asked
    assert world.llm.attempts == 1
    summary = await chat.router.services.summarizer.cached(await _stored(world, fp), "en")
    assert summary is not None
    card = _card(answer)
    assert card.arxiv_id == fp.versioned_id
    assert card.title == fp.title
    assert card.url == f"https://arxiv.org/abs/{fp.arxiv_id}"
    assert card.authors == tuple(fp.authors)
    assert card.tldr == summary.tldr  # visible
    shown, unfolded = _folded(card)
    assert shown == "Full summary"
    assert "Contributions" in unfolded
    assert "Results" in unfolded
    assert summary.tldr not in unfolded
    assert f"Summary by {FAKE_MODEL} from the full text (HTML)." in unfolded
    assert card.actions == ()  # nothing left to ask for


async def _stored(world: World, fp: FakePaper) -> Paper:
    paper = await world.store.get_paper(fp.arxiv_id, fp.version)
    assert paper is not None
    return paper


async def test_a_cached_summary_is_sent_at_once_without_a_call(
    world: World, open_chat: OpenChat
) -> None:
    fp = _known_to_the_api(world, fake_paper(2))
    chat = open_chat()
    first = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    again = await chat.send(BOB, f"/summarize https://arxiv.org/abs/{fp.arxiv_id}")

    assert chat.interim == []  # nothing to wait for, nothing to acknowledge
    assert world.llm.attempts == 1
    assert _card(again).tldr == _card(first).tldr


async def test_the_chats_language_is_used(world: World, open_chat: OpenChat) -> None:
    fp = _known_to_the_api(world, fake_paper(3))
    chat = open_chat()
    await chat.send(ALICE, "/language de")

    answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    (call,) = world.llm.calls
    assert "German" in call.system_text
    assert _card(answer).tldr.startswith("[German]")


async def test_a_refusal_shows_the_abstract_and_says_why(
    world: World, open_chat: OpenChat
) -> None:
    fp = _known_to_the_api(world, fake_paper(4))
    chat = open_chat(daily_calls=0)

    answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    assert world.llm.attempts == 0
    card = _card(answer)
    assert card.tldr == abstract_tldr(fp.abstract)
    shown, unfolded = _folded(card)
    assert shown == "Abstract"
    assert fp.abstract in unfolded
    (note,) = _notes(answer)
    assert "budget" in note
    assert "tomorrow" in note
    assert [b.action for b in card.actions] == [f"sum:{fp.versioned_id}"]  # ask again later


async def test_a_persons_limit_applies_to_summarize(world: World, open_chat: OpenChat) -> None:
    first = _known_to_the_api(world, fake_paper(5))
    second = _known_to_the_api(world, fake_paper(6))
    chat = open_chat(per_user_per_day=1)
    await chat.send(ALICE, f"/summarize {first.arxiv_id}")

    refused = await chat.send(ALICE, f"/summarize {second.arxiv_id}")
    (note,) = _notes(refused)
    assert "daily limit" in note
    assert world.llm.attempts == 1

    # Bob may ask for it; Alice may read what exists already.
    assert _card(await chat.send(BOB, f"/summarize {second.arxiv_id}")).tldr.startswith("[")
    assert _notes(await chat.send(ALICE, f"/summarize {first.arxiv_id}")) == []
    assert world.llm.attempts == 2


async def test_a_failed_summary_shows_the_abstract_and_promises_a_retry(
    world: World, open_chat: OpenChat
) -> None:
    fp = _known_to_the_api(world, fake_paper(7))
    chat = open_chat(max_retries=0)
    world.llm.fail_next(500)

    answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    (note,) = _notes(answer)
    assert "retried automatically" in note
    assert fp.abstract in _folded(_card(answer))[1]
    assert len(await world.failures()) == 1


@pytest.mark.parametrize("mode", ["html", "empty", "no_choices", "null_content", "not_json"])
async def test_an_answer_that_is_not_a_completion_shows_the_abstract_and_why(
    world: World, open_chat: OpenChat, mode: str
) -> None:
    fp = _known_to_the_api(world, fake_paper(7))
    chat = open_chat(max_retries=0)
    world.llm.malformed = mode

    async with asyncio.timeout(30):
        answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    (note,) = _notes(answer)
    assert "could not be made" in note
    assert "model" in note
    assert fp.abstract in _folded(_card(answer))[1]
    assert len(await world.failures()) == 1


async def test_digest_answers_with_abstracts_when_the_model_answer_is_not_a_completion(
    world: World, open_chat: OpenChat
) -> None:
    papers = [await world.paper(fake_paper(n)) for n in (11, 12)]
    chat = open_chat(max_retries=0)
    world.llm.malformed = "html"

    async with asyncio.timeout(30):
        answer = await chat.send(ALICE, "/digest")

    cards = [b for b in answer.blocks if isinstance(b, PaperCard)]
    assert sorted(c.arxiv_id for c in cards) == sorted(p.versioned_id for p in papers)
    assert {c.tldr for c in cards} == {abstract_tldr(p.abstract) for p in papers}
    assert world.llm.attempts == 2
    assert len(await world.failures()) == 2  # recorded, so they are retried later
    notes = [text for extra in answer.extra for text in _notes(extra)]
    assert any("2 papers have no summary yet" in text for text in notes), notes


async def test_the_summary_button_of_a_card_works_too(world: World, open_chat: OpenChat) -> None:
    fp = _known_to_the_api(world, fake_paper(8))
    chat = open_chat()

    answer = await chat.router.handle_action(ALICE, f"sum:{fp.versioned_id}")

    assert f'The paper "{fp.title}"' in _card(answer).tldr
    assert world.llm.attempts == 1


async def test_without_a_key_the_card_holds_a_labelled_extract(
    world: World, open_chat: OpenChat
) -> None:
    fp = _known_to_the_api(world, fake_paper(9))
    chat = open_chat(no_key=True)

    answer = await chat.send(ALICE, f"/summarize {fp.arxiv_id}")

    card = _card(answer)
    assert card.tldr == abstract_tldr(fp.abstract)
    _, unfolded = _folded(card)
    assert fp.abstract in unfolded
    assert "Extract of the abstract (no language model is configured)." in unfolded
    assert _notes(answer) == []
    assert world.llm.attempts == 0
