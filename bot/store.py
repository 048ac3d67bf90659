"""The persistence interface the core depends on; ``storage/`` implements it.

The core only ever sees this Protocol, so SQLite (default) and PostgreSQL (multi-instance)
implementations are interchangeable. Every method that changes data has committed when it
returns: a reply that acknowledges a change is only sent after the change is durable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.papers import Paper
from bot.subscriptions import Subscription
from bot.summaries import Summary, SummaryKey


class StoreError(RuntimeError):
    """The database cannot be used (for example, it was written by a newer version)."""


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


class Store(Protocol):
    async def close(self) -> None: ...

    # subscriptions
    async def get_subscription(self, platform: str, chat_id: str) -> Subscription | None: ...

    async def save_subscription(self, subscription: Subscription) -> None:
        """Insert or replace the chat's subscription."""

    async def delete_subscription(self, platform: str, chat_id: str) -> bool: ...

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        """Re-key a chat's subscription and deliveries (a chat whose id changed); False when
        there was nothing to move or the new id already has a subscription."""

    async def list_subscriptions(self, *, delivering_only: bool = False) -> list[Subscription]: ...

    # papers seen
    async def save_papers(self, papers: Iterable[Paper]) -> None:
        """Remember paper metadata by id and version (later versions do not erase earlier)."""

    async def get_paper(self, arxiv_id: str, version: int | None = None) -> Paper | None:
        """A stored paper: that version, or the latest one stored."""

    # summaries
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

    # model usage and on-demand requests (per UTC day)
    async def add_llm_usage(
        self, day: date, prompt_tokens: int, completion_tokens: int
    ) -> None: ...

    async def llm_usage(self, day: date) -> LlmUsage: ...

    async def count_user_requests(self, platform: str, user_id: str, day: date) -> int: ...

    async def add_user_request(self, platform: str, user_id: str, day: date) -> None: ...
