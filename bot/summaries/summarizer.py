"""Making summaries: once per paper, model and language, whoever asks and however often.

- Cache first: a summary stored for the key is served as is.
- Single flight: concurrent requests for one key share one model call.
- Bounded: at most ``summary_workers`` model calls at once; the openai client retries 429s,
  5xx and timeouts with backoff that honours ``Retry-After``.
- Budgeted: a daily cap on calls and tokens, and a per-person cap on on-demand summaries;
  past a cap, new summaries wait for the next UTC day with a clear note.
- Never silently dropped: a failure is recorded and retried later by :meth:`retry_failed`.
- Checked: every number of a summary is looked up in exactly the text the model was given
  (:mod:`bot.summaries.number_check`). When some are not there, the model is asked once to
  correct them (a call like any other: budgets and usage count it); what is still unsupported
  after that is marked in the stored text itself (``⚠ not found in the paper``), so every
  rendering shows the mark. A summary is never served unchecked.
- Without an API key, a clearly labelled extract of the abstract stands in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any, Literal, Protocol

import openai
from openai.types.chat import ChatCompletion

from bot.errors import ModelError
from bot.model.papers import Paper
from bot.model.store import SummaryStore, UsageStore
from bot.model.summaries import NumberCheck, Summary, SummaryKey, UnsupportedNumber, usage_day
from bot.summaries.fulltext import FullText, FullTextSource
from bot.summaries.number_check import (
    NumberReport,
    check,
    correction_messages,
    extract_claims,
    mark_unsupported,
)
from bot.summaries.prompt import build_messages, instructions, parse_answer, prompt_version
from bot.text.excerpts import abstract_tldr

log = logging.getLogger(__name__)

Refusal = Literal["budget", "user_limit", "failed"]
Spending = Literal["summaries", "answers"]
"""What a model call is for: the budgets are shared, the words of a refusal differ."""
RETRY_BASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6
BUDGET_USED_UP = "the daily model budget was used up"


class SummaryAndUsageStore(SummaryStore, UsageStore, Protocol):
    """What the summarizer keeps: summaries and failures, and the budgets' counters."""


class SummaryUnavailable(ModelError, RuntimeError):
    """No summary now; ``reason`` says why and the message is fit for users."""

    message_is_for_users = True

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BadModelAnswer(ModelError, ValueError):
    """The endpoint answered, but not with a usable chat completion (a proxy's HTML error
    page, an empty body, no choices, no text). The message is one line, fit for users."""


def failure_reason(exc: BaseException) -> str:
    """Why a model call failed, in a few words for whoever waits: never the provider's own
    text, which can echo the API key."""
    if isinstance(exc, BadModelAnswer):
        return str(exc)
    if isinstance(exc, openai.APITimeoutError):
        return "the model service did not answer in time"
    if isinstance(exc, openai.APIConnectionError):
        return "the model service could not be reached"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return "the model service refused the API key"
    if isinstance(exc, openai.RateLimitError):
        return "the model service is rate limiting us"
    if isinstance(exc, openai.APIStatusError):
        return f"the model service answered with an error (HTTP {exc.status_code})"
    if isinstance(exc, ValueError):  # JSON that does not parse, text that does not decode
        return "the model service's answer could not be read"
    return "the model service failed"


def completion_text(response: object) -> str:
    """The answer's text, checked: the client hands back whatever the endpoint sent (a str
    for an HTML page, a completion without choices or content), so nothing is assumed."""
    if not isinstance(response, ChatCompletion):
        raise BadModelAnswer("the model service did not answer with a chat completion")
    choices = response.choices
    if not isinstance(choices, list) or not choices:
        raise BadModelAnswer("the model service's answer held no choices")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str) or not content.strip():
        raise BadModelAnswer("the model answered with no text")
    return content


