"""Embeddings of papers and interests, for ranking by meaning (:mod:`bot.ranking.similarity`).

- **Once.** A paper is embedded once per version and model (title + abstract) and kept in the
  store, shared by every reader; a profile's interests once per change (by the text's hash).
  Missing ones are asked for in batches of ``batch`` texts; concurrent requests take turns, so
  none is embedded twice.
- **Within the budgets.** Every call counts in the day's model usage, against the same caps as
  summaries (``ARXIV_BOT_LLM_DAILY_CALLS``, ``..._TOKENS``).
- **Never in the way.** When the endpoint fails (down, refused, over budget), the caller gets
  None and ranks by words (BM25); :attr:`Embedder.failure` says why, for the digest's note and
  /settings.

Backends: any OpenAI-compatible ``/v1/embeddings`` (OpenAI, DashScope, Ollama, vLLM), or a
local sentence-transformers model (the ``local-embeddings`` extra, not installed by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import openai
from openai.types import CreateEmbeddingResponse

from bot.errors import ConfigurationError, ModelError
from bot.model.papers import Paper
from bot.model.profile import Profile
from bot.model.store import EmbeddingStore, UsageStore
from bot.ranking.similarity import profile_vector
from bot.summaries.summarizer import failure_reason

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
MAX_TEXT_CHARS = 8_000
"""About 2,000 tokens, well inside every embedding model's input (a title and an abstract are
rarely half of it)."""
TEXT_CACHE = 4096
RETRY_AFTER = 60.0
"""Seconds a failed endpoint is left alone: 10,000 digests must not each wait for it."""


class EmbeddingUnavailable(ModelError, RuntimeError):
    """No vectors now; the message says why in a few words, fit for users."""


class EmbeddingBackend(Protocol):
    model: str
    label: str
    """What /settings calls it: ``text-embedding-3-small (endpoint)``."""

    async def embed(self, texts: Sequence[str]) -> tuple[list[Sequence[float]], int]:
        """A vector per text, in order, and the tokens the call used."""
        ...


class EndpointEmbeddings:
    """An OpenAI-compatible ``/v1/embeddings``."""

    def __init__(self, client: openai.AsyncOpenAI, model: str) -> None:
        self.client = client
        self.model = model
        self.label = f"{model} (embeddings endpoint)"

    async def embed(self, texts: Sequence[str]) -> tuple[list[Sequence[float]], int]:
        try:
            # Floats, not the client's default base64: not every compatible server has it.
            response = await self.client.embeddings.create(
                model=self.model, input=list(texts), encoding_format="float"
            )
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            raise EmbeddingUnavailable(failure_reason(exc)) from exc
        return _vectors(response, len(texts))


def _vectors(response: object, count: int) -> tuple[list[Sequence[float]], int]:
    """The vectors of an answer, checked: the client hands back whatever the endpoint sent
    (a str for an HTML page, JSON without ``data``), so nothing is assumed."""
    data = getattr(response, "data", None)
    if not isinstance(response, CreateEmbeddingResponse) or not isinstance(data, list):
        raise EmbeddingUnavailable("the model service did not answer with embeddings")
    try:
        ordered = sorted(data, key=lambda d: int(d.index))
        vectors: list[Sequence[float]] = [[float(x) for x in d.embedding] for d in ordered]
        usage = response.usage
        tokens = int(usage.prompt_tokens) if usage is not None else 0
    except (AttributeError, TypeError, ValueError) as exc:
        raise EmbeddingUnavailable("the model service's embeddings could not be read") from exc
    if len(vectors) != count:
        raise EmbeddingUnavailable("the model service answered with the wrong number")
    return vectors, tokens


class LocalEmbeddings:
    """A sentence-transformers model on this machine (``pip install .[local-embeddings]``)."""

    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
                SentenceTransformer,
            )
        except ImportError as exc:
            raise ConfigurationError(
                "embedding_backend 'local' needs the local-embeddings extra: "
                "pip install 'arxiv-digest-bot[local-embeddings]'"
            ) from exc
        self.model = model
        self.label = f"{model} (local model)"
        self._model: Any = SentenceTransformer(model)

    async def embed(self, texts: Sequence[str]) -> tuple[list[Sequence[float]], int]:
        vectors = await asyncio.to_thread(self._model.encode, list(texts))
        return [list(map(float, v)) for v in vectors], 0


def paper_key(paper: Paper) -> str:
    return f"paper:{paper.versioned_id}"


def paper_text(paper: Paper) -> str:
    return f"{paper.title}\n\n{paper.abstract}"[:MAX_TEXT_CHARS]


def text_key(text: str) -> str:
    return "text:" + hashlib.sha256(text.encode()).hexdigest()


def unit(values: Sequence[float] | Vector) -> Vector:
    vector = np.asarray(values, dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def fallback_note(embedder: Embedder) -> str:
    reason = f" ({embedder.failure})" if embedder.failure else ""
    return f"Ranked by the words of your interests this time: embeddings are unavailable{reason}."


async def profile_vector_of(embedder: Embedder, profile: Profile) -> Vector | None:
    """The profile's vector: its interests' embedding moved towards the papers it liked and
    away from those it disliked (Rocchio); None when the embeddings are unavailable."""
    interests = None
    if profile.interests:
        interests = await embedder.text(profile.interests)
        if interests is None:
            return None
    voted = await embedder.texts({f"paper:{f.paper_id}": f.text for f in profile.feedback})
    if voted is None:
        return None
    liked = [voted[f"paper:{f.paper_id}"] for f in profile.feedback if f.liked]
    disliked = [voted[f"paper:{f.paper_id}"] for f in profile.feedback if not f.liked]
    return profile_vector(interests, liked, disliked)


class EmbeddingAndUsageStore(EmbeddingStore, UsageStore, Protocol):
    """What the embedder keeps: vectors, and the budgets' counters."""


