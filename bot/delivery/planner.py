"""Summaries made ahead: each paper a subscriber will be shown is summarized before its
digest is due, so that digests leave on the minute instead of waiting for arXiv's pacing.

A summary needs the paper's full text, and arXiv allows one request every three seconds: a
day of 800 distinct papers is 40 minutes of requests. Started at the due time (as delivery
did), that is 40 minutes late; started when the announcement is stored, hours before most
readers' times, it is nothing. So as soon as a batch is stored, and again whenever a
subscription changes, the planner ranks every delivering subscription's digest (scoring is
milliseconds, :class:`~bot.delivery.digests.DigestRanker` as delivery does, votes and
interests included) and makes the summaries of their top papers in this order: earliest due
first, then the papers with the most readers, in each language needed.

The plan is not stored: it is recomputed from the stored batches and subscriptions, so a
restart resumes it, and the summarizer's cache and single flight make sure nothing is made
twice (a paper summarized before the restart is a cache hit, one a digest is waiting for at
the same moment shares the call). Budgets are the summarizer's: past the daily cap the plan
waits for the next change or day.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.delivery.digests import DigestRanker
from bot.delivery.live import PaperMemo
from bot.model.papers import Paper
from bot.model.store import Store
from bot.summaries.embeddings import Embedder
from bot.summaries.summarizer import Summarizer, SummaryUnavailable

log = logging.getLogger(__name__)

OnSummary = Callable[[str, str], None]
"""Called with (language, versioned id) each time the plan made a summary."""


@dataclass(slots=True)
class PlanItem:
    """One summary to make: a paper in one language, for its readers."""

    paper: Paper
    language: str
    due: datetime
    """The earliest due time among the digests that show it."""
    readers: int = 0

    @property
    def order(self) -> tuple[datetime, int, str, str]:
        return (self.due, -self.readers, self.paper.versioned_id, self.language)


@dataclass(slots=True)
class PlanStats:
    """What the last plan held and what came of it (for logs and benchmarks)."""

    planned: int = 0
    made: int = 0
    cached: int = 0
    refused: int = 0
    failed: int = 0


class SummaryPlanner:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        summarizer: Summarizer,
        clock: Callable[[], datetime],
        workers: int | None = None,
        embedder: Embedder | None = None,
        give_way: asyncio.Event | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.summarizer = summarizer
        self.clock = clock
        self.embedder = embedder
        self.give_way = give_way
        """Set when the planner may rank: delivery clears it while it ranks due digests."""
        # One model slot stays free for whoever asks now (/summarize, a late digest).
        self.workers = workers or max(1, settings.summary_workers - 1)
        self.listeners: list[OnSummary] = []
        self.stats = PlanStats()
        self._changed = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def replan(self) -> None:
        """Something the plan depends on changed (a batch was stored, a subscription was
        saved): the plan is recomputed as soon as the work in progress allows."""
        self._idle.clear()
        self._changed.set()

    def refresh(self) -> None:
        """Plan again if the planner is idle (a periodic look for changes it was not told
        of, such as a subscription saved through another instance): never interrupts a plan
        in progress, whose work would start over."""
        if self._task is not None and self._idle.is_set():
            self.replan()

    def start(self) -> None:
        """Run in the background; the first plan is made at once (a restart resumes)."""
        if self._task is None or self._task.done():
            self.replan()
            self._task = asyncio.create_task(self._loop(), name="summary-planner")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await self._changed.wait()
            try:
                await self.run_once()
            except Exception:  # the next change or start tries again
                log.exception("the summary plan failed")
            if not self._changed.is_set():
                self._idle.set()

    async def settled(self) -> None:
        """Return once the running planner has worked through the latest plan (benchmarks
        and tests wait for it; bound it with a timeout)."""
        await self._idle.wait()

    # --- planning --------------------------------------------------------------------------

    async def plan(self) -> list[PlanItem]:
        """The summaries the delivering subscriptions' next digests need, in the order they
        are made."""
        latest = await self.store.latest_batch()
        if latest is None or not self.summarizer.enabled:
            return []
        now = self.clock()
        items: dict[tuple[str, str], PlanItem] = {}
        pending = {d.chat_key: d for d in await self.store.pending_deliveries(now, 100_000)}
        limit = self.settings.max_papers_to_summarize
        ranker = DigestRanker(self.store, self.settings, lambda: now, self.embedder)
        for sub in await self.store.list_subscriptions(delivering_only=True):
            if self.give_way is not None:
                await self.give_way.wait()
            queued = pending.get(sub.chat.key)
            if queued is not None:  # queued already: its next due time has moved on
                day, kind, due = queued.day, queued.kind, now
            else:
                last = await self.store.last_delivery(sub.platform, sub.chat_id)
                if last is not None and last.day >= latest.day:
                    continue  # it had this announcement
                day, kind, due = latest.day, sub.frequency, sub.next_due_at or now
            digest = (await ranker.rank(sub, day, kind)).digest
            for scored in digest.papers[:limit]:
                slot = (scored.paper.versioned_id, sub.language)
                item = items.get(slot)
                if item is None:
                    item = items[slot] = PlanItem(scored.paper, sub.language, due)
                item.due = min(item.due, due)
                item.readers += 1
        # Ten thousand live digests after a fan-out wait for a few hundred papers: each is
        # read once.
        papers = PaperMemo(self.store.get_paper)
        for live in await self.store.live_digests(limit=100_000):
            # Sent with extracts, to be completed in place: the most overdue of all.
            for vid in live.pending:
                item = items.get((vid, live.language))
                if item is None:
                    arxiv_id, _, version = vid.rpartition("v")
                    paper = await papers.get(arxiv_id, int(version))
                    if paper is None:
                        continue
                    item = items[(vid, live.language)] = PlanItem(
                        paper, live.language, live.created_at
                    )
                item.due = min(item.due, live.created_at)
                item.readers += 1
        return sorted(items.values(), key=lambda i: i.order)

    async def run_once(self) -> PlanStats:
        """Make the plan's summaries, ``workers`` at a time in plan order; stops early when
        the plan changes (the loop then starts over, cached summaries costing nothing)."""
        self._changed.clear()
        items = await self.plan()
        stats = self.stats = PlanStats(planned=len(items))
        queue: asyncio.Queue[PlanItem] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)
        if items:
            log.info("summary plan: %d summaries for the coming digests", len(items))

        async def work() -> None:
            while not queue.empty() and not self._changed.is_set():
                item = queue.get_nowait()
                if not await self._make(item, stats):
                    return  # out of budget: nothing more until tomorrow or a change

        await asyncio.gather(*(work() for _ in range(self.workers)))
        return stats

    async def _make(self, item: PlanItem, stats: PlanStats) -> bool:
        if await self.summarizer.cached(item.paper, item.language) is not None:
            stats.cached += 1
            return True
        try:
            await self.summarizer.summary(item.paper, item.language)
        except SummaryUnavailable as exc:
            if exc.reason == "budget":
                stats.refused += 1
                log.info("summary plan paused: %s", exc)
                return False
            stats.failed += 1  # recorded by the summarizer and retried by its job
            return True
        stats.made += 1
        for listener in self.listeners:
            listener(item.language, item.paper.versioned_id)
        return True
