"""The persistence interface the core depends on; ``storage/`` implements it.

The core only ever sees this Protocol, so SQLite (default) and PostgreSQL (multi-instance)
implementations are interchangeable. Every method that changes data has committed when it
returns: a reply that acknowledges a change is only sent after the change is durable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.papers import Paper
from bot.subscriptions import Subscription


class StoreError(RuntimeError):
    """The database cannot be used (for example, it was written by a newer version)."""


class Store(Protocol):
    async def close(self) -> None: ...

    # subscriptions
    async def get_subscription(self, platform: str, chat_id: str) -> Subscription | None: ...

    async def save_subscription(self, subscription: Subscription) -> None:
        """Insert or replace the chat's subscription."""

    async def delete_subscription(self, platform: str, chat_id: str) -> bool: ...

    async def list_subscriptions(self, *, delivering_only: bool = False) -> list[Subscription]: ...

    # papers seen
    async def save_papers(self, papers: Iterable[Paper]) -> None:
        """Remember paper metadata by id and version (later versions do not erase earlier)."""

    async def get_paper(self, arxiv_id: str, version: int | None = None) -> Paper | None:
        """A stored paper: that version, or the latest one stored."""