class Embedder:
    def __init__(
        self,
        backend: EmbeddingBackend,
        store: EmbeddingAndUsageStore,
        *,
        clock: Callable[[], datetime],
        batch: int = 128,
        daily_calls: int = 1000,
        daily_tokens: int = 5_000_000,
    ) -> None:
        self.backend = backend
        self.store = store
        self.clock = clock
        self.batch = batch
        self.daily_calls = daily_calls
        self.daily_tokens = daily_tokens
        self.failure: str | None = None
        """Why the last request for vectors failed; None once one succeeds."""
        self._turn = asyncio.Lock()
        self._texts: OrderedDict[str, Vector] = OrderedDict()
        self._failed_at: float | None = None

    @property
    def label(self) -> str:
        return self.backend.label

    async def papers(self, papers: Sequence[Paper]) -> npt.NDArray[np.float32] | None:
        """One unit row per paper, in order; None when the vectors cannot be had now."""
        found = await self._vectors({paper_key(p): paper_text(p) for p in papers})
        if found is None:
            return None
        if not papers:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[paper_key(p)] for p in papers])

    async def cached_papers(self, papers: Sequence[Paper]) -> dict[str, Vector]:
        """The stored vectors of these papers, by versioned id, asking the model for none
        (a vote's paper: embedded when it was ranked, or never)."""
        keys = {paper_key(p): p.versioned_id for p in papers}
        stored = await self.store.get_embeddings(self.backend.model, keys)
        return {keys[k]: unit(np.frombuffer(v, dtype=np.float32)) for k, v in stored.items()}

    async def text(self, text: str) -> Vector | None:
        """The unit vector of a text (interests); None when it cannot be had now."""
        key = text_key(text)
        hit = self._texts.get(key)
        if hit is not None:
            self._texts.move_to_end(key)
            return hit
        found = await self._vectors({key: text[:MAX_TEXT_CHARS]})
        if found is None:
            return None
        self._texts[key] = found[key]
        while len(self._texts) > TEXT_CACHE:
            self._texts.popitem(last=False)
        return found[key]

    async def texts(self, texts: Mapping[str, str]) -> dict[str, Vector] | None:
        """Vectors by key (``paper:<versioned id>`` for a paper's :func:`paper_text`)."""
        if not texts:
            return {}
        return await self._vectors(texts)

    async def _vectors(self, texts: Mapping[str, str]) -> dict[str, Vector] | None:
        model = self.backend.model
        try:
            async with self._turn:  # one at a time: no text is embedded twice
                stored = await self.store.get_embeddings(model, texts)
                missing = [k for k in texts if k not in stored]
                if missing and self._resting():
                    return None
                for start in range(0, len(missing), self.batch):
                    keys = missing[start : start + self.batch]
                    await self._check_budget()
                    vectors, tokens = await self.backend.embed([texts[k] for k in keys])
                    await self.store.add_llm_usage(self.clock().date(), tokens, 0)
                    made = {k: unit(v).tobytes() for k, v in zip(keys, vectors, strict=True)}
                    await self.store.save_embeddings(model, made)
                    stored.update(made)
        except EmbeddingUnavailable as exc:
            if str(exc) != self.failure:
                log.warning("embeddings unavailable, ranking by words: %s", exc)
            self._failed_at = time.monotonic()
            self.failure = str(exc)
            return None
        self.failure = None
        self._failed_at = None
        return {k: unit(np.frombuffer(v, dtype=np.float32)) for k, v in stored.items()}

    def _resting(self) -> bool:
        """Whether the endpoint failed less than ``RETRY_AFTER`` seconds ago."""
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER

    async def _check_budget(self) -> None:
        usage = await self.store.llm_usage(self.clock().date())
        if usage.calls >= self.daily_calls or usage.tokens >= self.daily_tokens:
            raise EmbeddingUnavailable("today's model budget is used up")
