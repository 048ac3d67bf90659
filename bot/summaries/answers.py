"""Answering questions about a paper from its full text.

- Grounded: the model reads the paper's full text (the summaries' source: HTML, else PDF, else
  the abstract; fetched once and cached by :class:`~bot.summaries.fulltext.FullTextSource`),
  names the sections it draws on, and says plainly when the paper does not answer.
- Relevant: a long paper is cut to the model's context keeping the abstract and the sections
  that share the most words with the question (:func:`relevance`), not just its beginning.
- Budgeted: every answer is one model call within the summaries' workers, daily budgets and
  per-person limit (:meth:`~bot.summaries.summarizer.Summarizer.budgeted`).
- Conversations: follow-up questions about a paper in one chat are sent with the earlier
  turns (:class:`Conversations`: a few turns, a character cap, a bounded number of chats).
- Untrusted: question and paper are fenced in the prompt (:mod:`bot.summaries.prompt`).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import openai

from bot.errors import ModelError
from bot.model.papers import Paper
from bot.summaries.fulltext import FullText, Section, Source, back_matter, fit_sections
from bot.summaries.prompt import build_answer_messages, clean_model_text
from bot.summaries.summarizer import Summarizer, failure_reason

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 4000
MAX_TURNS = 6
"""Earlier turns (question and answer) sent with a follow-up question."""
MAX_HISTORY_CHARS = 6000
"""At most this many characters of earlier turns: the oldest go first."""
MAX_CONVERSATIONS = 512
CONVERSATION_IDLE = timedelta(hours=2)
"""A conversation nobody continued for this long starts afresh."""


class AnswerUnavailable(ModelError, RuntimeError):
    """No answer now; the message is fit for users."""

    message_is_for_users = True


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    """The model's Markdown after its SECTIONS line (untrusted: rendered as text nodes only)."""
    sections: tuple[str, ...]
    """Headings of the paper's sections the answer draws on, as the paper writes them."""
    answered: bool
    """False when the model says the paper does not answer the question."""
    source: Source
    model: str


# --- words ---------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done during each few for
    from further had has have having how if in into is it its itself just more most no nor not
    now of off on once only or other our out over own paper papers same should so some such
    than that the their them then there these they this those through to too under until up
    use used uses using very was we were what when where which while who whom why will with
    would you your authors author study work propose proposed show shows""".split()  # noqa: SIM905
)


def terms(text: str) -> list[str]:
    """The words of ``text`` that carry meaning, lowercased, plurals folded (``datasets`` =
    ``dataset``): enough to tell which sections a question is about."""
    out = []
    for word in _WORD.findall(text.casefold()):
        if word in _STOPWORDS or (len(word) < 3 and not word.isdigit()):
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def relevance(question: str, sections: Iterable[Section]) -> list[float]:
    """How much each section is about the question: each question word found in the section
    adds ``(1 + log tf) * idf`` (a word every section has counts little), doubled in the
    heading."""
    asked = set(terms(question))
    bags = [(Counter(terms(s.heading)), Counter(terms(s.text))) for s in sections]
    n = len(bags)
    idf = {t: math.log(1 + n / (1 + sum(1 for h, b in bags if t in h or t in b))) for t in asked}
    scores = []
    for heading, body in bags:
        score = 0.0
        for term in asked:
            tf = body[term] + 2 * heading[term]
            if tf:
                score += (1 + math.log(tf)) * idf[term]
        scores.append(score)
    return scores


def _marked(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """Back matter dropped, headings marked ``## `` so the model can name them."""
    return tuple(
        replace(s, heading=f"## {s.heading}" if s.heading else "")
        for s in sections
        if not back_matter(s.heading)
    )


def relevant_text(text: FullText, question: str, budget: int) -> str:
    """The paper within ``budget`` characters: the abstract first, then the sections most
    about the question (and its earlier turns); a cut section ends with ``[...]``."""
    sections = _marked(text.sections)
    scores = dict(zip(sections, relevance(question, sections), strict=True))

    def priority(section: Section) -> float:
        if section.heading.lower() == "## abstract":
            return -math.inf
        return -scores.get(section, 0.0)

    return fit_sections(sections, budget, priority)


# --- the model's answer --------------------------------------------------------------------

_SECTIONS_LINE = re.compile(r"^[\s*_#>]*SECTIONS?[\s*_]*[:\uff1a][\s*_]*(?P<names>.*)$", re.I)
_NONE = re.compile(r"^(?:none|n/?a|-|—|\(none\)|无|なし)?[.\s]*$", re.I)


def _key(heading: str) -> str:
    """A heading without its numbering, marks and case: how the model's names are matched."""
    return " ".join(terms(re.sub(r"^[#\s]*(?:[\dA-Z]+(?:\.\d+)*\.?\s+)?", "", heading)))


