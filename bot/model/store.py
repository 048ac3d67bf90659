"""The persistence interface the core depends on; ``storage/`` implements it.

The core only ever sees this Protocol, so SQLite (default) and PostgreSQL (multi-instance)
implementations are interchangeable. Every method that changes data has committed when it
returns: a reply that acknowledges a change is only sent after the change is durable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from bot.errors import StorageError
from bot.model.papers import Paper
from bot.model.subscriptions import Subscription
from bot.model.summaries import NumberTotals, Summary, SummaryKey


class StoreError(StorageError, RuntimeError):
    """The database cannot be used (for example, it was written by a newer version)."""


class LeaseLost(RuntimeError):
    """Another instance holds this ledger row now: this one's lease on it ran out (it could
    not renew it in time) and the other took the digest over, resuming from the progress
    recorded. The row is theirs: this instance must send nothing more of it."""


@dataclass(frozen=True, slots=True)
class LlmUsage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class SummaryFailure:
    key: SummaryKey
    attempts: int
    last_error: str
    next_attempt_at: datetime


DeliveryState = Literal["due", "in_progress", "done", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class Batch:
    """One announcement as fetched: the papers of every subscribed category."""

    day: date
    categories: tuple[str, ...]
    papers: tuple[tuple[str, int], ...]
    """(arXiv id, version) of each paper; the metadata is in the papers table."""
    fetched_at: datetime


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a digest showed when its first message left: its papers (versioned ids) in
    order, and those that carried their summary. A digest resumed after a crash or a failure
    is rendered from this, so its messages split as they did, whatever summaries arrived in
    between: skipping the messages already sent then skips exactly those."""

    papers: tuple[str, ...]
    summarized: frozenset[str]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A row of the delivery ledger: one digest for one chat (the outbox)."""

    platform: str
    chat_id: str
    day: date
    kind: str
    state: DeliveryState
    messages_sent: int
    detail: str | None
    retry_at: datetime | None
    created_at: datetime
    updated_at: datetime
    rendered: Rendered | None = None

    @property
    def chat_key(self) -> str:
        return f"{self.platform}:{self.chat_id}"

    @property
    def key(self) -> str:
        """Names this digest for platforms that can drop a resend (Discord's nonce)."""
        return f"{self.kind}:{self.day.isoformat()}"


class SubscriptionStore(Protocol):
    """Chats' subscriptions."""

    async def get_subscription(self, platform: str, chat_id: str) -> Subscription | None: ...

    async def save_subscription(self, subscription: Subscription) -> None:
        """Insert or replace the chat's subscription."""

    async def delete_subscription(self, platform: str, chat_id: str) -> bool: ...

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """Re-key a chat's subscription and deliveries (a chat whose id changed); False when
        there was nothing to move or the new id already has a subscription."""

    async def list_subscriptions(self, *, delivering_only: bool = False) -> list[Subscription]: ...

    async def subscribed_categories(self) -> set[str]:
        """Every category some delivering subscription follows (what one fetch must cover)."""


class PaperStore(Protocol):
    """Paper metadata by id and version."""

    async def save_papers(self, papers: Iterable[Paper]) -> None:
        """Remember paper metadata by id and version (later versions do not erase earlier)."""

    async def get_paper(self, arxiv_id: str, version: int | None = None) -> Paper | None:
        """A stored paper: that version, or the latest one stored."""


class SummaryStore(Protocol):
    """Summaries, shared by every reader, and failures to retry."""

    async def get_summary(self, key: SummaryKey) -> Summary | None: ...

    async def save_summary(self, summary: Summary) -> None:
        """Cache a summary and forget any recorded failure for its key."""

    async def record_summary_failure(
        self, key: SummaryKey, error: str, now: datetime, base_delay: timedelta
    ) -> int:
        """Remember a failed summary for a retry after ``base_delay`` doubled per earlier
        attempt; returns the number of attempts so far."""

    async def due_summary_failures(
        self, now: datetime, limit: int = 50
    ) -> list[SummaryFailure]: ...

    async def drop_summary_failure(self, key: SummaryKey) -> None: ...

    async def number_totals(self) -> NumberTotals:
        """The number checks of every stored summary, added up."""

    async def claim_summary(self, key: SummaryKey, now: datetime) -> bool:
        """Claim making this summary (instances sharing a database make each summary once):
        True when this instance may make it now, False while another instance is making it
        (its claim's lease, renewed by its heartbeat, has not run out). Saving the summary
        ends the claim."""
        ...

    async def release_summary(self, key: SummaryKey) -> None:
        """Give up this instance's claim (the summary could not be made): another instance
        may make it at once."""


class UsageStore(Protocol):
    """Model usage and on-demand requests, per UTC day (the budgets)."""

    async def add_llm_usage(
        self, day: date, prompt_tokens: int, completion_tokens: int
    ) -> None: ...

    async def llm_usage(self, day: date) -> LlmUsage: ...

    async def count_user_requests(self, platform: str, user_id: str, day: date) -> int: ...

    async def add_user_request(self, platform: str, user_id: str, day: date) -> None: ...


class BatchStore(Protocol):
    """Announcements as fetched."""

    async def save_batch(
        self, day: date, categories: Iterable[str], papers: Iterable[Paper], fetched_at: datetime
    ) -> None:
        """Store an announcement's papers and the batch, atomically (a re-fetch replaces it)."""

    async def latest_batch(self) -> Batch | None: ...

    async def batches_since(self, after: date | None, upto: date) -> list[Batch]:
        """Batches with ``after < day <= upto``, oldest first."""

    async def batch_papers(self, batch: Batch) -> list[Paper]: ...

    async def recent_batches(self, limit: int) -> list[Batch]:
        """The latest ``limit`` batches, newest first."""


class DeliveryLedger(Protocol):
    """The delivery schedule and the outbox ledger."""

    async def due_subscriptions(self, now: datetime, limit: int = 1000) -> list[Subscription]:
        """Delivering subscriptions whose ``next_due_at`` has come, most overdue first, and
        those that have none yet (written before schedules existed)."""

    async def schedule_delivery(
        self,
        subscription: Subscription,
        day: date,
        kind: str,
        next_due_at: datetime,
        *,
        state: DeliveryState = "due",
        detail: str | None = None,
    ) -> bool:
        """Record a digest as due (or skipped) and move the subscription's next due time, in
        one transaction; False when that digest was already recorded."""

    async def set_next_due(self, platform: str, chat_id: str, next_due_at: datetime) -> None: ...

    async def pending_deliveries(self, now: datetime, limit: int = 1000) -> list[Delivery]:
        """Deliveries due or in progress whose retry time (if any) has come, oldest first
        (whoever holds them: this only reads)."""

    async def claim_deliveries(
        self, now: datetime, platforms: Iterable[str], limit: int = 1000
    ) -> list[Delivery]:
        """The pending deliveries of ``platforms`` (oldest first) that no other running
        instance holds, claimed for this one with a lease: rows another instance claimed at
        the same moment are skipped, never shared, and the rows of an instance that died are
        claimable again once its lease has run out. Progress (:meth:`update_delivery`) and
        the instance's heartbeat renew the lease."""

    async def update_delivery(
        self,
        delivery: Delivery,
        *,
        state: DeliveryState | None = None,
        messages_sent: int | None = None,
        detail: str | None = None,
        retry_at: datetime | None = None,
        rendered: Rendered | None = None,
    ) -> None:
        """Change the row; ``rendered`` is kept once recorded (pass it with the first send).
        The row is this instance's from then on, its lease renewed; raises
        :class:`LeaseLost` when another instance holds it now."""

    async def last_delivery(self, platform: str, chat_id: str) -> Delivery | None:
        """The chat's latest digest that went out (done)."""

    async def delivery_counts(self, day: date) -> dict[str, int]: ...

    async def delivery_failures(self, day: date, limit: int = 20) -> list[Delivery]: ...


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One platform message of a live digest and the papers it carries (versioned ids)."""

    index: int
    message_id: str
    papers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiveDigest:
    """A digest sent before all its summaries were made, to be completed in place.

    ``ref`` names it in the chat (a delivery's key, or a /digest request's); ``snapshot``
    is what it showed, as the core encodes it; ``pending`` the papers (versioned ids) whose
    summary it still lacks."""

    platform: str
    chat_id: str
    ref: str
    language: str
    snapshot: str
    pending: tuple[str, ...]
    created_at: datetime
    messages: tuple[LiveMessage, ...] = ()


class LiveDigestStore(Protocol):
    """Digests completed in place, and which message carries which paper."""

    async def save_live_digest(self, live: LiveDigest) -> None:
        """Insert or replace it (its messages are added by :meth:`add_live_message`)."""

    async def add_live_message(
        self, platform: str, chat_id: str, ref: str, message: LiveMessage
    ) -> None: ...

    async def live_digests(self, limit: int = 1000) -> list[LiveDigest]:
        """Live digests with papers still pending, oldest first, with their messages."""

    async def live_digest(self, platform: str, chat_id: str, ref: str) -> LiveDigest | None:
        """One live digest with its messages (None when it has nothing pending)."""

    async def set_live_pending(
        self, platform: str, chat_id: str, ref: str, pending: tuple[str, ...]
    ) -> None:
        """Record what is still pending; with nothing left the digest and its messages are
        forgotten."""


@dataclass(frozen=True, slots=True)
class Instance:
    """One ``arxiv-bot run`` sharing the database, as its last heartbeat left it."""

    id: str
    host: str
    pid: int
    started_at: datetime
    last_seen: datetime
    leader: bool


class InstanceStore(Protocol):
    """The instances sharing the database (any number on PostgreSQL, one on SQLite): who
    runs and who leads, and the leases each holds."""

    @property
    def instance_id(self) -> str:
        """This process's name in the database (``host:pid:random``), given at open."""
        ...

    async def heartbeat(self, *, leader: bool) -> None:
        """Record this instance alive now (leading or not) and renew every lease it holds:
        its claimed ledger rows and the summaries it is making. An instance that stops
        beating loses them to the others once the leases run out."""

    async def unclaimed_deliveries(self, now: datetime, platforms: Iterable[str]) -> int:
        """Pending deliveries of ``platforms`` due now that no running instance holds (new
        ones, and those of an instance whose lease ran out): work for a delivery round."""
        ...

    async def instances(self, seen_since: datetime) -> list[Instance]:
        """The instances whose last heartbeat is not older than ``seen_since``, the earliest
        started first."""
        ...


class MetaStore(Protocol):
    """Small operational state (last fetch, ...)."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...


class FeedTokenStore(Protocol):
    """Private feeds' tokens."""

    async def feed_nonce(self, platform: str, chat_id: str) -> str | None: ...

    async def set_feed_token(
        self, platform: str, chat_id: str, nonce: str, token_hash: str
    ) -> None:
        """Replace the chat's feed token (its subscription must exist)."""

    async def subscription_by_feed(self, token_hash: str) -> Subscription | None: ...


class EmbeddingStore(Protocol):
    """Embedding vectors by model and key (a paper version, or a text's hash), computed once
    and shared by every reader: float32 bytes, as the model gave them."""

    async def get_embeddings(self, model: str, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored vectors among ``keys``; missing keys are absent."""
        ...

    async def save_embeddings(self, model: str, vectors: dict[str, bytes]) -> None: ...


class VoteStore(Protocol):
    """👍/👎 on papers, kept per chat: one vote per member and paper (a new vote replaces
    that member's earlier one)."""

    async def record_vote(
        self, platform: str, chat_id: str, arxiv_id: str, user_id: str, vote: int
    ) -> bool:
        """``vote`` is 1 or -1; False when the member had already voted so on the paper."""
        ...

    async def chat_votes(self, platform: str, chat_id: str) -> dict[str, tuple[int, int]]:
        """``{arxiv id: (👍, 👎)}`` of the chat's members."""
        ...

    async def forget_votes(self, platform: str, chat_id: str) -> int:
        """Forget the chat's votes; returns how many there were."""
        ...


class Store(
    VoteStore,
    EmbeddingStore,
    SubscriptionStore,
    PaperStore,
    SummaryStore,
    UsageStore,
    BatchStore,
    DeliveryLedger,
    MetaStore,
    FeedTokenStore,
    LiveDigestStore,
    InstanceStore,
    Protocol,
):
    """The whole store: every role, its health, and closing it. Components ask for the roles
    they use."""

    async def check(self, *, thorough: bool = False) -> None:
        """Raise StoreError (one line: the file, the fault, what to do) when the database can
        no longer be used; ``thorough`` (at start) also reads every page and writes once."""
        ...

    async def close(self) -> None: ...
