"""Embeddings against the fake OpenAI-compatible ``/v1/embeddings``: batched, each paper
embedded once and kept in the store, interests once per change, within the budgets, and the
fall back to words when the endpoint is down."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import numpy as np

from bot.arxiv.announcements import Announcement
from bot.model.profile import Profile
from bot.ranking.digest import make_digest
from bot.summaries.embeddings import Embedder, EndpointEmbeddings, fallback_note
from tests.conftest import make_paper
from tests.summaries.support import World

MODEL = "text-embedding-3-small"
PAPERS = [
    make_paper("2611.00001", "Compressing the KV cache", "We compress the KV cache of LLMs."),
    make_paper("2611.00002", "Graph colouring", "Colour graphs quickly."),
    make_paper("2611.00003", "Speculative decoding", "Draft tokens speed up LLM serving."),
    make_paper("2611.00004", "Protein folding", "Fold proteins with diffusion."),
    make_paper("2611.00005", "KV cache eviction", "Evict cache entries of long contexts."),
]


def embedder(world: World, *, batch: int = 2, **options: int) -> Embedder:
    backend = EndpointEmbeddings(world.client(), MODEL)
    return Embedder(backend, world.store, clock=world.clock, batch=batch, **options)


def embedded(world: World) -> list[str]:
    return [text for call in world.llm.embedding_calls for text in call.inputs]


async def test_papers_are_embedded_in_batches_each_once(world: World) -> None:
    first = await embedder(world).papers(PAPERS)

    assert first is not None
    assert first.shape == (5, 64)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0)
    assert [len(c.inputs) for c in world.llm.embedding_calls] == [2, 2, 1]
    assert {c.model for c in world.llm.embedding_calls} == {MODEL}
    assert embedded(world) == [f"{p.title}\n\n{p.abstract}" for p in PAPERS]
    # Again, and from a new embedder on the same database (a restart): nothing is asked.
    again = await embedder(world).papers([PAPERS[2], PAPERS[0], *PAPERS])
    assert again is not None
    assert np.array_equal(again[1], first[0])
    assert len(world.llm.embedding_calls) == 3
    # A new version is a new paper.
    await embedder(world).papers([replace(PAPERS[0], version=2)])
    assert len(world.llm.embedding_calls) == 4


async def test_concurrent_requests_embed_no_paper_twice(world: World) -> None:
    shared = embedder(world, batch=64)

    results = await asyncio.gather(*(shared.papers(PAPERS) for _ in range(5)))

    assert all(r is not None for r in results)
    assert sorted(embedded(world)) == sorted(f"{p.title}\n\n{p.abstract}" for p in PAPERS)


async def test_interests_are_embedded_once_per_change(world: World) -> None:
    shared = embedder(world)

    one = await shared.text("KV cache compression")
    await shared.text("KV cache compression")
    await embedder(world).text("KV cache compression")  # after a restart: from the store
    other = await shared.text("protein folding")

    assert one is not None
    assert other is not None
    assert embedded(world) == ["KV cache compression", "protein folding"]


async def test_calls_count_in_the_model_budget_and_stop_at_it(world: World) -> None:
    limited = embedder(world, daily_calls=2)

    assert await limited.papers(PAPERS[:4]) is not None
    usage = await world.store.llm_usage(world.clock().date())
    assert usage.calls == 2
    assert usage.prompt_tokens > 0

    assert await limited.papers(PAPERS) is None
    assert limited.failure == "today's model budget is used up"
    assert len(world.llm.embedding_calls) == 2


async def test_endpoint_down_gives_no_vectors_and_a_reason(world: World) -> None:
    world.llm.embeddings_down = True
    down = embedder(world)

    assert await down.papers(PAPERS) is None
    assert down.failure is not None
    assert "HTTP 503" in down.failure
    assert "HTTP 503" in fallback_note(down)
    assert await down.text("KV cache") is None  # resting: not asked again at once
    assert world.llm.embedding_calls == []


async def test_ranking_by_embeddings_puts_the_closest_paper_first(world: World) -> None:
    shared = embedder(world)
    vectors = await shared.papers(PAPERS)
    vector = await shared.text("KV cache eviction of long contexts")
    announcement = Announcement(day=None, categories=("cs.LG",), papers=tuple(PAPERS))
    profile = Profile(("cs.LG",), interests="KV cache eviction of long contexts")

    digest = make_digest(announcement, profile, vectors=vectors, vector=vector)

    first = digest.papers[0]
    assert first.paper.arxiv_id == "2611.00005"
    assert first.similarity == 1.0
    assert first.why == "close to your interests 1.00"
    assert digest.note == ""