def parse_model_answer(content: str, headings: Iterable[str]) -> tuple[str, tuple[str, ...], bool]:
    """``(text, sections, answered)`` from the model's answer. Only sections the paper has are
    kept (the model may misname them, and a paper could make it name anything)."""
    text = clean_model_text(content, MAX_ANSWER_CHARS)
    first, _, rest = text.partition("\n")
    m = _SECTIONS_LINE.match(first)
    if m is None:
        return text, (), True
    names = m["names"].strip().strip("*_").strip()
    if _NONE.match(names):
        return rest.strip(), (), False
    known = {_key(h): h for h in headings if h}
    found: list[str] = []
    for name in re.split("[,;\uff0c\u3001]", names):
        heading = known.get(_key(name))
        if heading is not None and heading not in found:
            found.append(heading)
    return rest.strip(), tuple(found), True


# --- conversations -------------------------------------------------------------------------


@dataclass(slots=True)
class _Conversation:
    turns: deque[tuple[str, str]]
    last: datetime


class Conversations:
    """Earlier questions and answers per conversation (a chat and a paper), in memory:
    at most ``turns`` turns and ``chars`` characters each, ``size`` conversations (the least
    recently used go first), forgotten after ``idle`` without a question."""

    def __init__(
        self,
        *,
        turns: int = MAX_TURNS,
        chars: int = MAX_HISTORY_CHARS,
        size: int = MAX_CONVERSATIONS,
        idle: timedelta = CONVERSATION_IDLE,
    ) -> None:
        self.turns = turns
        self.chars = chars
        self.size = size
        self.idle = idle
        self._items: OrderedDict[tuple[str, str], _Conversation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def history(self, key: tuple[str, str], now: datetime) -> tuple[tuple[str, str], ...]:
        found = self._items.get(key)
        if found is None:
            return ()
        if now - found.last > self.idle:
            del self._items[key]
            return ()
        return tuple(found.turns)

    def add(self, key: tuple[str, str], question: str, answer: str, now: datetime) -> None:
        found = self._items.pop(key, None)
        if found is None or now - found.last > self.idle:
            found = _Conversation(deque(maxlen=self.turns), now)
        found.turns.append((question, answer))
        found.last = now
        while len(found.turns) > 1 and sum(len(q) + len(a) for q, a in found.turns) > self.chars:
            found.turns.popleft()
        self._items[key] = found
        while len(self._items) > self.size:
            self._items.popitem(last=False)


# --- answering -----------------------------------------------------------------------------


class Answers:
    """Questions about papers, answered by the summarizer's model within its budgets."""

    def __init__(
        self,
        summarizer: Summarizer,
        *,
        conversations: Conversations | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.conversations = conversations if conversations is not None else Conversations()
        self.clock = clock or summarizer.clock

    @property
    def enabled(self) -> bool:
        return self.summarizer.enabled

    async def check(self, requester: tuple[str, str]) -> None:
        """Refuse at once (before anything is fetched or sent) when the model is missing or a
        limit is reached. Raises :class:`ModelError` with words for users."""
        if not self.enabled:
            raise AnswerUnavailable(
                "Answering questions needs a language model, and this bot has none "
                "configured. /summarize still shows the abstract."
            )
        await self.summarizer.check_limits(requester, "answers")

    async def ask(
        self, paper: Paper, question: str, *, conversation: str, requester: tuple[str, str]
    ) -> Answer:
        """Answer ``question`` about ``paper``, continuing the conversation ``conversation``
        (the chat, or a thread) about it. Raises :class:`ModelError` with words for users."""
        await self.check(requester)
        key = (conversation, paper.arxiv_id)
        history = self.conversations.history(key, self.clock())
        summarizer = self.summarizer
        async with summarizer.budgeted(requester, "answers") as spent:
            text = await summarizer.fulltext.fetch(paper)
            used = sum(len(q) + len(a) for q, a in history) + len(question)
            budget = max(summarizer.input_chars - used, 2000)
            asked = " ".join([*(q for q, _ in history), question])
            messages = build_answer_messages(
                title=paper.title,
                authors=", ".join(paper.authors),
                arxiv_id=paper.versioned_id,
                text=relevant_text(text, asked, budget),
                question=question,
                history=history,
            )
            try:
                completion = await summarizer.complete(messages)
            except (openai.OpenAIError, ValueError) as exc:
                log.warning(
                    "answer about %s failed: %s: %s", paper.versioned_id, type(exc).__name__, exc
                )
                raise AnswerUnavailable(
                    f"The answer could not be made just now ({failure_reason(exc)}). "
                    "Please ask again in a few minutes."
                ) from exc
            spent.add(completion)
        body, sections, answered = parse_model_answer(
            completion.text, (s.heading for s in text.sections)
        )
        if not body:
            body = "The paper does not say." if not answered else "(no answer text)"
        remembered = clean_model_text(completion.text, MAX_ANSWER_CHARS)
        self.conversations.add(key, question, remembered, self.clock())
        return Answer(body, sections, answered, text.source, summarizer.model)