def _token_count(usage: object, name: str) -> int | None:
    value = getattr(usage, name, None)
    return value if isinstance(value, int) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's checked answer text and the tokens it reports (None when it does not)."""

    text: str
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass(slots=True)
class Spent:
    """Tokens one budgeted call used, filled in by whoever made the call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, completion: Completion) -> None:
        self.prompt_tokens += completion.prompt_tokens or 0
        self.completion_tokens += completion.completion_tokens or 0


class Summarizer:
    def __init__(
        self,
        *,
        store: SummaryAndUsageStore,
        fulltext: FullTextSource,
        client: openai.AsyncOpenAI | None,
        model: str,
        temperature: float = 0.3,
        max_tokens: int = 1500,
        max_tokens_param: str = "max_tokens",
        workers: int = 3,
        input_chars: int = 60_000,
        instruction_text: str | None = None,
        terms_in_english: bool = True,
        daily_calls: int = 1000,
        daily_tokens: int = 5_000_000,
        per_user_per_day: int = 20,
        clock: Callable[[], datetime],
        claim_wait: float = 120.0,
        claim_poll: float = 1.0,
    ) -> None:
        """``claim_wait``: how long a summary another instance is making is waited for
        (checked after ``claim_poll`` seconds, then less and less often) before this one
        answers without it."""
        self.store = store
        self.fulltext = fulltext
        self.client = client
        self.model = model if client is not None else "extract"
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_tokens_param = max_tokens_param
        self.input_chars = input_chars
        self.instruction_text = instruction_text or instructions(None)
        self.prompt_version = prompt_version(self.instruction_text)
        self.terms_in_english = terms_in_english
        self.daily_calls = daily_calls
        self.daily_tokens = daily_tokens
        self.per_user_per_day = per_user_per_day
        self.clock = clock
        self.claim_wait = claim_wait
        self.claim_poll = claim_poll
        self._slots = asyncio.Semaphore(workers)
        self._inflight: dict[SummaryKey, asyncio.Task[Summary]] = {}
        self._budget_lock = asyncio.Lock()
        # Calls that passed the limits and are not recorded in the store yet: they count
        # toward the limits too, or concurrent calls could all pass the same check.
        self._calls_reserved = 0
        self._user_reserved: Counter[tuple[str, str]] = Counter()

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def key(self, paper: Paper, language: str) -> SummaryKey:
        return SummaryKey(paper.arxiv_id, paper.version, self.model, language, self.prompt_version)

    async def cached(self, paper: Paper, language: str) -> Summary | None:
        if not self.enabled:
            return self._extract(paper, language)
        return _checked_only(await self.store.get_summary(self.key(paper, language)))

    async def summary(
        self, paper: Paper, language: str, *, requester: tuple[str, str] | None = None
    ) -> Summary:
        """The paper's summary, made if needed. ``requester`` (platform, user id) marks an
        on-demand request, which counts toward that person's daily limit when it costs a call.
        Raises :class:`SummaryUnavailable`."""
        if not self.enabled:
            return self._extract(paper, language)
        key = self.key(paper, language)
        found = _checked_only(await self.store.get_summary(key))
        if found is not None:
            return found
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._make(paper, key, requester))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # shield: one impatient caller giving up must not cancel the call others wait for
        return await asyncio.shield(task)

    async def summarize_many(
        self, papers: Sequence[Paper], language: str, *, deadline: float | None = None
    ) -> dict[str, Summary]:
        """Summaries of many papers (a digest), by versioned id. Papers whose summary fails or
        misses the deadline are left out: the digest goes out without waiting for them, and
        failures stay recorded for a retry."""
        if not papers:
            return {}
        tasks = {p.versioned_id: asyncio.ensure_future(self.summary(p, language)) for p in papers}
        done, pending = await asyncio.wait(tasks.values(), timeout=deadline)
        for task in pending:
            task.cancel()  # only our waiter: the shielded model call goes on and gets cached
        out: dict[str, Summary] = {}
        for paper in papers:
            task = tasks[paper.versioned_id]
            if task not in done or task.cancelled():
                continue
            error = task.exception()
            if error is None:
                out[paper.versioned_id] = task.result()
            elif isinstance(error, SummaryUnavailable) and error.reason == "budget":
                await self._when_budget_allows(self.key(paper, language))
        return out

    async def _when_budget_allows(self, key: SummaryKey) -> None:
        """A paper a digest showed without its summary because the day's budget was used up
        is summarized when the next UTC day's budget starts (by :meth:`retry_failed`), so its
        readers find it in the feeds and on demand; it is not counted as a failed attempt."""
        now = self.clock()
        tomorrow = datetime.combine(usage_day(now) + timedelta(days=1), dt_time(), tzinfo=UTC)
        await self.store.drop_summary_failure(key)
        await self.store.record_summary_failure(key, BUDGET_USED_UP, now, tomorrow - now)

    async def cancel(self) -> None:
        """At shutdown: the model calls in flight are abandoned (a slow model would hold the
        shutdown for minutes). Nothing is recorded for them; a digest that waited resumes
        from the ledger and asks again."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def retry_failed(self, papers: Callable[[str, int], Any]) -> int:
        """Retry recorded failures whose time has come; ``papers(id, version)`` awaits the
        paper. Returns how many summaries were made."""
        made = 0
        for failure in await self.store.due_summary_failures(self.clock()):
            if (
                failure.key.model != self.model
                or failure.key.prompt_version != self.prompt_version
            ):
                await self.store.drop_summary_failure(failure.key)
                continue
            paper = await papers(failure.key.arxiv_id, failure.key.version)
            if paper is None:
                await self.store.drop_summary_failure(failure.key)
                continue
            try:
                await self.summary(paper, failure.key.language)
                made += 1
            except SummaryUnavailable as exc:
                log.info("retry of %s still failing: %s", paper.versioned_id, exc)
                if exc.reason == "budget":
                    await self._when_budget_allows(failure.key)
        return made

    # --- internals -----------------------------------------------------------------------

    def extract(self, paper: Paper, language: str) -> Summary:
        """The labelled abstract extract that stands in for a summary."""
        return self._extract(paper, language)

    def _extract(self, paper: Paper, language: str) -> Summary:
        # The paper's own words: each number is stated by the paper, nothing to check.
        found = len(extract_claims(paper.abstract))
        return Summary(
            key=SummaryKey(paper.arxiv_id, paper.version, "extract", language, "extract"),
            source="extract",
            tldr=abstract_tldr(paper.abstract),
            body=paper.abstract,
            prompt_tokens=None,
            completion_tokens=None,
            created_at=self.clock(),
            numbers=NumberCheck(found=found, supported=found),
        )

    async def check_limits(
        self, requester: tuple[str, str] | None, what: Spending = "summaries"
    ) -> None:
        """Raise :class:`SummaryUnavailable` when a new model call for ``requester`` would
        pass a budget now (:meth:`budgeted` checks again, atomically, before the call)."""
        day = usage_day(self.clock())
        usage = await self.store.llm_usage(day)
        calls = usage.calls + self._calls_reserved
        if calls >= self.daily_calls or usage.tokens >= self.daily_tokens:
            if what == "answers":
                raise SummaryUnavailable(
                    "budget",
                    "Today's model budget is used up; questions can be asked again tomorrow "
                    "(UTC). Summaries made earlier are still available.",
                )
            raise SummaryUnavailable(
                "budget",
                "Today's summary budget is used up; new summaries resume tomorrow (UTC). "
                "Summaries made earlier are still available.",
            )
        if requester is not None:
            asked = await self.store.count_user_requests(*requester, day)
            asked += self._user_reserved[requester]
            if asked >= self.per_user_per_day:
                if what == "answers":
                    raise SummaryUnavailable(
                        "user_limit",
                        f"You have made {asked} requests to the model today (new summaries "
                        "and answers), the daily limit; ask again tomorrow (UTC).",
                    )
                raise SummaryUnavailable(
                    "user_limit",
                    f"You have asked for {asked} new summaries today, the daily limit. "
                    "Summaries others already asked for still work.",
                )

    @asynccontextmanager
    async def budgeted(
        self, requester: tuple[str, str] | None, what: Spending = "summaries"
    ) -> AsyncIterator[Spent]:
        """One model call within the workers and the budgets: the limits are checked and the
        call reserved (so concurrent calls cannot all pass one check), then the body makes the
        call and adds what it spent. Usage, and the requester's request, are recorded only when
        the body succeeds. Raises :class:`SummaryUnavailable` when a limit is reached."""
        async with self._slots:
            async with self._budget_lock:
                await self.check_limits(requester, what)
                self._reserve(requester, 1)
            try:
                spent = Spent()
                yield spent
                day = usage_day(self.clock())
                await self.store.add_llm_usage(day, spent.prompt_tokens, spent.completion_tokens)
                if requester is not None:
                    await self.store.add_user_request(*requester, day)
            finally:
                self._reserve(requester, -1)

    async def complete(self, messages: list[dict[str, str]]) -> Completion:
        """One chat completion with the configured model and options, its text checked.
        Raises the client's errors and :class:`BadModelAnswer`."""
        assert self.client is not None
        options: dict[str, Any] = {self.max_tokens_param: self.max_tokens}
        response = await self.client.chat.completions.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            temperature=self.temperature,
            **options,
        )
        usage = getattr(response, "usage", None)
        return Completion(
            completion_text(response),
            _token_count(usage, "prompt_tokens"),
            _token_count(usage, "completion_tokens"),
        )

    async def _make(
        self, paper: Paper, key: SummaryKey, requester: tuple[str, str] | None
    ) -> Summary:
        made_elsewhere = await self._claim(key)
        if made_elsewhere is not None:
            return made_elsewhere
        try:
            return await self._call(paper, key, requester)
        except BaseException:
            # Failed, refused by a budget or cancelled: another instance may try at once.
            with contextlib.suppress(Exception):
                await self.store.release_summary(key)
            raise

    async def _claim(self, key: SummaryKey) -> Summary | None:
        """Instances sharing a database make each summary once: this one claims it before
        calling the model, or, while another instance holds the claim, waits for that one's
        summary (polling the store: the instances share nothing else), up to
        ``claim_wait`` seconds. None: this instance makes it. A claim left by an instance
        that died runs out with its lease and is taken over here."""
        deadline = time.monotonic() + self.claim_wait
        poll = self.claim_poll
        while not await self.store.claim_summary(key, self.clock()):
            found = _checked_only(await self.store.get_summary(key))
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise SummaryUnavailable(
                    "failed",
                    "Another instance of the bot is making this summary and has not "
                    "finished yet; try again in a minute.",
                )
            # Another process: no event to wait on. A fan-out waits for hundreds of keys at
            # once: each backs off (up to 8 polls' time) so that they do not load the store.
            await asyncio.sleep(poll)
            poll = min(poll * 2, self.claim_poll * 8)
        # Claimed, but the summary may have been saved (and its claim ended) just before.
        found = _checked_only(await self.store.get_summary(key))
        if found is not None:
            await self.store.release_summary(key)
        return found

    async def _call(
        self, paper: Paper, key: SummaryKey, requester: tuple[str, str] | None
    ) -> Summary:
        async with self.budgeted(requester) as spent:
            try:
                text = await self.fulltext.fetch(paper)
                summary, given = await self._call_model(paper, key, text)
            except (openai.OpenAIError, ValueError) as exc:
                await self._record_failure(key, exc)
                raise SummaryUnavailable(
                    "failed",
                    f"The summary could not be made just now ({failure_reason(exc)}); "
                    "it will be retried automatically. Try again in a few minutes.",
                ) from exc
            spent.prompt_tokens += summary.prompt_tokens or 0
            spent.completion_tokens += summary.completion_tokens or 0
            # A correction call, if any, records its own usage within the budgets.
            summary = await self._check_numbers(summary, given)
        await self.store.save_summary(summary)
        return summary

    def _reserve(self, requester: tuple[str, str] | None, n: int) -> None:
        self._calls_reserved += n
        if requester is not None:
            self._user_reserved[requester] += n
            if self._user_reserved[requester] <= 0:
                del self._user_reserved[requester]

    async def _call_model(
        self, paper: Paper, key: SummaryKey, text: FullText
    ) -> tuple[Summary, str]:
        """The model's summary, and the paper's text exactly as the model was given it."""
        messages = build_messages(
            title=paper.title,
            authors=", ".join(paper.authors),
            arxiv_id=paper.versioned_id,
            text=text.fitted(self.input_chars),
            instruction_text=self.instruction_text,
            language=key.language,
            terms_in_english=self.terms_in_english,
        )
        completion = await self.complete(messages)
        tldr, body = parse_answer(completion.text)
        if not tldr:
            raise BadModelAnswer("the model's answer had no summary")
        summary = Summary(
            key=key,
            source=text.source,
            tldr=tldr,
            body=body,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            created_at=self.clock(),
        )
        return summary, messages[-1]["content"]

    # --- the number check ----------------------------------------------------------------

    async def _check_numbers(self, summary: Summary, given: str) -> Summary:
        """The summary with its numbers checked against ``given`` (the text the model read):
        one correction call when some are unsupported, then what is still unsupported marked
        in the text. The check is pure CPU work on up to the whole paper, so it runs in a
        thread to keep the event loop (chats, feeds) answering."""
        first = await asyncio.to_thread(check, summary.text, given)
        if first.ok:
            return replace(summary, numbers=NumberCheck(first.found, first.supported))
        final, report = summary, first
        corrected = await self._correction(summary, first, given)
        if corrected is not None:
            final = corrected
            report = await asyncio.to_thread(check, corrected.text, given)
        fixed = max(0, len(first.unsupported) - len(report.unsupported))
        if report.unsupported:
            log.info(
                "summary of %sv%d: %d number(s) not found in the paper are marked: %s",
                summary.key.arxiv_id,
                summary.key.version,
                len(report.unsupported),
                ", ".join(c.raw for c in report.unsupported),
            )
            final = _with_text(final, mark_unsupported(final.text, report))
        return replace(final, numbers=_number_check(report, fixed))

    async def _correction(
        self, summary: Summary, report: NumberReport, given: str
    ) -> Summary | None:
        """The model's one correction of the unsupported numbers, within the budgets and
        counted in the usage; None (keep the original, marked) when the budget is used up or
        the call fails."""
        try:
            async with self._budget_lock:
                await self.check_limits(None)
                self._reserve(None, 1)
        except SummaryUnavailable:
            log.info("no budget left to correct the numbers of %s", summary.key.arxiv_id)
            return None
        try:
            try:
                completion = await self.complete(correction_messages(summary.text, report, given))
                tldr, body = parse_answer(completion.text)
                if not tldr:
                    raise BadModelAnswer("the model's correction had no summary")
            except (openai.OpenAIError, ValueError) as exc:
                log.warning(
                    "correcting the numbers of %sv%d failed (%s); its summary is kept, marked",
                    summary.key.arxiv_id,
                    summary.key.version,
                    failure_reason(exc),
                )
                return None
            prompt_tokens, completion_tokens = (
                completion.prompt_tokens,
                completion.completion_tokens,
            )
            await self.store.add_llm_usage(
                usage_day(self.clock()), prompt_tokens or 0, completion_tokens or 0
            )
        finally:
            self._reserve(None, -1)
        return replace(
            summary,
            tldr=tldr,
            body=body,
            prompt_tokens=_added(summary.prompt_tokens, prompt_tokens),
            completion_tokens=_added(summary.completion_tokens, completion_tokens),
        )

    async def _record_failure(self, key: SummaryKey, exc: BaseException) -> None:
        # The log gets the provider's words (redacted by the log filter); the database, which
        # /status reads, gets ours, which cannot echo a key.
        log.warning(
            "summary of %sv%d failed: %s: %s", key.arxiv_id, key.version, type(exc).__name__, exc
        )
        reason = f"{type(exc).__name__}: {failure_reason(exc)}"[:300]
        attempts = await self.store.record_summary_failure(key, reason, self.clock(), RETRY_BASE)
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "giving up on the summary of %sv%d after %d attempts (%s); readers still get "
                "its abstract",
                key.arxiv_id,
                key.version,
                attempts,
                reason,
            )
            await self.store.drop_summary_failure(key)


def _checked_only(summary: Summary | None) -> Summary | None:
    """A stored summary, unless it was made before numbers were checked: that one is made
    again (and checked) rather than served."""
    return summary if summary is not None and summary.numbers is not None else None


def _with_text(summary: Summary, text: str) -> Summary:
    """``summary`` with the parts of ``text`` (as :attr:`Summary.text` lays them out)."""
    head, _, body = text.partition("\n\n")
    return replace(summary, tldr=head.removeprefix("TL;DR: "), body=body)


def _number_check(report: NumberReport, corrected: int) -> NumberCheck:
    unsupported = tuple(UnsupportedNumber(c.raw, c.value, c.kind) for c in report.unsupported)
    return NumberCheck(
        found=report.found,
        supported=report.supported,
        corrected=corrected,
        marked=len(unsupported),
        unsupported=unsupported,
    )


def _added(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)
