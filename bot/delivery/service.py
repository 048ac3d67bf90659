"""Daily delivery: each subscription gets each announcement's digest once, at its own time.

The pipeline, run by the scheduler every minute (and at start, to catch up):

1. :meth:`DeliveryService.fetch` - after each announcement, fetch the union of all
   subscribed categories once and store the batch (retried while the feed is late or empty;
   a day without an announcement stores nothing, so nobody gets a digest). A category first
   subscribed after that fetch is fetched again the same day, with the others.
2. :meth:`DeliveryService.schedule` - due subscriptions (one indexed query on the stored
   next-due time) get a ledger row for the latest batch they have not had, in the same
   transaction that moves their next-due time: the outbox. A digest missed beyond the grace
   period (the bot was down all day) is recorded as skipped, never sent days late.
3. :meth:`DeliveryService.deliver` - every pending ledger row is scored and sent through its
   platform's adapter, with progress recorded after each message. After a crash or restart it
   resumes at the first unsent message: nothing is lost, and at most the message in flight is
   sent twice. Summaries are made ahead by :mod:`bot.delivery.planner`; on platforms that edit
   their messages a digest leaves at once with those that are ready and
   :meth:`DeliveryService.complete` fills in the rest in place (:mod:`bot.delivery.live`);
   elsewhere it waits for them (each paper once per language) within a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime, timedelta

from bot.arxiv.announcements import AnnouncementProvider
from bot.arxiv.transport import ArxivRequestError, ArxivUnavailable
from bot.config import Settings
from bot.contract.outbound import DeliveryError, Editor, Sender
from bot.delivery.digests import DigestRanker, Ranked
from bot.delivery.live import LiveDigests, ReadyMemo
from bot.delivery.schedule import latest_announcement, local_day_end, next_due
from bot.model.papers import Paper
from bot.model.store import Batch, Delivery, LeaseLost, Rendered, Store
from bot.model.subscriptions import Subscription
from bot.model.summaries import Summary
from bot.ranking.digest import Digest
from bot.rendering.paper_cards import digest_reply
from bot.services import DeliveryCounters
from bot.summaries.embeddings import Embedder
from bot.summaries.summarizer import Summarizer

log = logging.getLogger(__name__)

FETCHED_FOR = "fetched_for"
LAST_FETCH = "last_fetch"
GIVE_UP_AFTER = timedelta(hours=10)
"""How long after a scheduled announcement an empty or unchanged feed is retried before
the day is taken as one without announcements (a holiday)."""
RETRY_DELAY = timedelta(minutes=5)
COVERAGE_CHECK = timedelta(minutes=1)
"""How often a fetched day's batch is compared with the subscribed categories when no
command of this instance said a subscription changed (another instance's may have)."""
SETTLE_SECONDS = 0.5
"""At shutdown, how long a round that can send nothing more may take to end by itself
before it is cancelled."""
CLAIM_BATCH = 1000
"""Digests claimed at a time: instances sharing a database each take a share of a fan-out
and come back for more, so one that dies holds up no more than its share (which another
takes over when its leases run out) while the others go on."""
QUEUE_SLACK = timedelta(hours=3)
"""A digest queued in time keeps at least this long to get through rate limits and retries,
even when the grace period (say, the local midnight) ends sooner."""


class DeliveryService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        announcements: AnnouncementProvider,
        summarizer: Summarizer,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        parallel: int = 64,
        embedder: Embedder | None = None,
        claim_batch: int = CLAIM_BATCH,
    ) -> None:
        self.settings = settings
        self.store = store
        self.announcements = announcements
        self.summarizer = summarizer
        self.senders = dict(senders)
        self.clock = clock
        self.parallel = parallel
        self.embedder = embedder
        self.counters = DeliveryCounters()
        # Digests are prepared and paced in parallel, but at most this many messages are
        # between "sent" and "recorded" at once: what a crash can duplicate.
        self._in_flight = _InFlight(settings.delivery_in_flight)
        self._lock = asyncio.Lock()
        self._completing = asyncio.Lock()
        self._round: asyncio.Task[object] | None = None
        self.not_ranking = asyncio.Event()
        """Clear while a round schedules and ranks its due digests: the summary planner,
        which ranks every subscription too, gives way (a due digest waits for nothing
        else)."""
        self.not_ranking.set()
        self._stopping = False
        self.live = LiveDigests(
            store=store,
            summarizer=summarizer,
            senders=self.senders,
            clock=clock,
            limit=settings.max_papers_to_summarize,
        )
        self.batch_stored: Callable[[], None] | None = None
        """Told when a new announcement is stored (the summary planner starts on it)."""
        self.claimed = 0
        """Digests the last :meth:`deliver` claimed."""
        self.claim_batch = claim_batch
        self._coverage_checked: datetime | None = None
        """When the stored batch was last compared with the subscribed
        categories; None: at the next round."""

    # --- 1. fetching -----------------------------------------------------------------------

    async def subscribed_categories(self) -> list[str]:
        # One query of distinct category sets: the fetch is retried every minute while the
        # feed is late, and must not read 100,000 subscriptions each time.
        subscribed = await self.store.subscribed_categories()
        return [*self.settings.categories, *sorted(subscribed - set(self.settings.categories))]

    def subscriptions_changed(self) -> None:
        """A subscription was saved: it may follow a category the day's batch lacks."""
        self._coverage_checked = None

    async def _uncovered(self, latest: Batch, expected: datetime) -> list[str] | None:
        """The subscribed categories, when the day's stored batch lacks some of them (it was
        fetched before a chat subscribed to them); else None. Checked after a subscription
        changed, and every minute for the other instances' commands."""
        now = self.clock()
        checked = self._coverage_checked
        if checked is not None and checked <= now < checked + COVERAGE_CHECK:
            return None
        self._coverage_checked = now
        if latest.fetched_at < expected:  # no announcement today: nothing to complete
            return None
        categories = await self.subscribed_categories()
        missing = set(categories) - set(latest.categories)
        if not missing:
            return None
        log.info(
            "fetching the %s announcement again for %s", latest.day, ", ".join(sorted(missing))
        )
        return categories

    async def fetch(self, *, force: bool = False) -> Batch | None:
        """Fetch the latest announcement once; returns the new batch, or None when there is
        nothing new yet (arXiv down, feed late or empty: the next call tries again)."""
        now = self.clock()
        expected = latest_announcement(now)
        latest = await self.store.latest_batch()
        done_for = await self.store.get_meta(FETCHED_FOR)
        uncovered: list[str] | None = None
        if not force and latest is not None and done_for == expected.isoformat():
            uncovered = await self._uncovered(latest, expected)
            if uncovered is None:
                return None
        categories = uncovered or await self.subscribed_categories()
        try:
            announcement = await self.announcements.fetch(categories)
        except (ArxivUnavailable, ArxivRequestError) as exc:
            log.warning("fetching the announcement failed: %s; will retry", exc)
            return None
        await self.store.set_meta(LAST_FETCH, now.isoformat())
        day = announcement.day or expected.date()
        fresh = announcement.papers and (
            latest is None
            or day > latest.day
            or (day == latest.day and not set(categories) <= set(latest.categories))
        )
        if not fresh:
            if now - expected > GIVE_UP_AFTER:
                log.info("no new announcement since %s: none today", expected.date())
                await self.store.set_meta(FETCHED_FOR, expected.isoformat())
            else:
                log.info("the feed has no new announcement yet; will retry")
            return None
        await self.store.save_batch(day, categories, announcement.papers, now)
        await self.store.set_meta(FETCHED_FOR, expected.isoformat())
        log.info("stored the %s announcement: %d papers", day, len(announcement.papers))
        if self.batch_stored is not None:
            self.batch_stored()
        return await self.store.latest_batch()

    # --- 2. scheduling ---------------------------------------------------------------------

    def grace_end(self, sub: Subscription, due_at: datetime) -> datetime:
        hours = self.settings.delivery_grace_hours
        if hours is not None:
            return due_at + timedelta(hours=hours)
        return local_day_end(due_at, sub.timezone)

    async def schedule(self) -> int:
        """Turn due subscriptions into ledger rows; returns how many digests became due."""
        now = self.clock()
        batch = await self.store.latest_batch()
        made = 0
        while True:
            due = await self.store.due_subscriptions(now, limit=1000)
            if not due:
                return made
            for sub in due:
                following = next_due(sub, now)
                due_at = sub.next_due_at
                if due_at is None or batch is None:  # no schedule yet, or nothing to send
                    await self.store.set_next_due(sub.platform, sub.chat_id, following)
                elif now > self.grace_end(sub, due_at):
                    self.counters.skipped += 1
                    if latest_announcement(batch.fetched_at) > due_at:
                        # The latest batch was announced after the missed digest was due
                        # (fetched when the bot came back): it is not the missed one, and
                        # goes out at the subscription's next time.
                        log.info(
                            "skipping the digest of %s due %s: missed beyond the grace period",
                            sub.chat.key,
                            due_at.isoformat(timespec="minutes"),
                        )
                        await self.store.set_next_due(sub.platform, sub.chat_id, following)
                        continue
                    log.info(
                        "skipping the %s digest of %s: due %s, missed beyond the grace period",
                        batch.day,
                        sub.chat.key,
                        due_at.isoformat(timespec="minutes"),
                    )
                    await self.store.schedule_delivery(
                        sub, batch.day, sub.frequency, following, state="skipped",
                        detail="missed while the bot was down",
                    )  # fmt: skip
                elif await self.store.schedule_delivery(sub, batch.day, sub.frequency, following):
                    made += 1

    # --- 3. delivering ---------------------------------------------------------------------

    async def tick(self, *, lead: bool = True) -> None:
        """One scheduler round: fetch if an announcement is expected, schedule, deliver.
        Rounds never overlap. Without ``lead`` (an instance that does not lead, on a shared
        database) the round only delivers: the leader fetches and schedules for all."""
        if self._lock.locked() or self._stopping:
            return
        async with self._lock:
            self._round = asyncio.current_task()
            if lead:
                await self.fetch()
                self.not_ranking.clear()  # the planner waits until due digests are under way
                try:
                    await self.schedule()
                finally:
                    self.not_ranking.set()
            await self.deliver()
            while self.claimed >= self.claim_batch and not self._stopping:  # more to share
                await self.deliver()

    async def complete(self) -> int:
        """A scheduler job of its own: edits the digests whose summaries landed (a round
        busy with a fan-out must not hold them up, nor they a due digest). Returns edits."""
        if self._completing.locked() or self._stopping:
            return 0
        async with self._completing:
            return await self.live.complete()

    async def stop(self, wait_seconds: float = 3.0) -> None:
        """For a clean shutdown, within seconds (Docker kills after ten): no new message
        starts, the messages in flight are sent and recorded (so a restart resends nothing),
        and whatever else the round waits for (summaries, arXiv, a platform's retry pause)
        is cancelled: the ledger lets the next start resume it. Only a message still in
        flight after ``wait_seconds`` is cut short, as a crash would."""
        self._stopping = True
        self._in_flight.close()
        task = self._round
        if task is None or task.done() or not self._lock.locked():
            return
        await self._in_flight.wait_idle(wait_seconds)
        # Nothing can be sent any more: a round that does not end by itself at once is
        # waiting for something it no longer needs.
        done, _ = await asyncio.wait({task}, timeout=SETTLE_SECONDS)
        if not done:
            task.cancel()
            await asyncio.wait({task})

    async def deliver(self, limit: int | None = None) -> int:
        """Send the pending digests (at most ``limit``, oldest first) whose adapter is
        running and that no other instance holds (claimed: see
        :meth:`Store.claim_deliveries`; how many in ``claimed``); returns digests finished.
        ``limit``: ``claim_batch`` by default.

        On a platform that edits its messages a digest leaves on the minute with the
        summaries made ahead, ranked just before it is sent (a fan-out of 10,000 starts at
        once instead of after 10,000 rankings); elsewhere every digest is ranked first and
        their summaries awaited together, up to the deadline."""
        now = self.clock()
        batch = limit or self.claim_batch
        pending = [
            d for d in await self.store.claim_deliveries(now, self.senders, limit=batch)
            if d.platform in self.senders
        ]  # fmt: skip
        self.claimed = len(pending)
        if not pending:
            return 0
        ranker = DigestRanker(self.store, self.settings, self.clock, self.embedder)
        waiting = [d for d in pending if not isinstance(self.senders[d.platform], Editor)]
        self.not_ranking.clear()
        try:
            plans = {d.chat_key: await self._rank(d, ranker) for d in waiting}
        finally:
            self.not_ranking.set()
        summaries = await self._summaries(p for p in plans.values() if p is not None)
        slots = asyncio.Semaphore(self.parallel)
        seen = ReadyMemo()

        async def run(delivery: Delivery) -> bool:
            async with slots:
                if self._stopping:
                    return False
                key = delivery.chat_key
                plan = plans[key] if key in plans else await self._rank(delivery, ranker)
                try:
                    return await self._deliver_one(delivery, plan, summaries, seen)
                except LeaseLost as exc:  # another instance resumes it: leave it to them
                    log.warning("stopped sending a digest: %s", exc)
                    return False

        results = await asyncio.gather(*(run(d) for d in pending))
        return sum(results)

    async def _rank(self, delivery: Delivery, ranker: DigestRanker) -> Ranked | None:
        """The digest as the summary planner ranked it (:mod:`bot.delivery.digests`), or
        None when the chat no longer takes digests."""
        sub = await self.store.get_subscription(delivery.platform, delivery.chat_id)
        if sub is None or not sub.delivers:
            return None
        return await ranker.rank(sub, delivery.day, delivery.kind)

    def _sender(self, plan: Ranked) -> Sender:
        return self.senders[plan.sub.platform]

    async def _summaries(self, plans: Iterable[Ranked]) -> dict[tuple[str, str], Summary]:
        """Each paper shown anywhere is summarized once per language, and no digest waits
        beyond the deadline: late papers go out with their abstract's TL;DR."""
        wanted: dict[str, dict[str, Paper]] = {}
        limit = self.settings.max_papers_to_summarize
        for plan in plans:
            for scored in plan.digest.papers[:limit]:
                wanted.setdefault(plan.sub.language, {})[scored.paper.versioned_id] = scored.paper
        found: dict[tuple[str, str], Summary] = {}
        results = await asyncio.gather(
            *(
                self.summarizer.summarize_many(
                    list(papers.values()), language, deadline=self.settings.summary_deadline
                )
                for language, papers in wanted.items()
            )
        )
        for language, result in zip(wanted, results, strict=True):
            for vid, summary in result.items():
                found[(language, vid)] = summary
        return found

    async def _deliver_one(
        self,
        delivery: Delivery,
        plan: Ranked | None,
        summaries: Mapping[tuple[str, str], Summary],
        seen: ReadyMemo | None = None,
    ) -> bool:
        started = time.monotonic()
        if plan is None:
            await self.store.update_delivery(
                delivery, state="skipped", detail="unsubscribed or paused"
            )
            self.counters.skipped += 1
            return False
        queued = delivery.created_at
        if self.clock() > max(self.grace_end(plan.sub, queued), queued + QUEUE_SLACK):
            await self.store.update_delivery(
                delivery, state="skipped", detail="could not be sent within the grace period"
            )
            log.warning("gave up on the %s digest of %s", delivery.day, plan.sub.chat.key)
            self.counters.skipped += 1
            return False
        if not plan.digest.papers:
            await self.store.update_delivery(delivery, state="skipped", detail="nothing matched")
            self.counters.skipped += 1
            return False
        language = plan.sub.language
        sender = self.senders[delivery.platform]
        if isinstance(sender, Editor):
            ready = await self.live.ready(plan.digest, language, seen)
        else:
            ready = {
                s.paper.versioned_id: summaries[(language, s.paper.versioned_id)]
                for s in plan.digest.papers
                if (language, s.paper.versioned_id) in summaries
            }
        digest = replace(plan.digest, generated_at=self.clock(), summaries=ready)
        if delivery.rendered is not None:  # resumed: shown as it was when it started
            digest = _as_rendered(digest, delivery.rendered)
        heading = "arXiv weekly digest" if delivery.kind == "weekly" else "arXiv digest"
        on_message = None
        if not isinstance(sender, Editor):
            reply = digest_reply(digest, heading=heading)
        else:
            live = None
            if delivery.messages_sent:
                live = await self.live.resumed(
                    plan.sub.chat, delivery.key, digest, heading=heading
                )
            if live is None:
                live = await self.live.begin(
                    plan.sub.chat, delivery.key, language, digest, heading=heading
                )
            reply, on_message = live
        if delivery.state == "due" or delivery.rendered is None:
            shown = Rendered(
                tuple(s.paper.versioned_id for s in digest.papers), frozenset(digest.summaries)
            )
            await self.store.update_delivery(delivery, state="in_progress", rendered=shown)

        async def progress(sent: int) -> None:
            await self.store.update_delivery(delivery, messages_sent=sent)
            if self._stopping:
                raise _Stopping  # the rest of this digest goes out after the restart

        try:
            if isinstance(sender, Editor):
                total = await sender.send(
                    plan.sub.chat,
                    reply,
                    skip=delivery.messages_sent,
                    key=delivery.key,
                    on_sent=progress,
                    gate=self._in_flight,
                    on_message=on_message,
                )
            else:
                total = await sender.send(
                    plan.sub.chat,
                    reply,
                    skip=delivery.messages_sent,
                    key=delivery.key,
                    on_sent=progress,
                    gate=self._in_flight,
                )
        except DeliveryError as exc:
            await self._failed(delivery, exc)
            return False
        except _Stopping:
            return False
        await self.store.update_delivery(delivery, state="done", messages_sent=total)
        self.counters.delivered += 1
        self.counters.messages += total - delivery.messages_sent
        log.info(
            "digest delivered platform=%s chat=%s day=%s kind=%s messages=%d papers=%d "
            "summaries=%d seconds=%.2f",
            delivery.platform,
            delivery.chat_id,
            delivery.day,
            delivery.kind,
            total,
            len(digest.papers),
            len(digest.summaries),
            time.monotonic() - started,
        )
        return True

    async def _failed(self, delivery: Delivery, exc: DeliveryError) -> None:
        now = self.clock()
        reason = f"{exc.kind}: {exc.reason}"[:300]
        sent = max(delivery.messages_sent, exc.sent)  # both count from the reply's start
        where = delivery.chat_key
        if exc.kind in ("gone", "rejected"):
            self.counters.failed += 1
            by_reason = self.counters.failures_by_reason
            by_reason[exc.kind] = by_reason.get(exc.kind, 0) + 1
            await self.store.update_delivery(
                delivery, state="failed", messages_sent=sent, detail=reason
            )
            log.warning("digest for %s failed: %s", where, reason)
            return
        if exc.kind == "uncertain":
            sent += 1  # it may have arrived: never resend it, go on with the rest
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else RETRY_DELAY
        await self.store.update_delivery(
            delivery, messages_sent=sent, detail=reason, retry_at=now + wait
        )
        log.info("digest for %s will be retried: %s", where, reason)


class _Stopping(Exception):
    """Raised through an adapter's ``send`` at shutdown: after a message is recorded, or
    instead of starting a new one."""


class _InFlight(AbstractAsyncContextManager[None]):
    """The fan-out's gate (:class:`Sender`'s ``gate``): at most ``limit`` messages between
    "sent" and "recorded". Once closed, no new message passes, and :meth:`wait_idle` tells
    when the last one in flight is recorded."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    def close(self) -> None:
        self._closed = True

    async def wait_idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), seconds)

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        if self._closed:
            self._slots.release()
            raise _Stopping
        self._count += 1
        self._idle.clear()

    async def __aexit__(self, *exc: object) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()
        self._slots.release()


def _as_rendered(digest: Digest, rendered: Rendered) -> Digest:
    """A resumed digest as it was first rendered: the same papers in the same order, with
    only the summaries it showed, so its messages split exactly as before (a summary that
    arrived since would lengthen a card and shift every later message)."""
    by_id = {s.paper.versioned_id: s for s in digest.papers}
    papers = tuple(by_id[vid] for vid in rendered.papers if vid in by_id)
    summaries = {k: v for k, v in digest.summaries.items() if k in rendered.summarized}
    return replace(digest, papers=papers, summaries=summaries)
