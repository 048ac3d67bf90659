"""The default store: one SQLite file through aiosqlite.

The queries are written in the SQL that SQLite and PostgreSQL share (storage/sql.py), and run
through a :class:`storage.sql.Transaction`: :class:`storage.postgres.PostgresStore` is this
store with PostgreSQL's connections, transactions, faults and schema versions. A new query
written here therefore serves both engines; keep it in the shared dialect.

One connection, in autocommit mode, with every operation under one asyncio lock: SQLite has a
single writer anyway, and a shared connection would otherwise share one transaction between
tasks (a rollback in one task could undo another's writes). Each write is its own
``BEGIN IMMEDIATE ... COMMIT``, finished before the method returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.model.papers import Paper
from bot.model.store import (
    Batch,
    Delivery,
    DeliveryState,
    Instance,
    LeaseLost,
    LiveDigest,
    LiveMessage,
    LlmUsage,
    Rendered,
    StoreError,
    SummaryFailure,
)
from bot.model.subscriptions import Subscription, utcnow
from bot.model.summaries import (
    NumberCheck,
    NumberTotals,
    Summary,
    SummaryKey,
    UnsupportedNumber,
)
from storage.files import create_private_file, make_private_folder
from storage.migrations import DATA_STEPS, MIGRATIONS, SCHEMA_VERSION, refuse_newer
from storage.sql import Row, Transaction

LEASE = timedelta(seconds=30)
"""How long a claimed ledger row (or a summary being made) stays an instance's without news
from it: its progress and its heartbeat (every 10 s) renew the lease; once it runs out
(the instance died) another instance takes the work over."""
NEVER_HELD = "9999-12-31"
"""Later than every lease: on SQLite every lease counts as run out (see ``_lease_cutoff``)."""


def new_instance_id() -> str:
    """``host:pid:random``: readable in /status, and unique even when a container restarts
    with the same host name and pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class SqliteStore:
    """Implements :class:`bot.model.store.Store`.

    ``clock`` stamps the delivery ledger (``created_at`` is where a digest's grace period
    starts) and the leases: it must be the clock the delivery service runs on. ``instance``
    names this process in the database (new for each open by default)."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        instance: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self._clock = clock
        self.path = path
        self._identity = _identity(path)
        self._init_instance(instance, lease)

    def _init_instance(self, instance: str | None, lease: timedelta) -> None:
        self._instance = instance or new_instance_id()
        self.lease = lease
        self._started_at = self._clock()
        self._holds = False
        """Whether this instance may hold claims or an instances row (released at close)."""

    @property
    def instance_id(self) -> str:
        return self._instance

    def _lease_cutoff(self, now: datetime) -> str:
        """A lease that ends at or before this has run out. SQLite has one instance (the
        single-instance lock, storage/instance_lock.py): whatever an earlier process held
        is free, at once, for the one that runs now. PostgreSQL compares with ``now``."""
        return NEVER_HELD

    _SKIP_LOCKED = ""
    """How a claim passes over the rows another transaction is claiming: SQLite has one
    writer at a time, so there are none."""

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = utcnow,
        instance: str | None = None,
        lease: timedelta = LEASE,
    ) -> SqliteStore:
        """Open (creating it owner-only if needed) and migrate; refuse a database from a newer
        version, and turn every way the file can be unusable into one clear StoreError."""
        where = str(path)
        try:
            if where != ":memory:":
                make_private_folder(Path(where).parent)
                create_private_file(Path(where))
            db = await aiosqlite.connect(where, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise unusable(where, exc) from exc
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=10000")
            await migrate(db)
        except sqlite3.Error as exc:
            await db.close()
            raise unusable(where, exc) from exc
        except BaseException:
            await db.close()
            raise
        return cls(db, where, clock=clock, instance=instance, lease=lease)

    async def check(self, *, thorough: bool = False) -> None:
        """Raise StoreError when the database can no longer be used: the file was deleted or
        replaced (the open connection would keep writing to a file nobody will read again),
        became unreadable or read-only, or a read fails. ``thorough`` (at start) also checks
        every page and makes a write."""
        if self._identity is not None:
            now = _identity(self.path)
            if now != self._identity:
                raise StoreError(
                    f"the database {self.path} was deleted or replaced while the bot ran, so "
                    "what it records now is lost: restore the file (or let a restart create "
                    "an empty one) and restart the bot"
                )
            if not os.access(self.path, os.R_OK | os.W_OK):
                raise StoreError(
                    f"the database {self.path} became read-only: let the user running the "
                    "bot read and write it (and its folder), then restart the bot"
                )
            if not _whole_pages(self.path):
                # Truncated or overwritten in place: the same file, so the check above
                # passes, and writes still succeed into the -wal file until a checkpoint
                # drops them.
                raise StoreError(
                    f"the database {self.path} was truncated or overwritten while the bot "
                    "ran, so what it records now is lost: restore it from a backup (or move "
                    "it away to start with an empty one) and restart the bot"
                )
        rows = await self._fetchall("PRAGMA quick_check" if thorough else "PRAGMA user_version")
        if thorough:
            problems = [str(row[0]) for row in rows if str(row[0]) != "ok"]
            if problems:
                raise StoreError(
                    f"the database {self.path} is damaged ({problems[0][:200]}): restore it "
                    "from a backup (or move it away to start with an empty one)"
                )
            await self.set_meta("last_start", self._clock().isoformat())

    async def close(self) -> None:
        await self._release()
        async with self._lock:
            await self._db.close()

    async def _release(self) -> None:
        """A clean stop hands this instance's unfinished ledger rows and summaries to the
        others at once (instead of when the leases run out), and leaves the instances list.
        Best effort: a database that fails here fails the next start more clearly."""
        if not self._holds:
            return
        self._holds = False
        with contextlib.suppress(StoreError, sqlite3.Error, OSError):
            async with self._transaction() as db:
                await db.execute(
                    "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL "
                    "WHERE claimed_by = ? AND state IN ('due', 'in_progress')",
                    (self._instance,),
                )
                await db.execute(
                    "DELETE FROM summary_claims WHERE claimed_by = ?", (self._instance,)
                )
                await db.execute("DELETE FROM instances WHERE id = ?", (self._instance,))

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Transaction]:
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise unusable(self.path, exc) from exc
            try:
                yield _SqliteTransaction(self._db)
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.rollback()
                if isinstance(exc, sqlite3.Error) and file_fault(exc):
                    raise unusable(self.path, exc) from exc
                raise  # a constraint the caller broke is the caller's error
            try:
                await self._db.commit()
            except sqlite3.Error as exc:
                raise unusable(self.path, exc) from exc

    async def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:
            try:
                return list(await self._db.execute_fetchall(sql, params))
            except sqlite3.Error as exc:
                if file_fault(exc):
                    raise unusable(self.path, exc) from exc
                raise

    # --- votes -----------------------------------------------------------------------------

    async def record_vote(
        self, platform: str, chat_id: str, arxiv_id: str, user_id: str, vote: int
    ) -> bool:
        async with self._transaction() as db:
            row = await db.fetchone(
                "SELECT vote FROM votes "
                "WHERE platform = ? AND chat_id = ? AND arxiv_id = ? AND user_id = ?",
                (platform, chat_id, arxiv_id, user_id),
            )
            if row is not None and row[0] == vote:
                return False
            await db.execute(
                "INSERT INTO votes (platform, chat_id, arxiv_id, user_id, vote, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, chat_id, arxiv_id, user_id) DO UPDATE SET "
                "vote = excluded.vote, created_at = excluded.created_at",
                (platform, chat_id, arxiv_id, user_id, vote, utcnow().isoformat()),
            )
            return True

    async def chat_votes(self, platform: str, chat_id: str) -> dict[str, tuple[int, int]]:
        rows = await self._fetchall(
            "SELECT arxiv_id, SUM(CASE WHEN vote = 1 THEN 1 ELSE 0 END) AS up, "
            "SUM(CASE WHEN vote = -1 THEN 1 ELSE 0 END) AS down FROM votes "
            "WHERE platform = ? AND chat_id = ? GROUP BY arxiv_id ORDER BY arxiv_id",
            (platform, chat_id),
        )
        return {row["arxiv_id"]: (int(row["up"]), int(row["down"])) for row in rows}

    async def forget_votes(self, platform: str, chat_id: str) -> int:
        async with self._transaction() as db:
            return await db.execute(
                "DELETE FROM votes WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )

    # --- embeddings ------------------------------------------------------------------------

    async def get_embeddings(self, model: str, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), 500):  # SQLite's bound on host parameters
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = await self._fetchall(
                f"SELECT key, vector FROM embeddings WHERE model = ? AND key IN ({marks})",
                (model, *chunk),
            )
            found.update((row["key"], bytes(row["vector"])) for row in rows)
        return found

    async def save_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        now = utcnow().isoformat()
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO embeddings (model, key, vector, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (model, key) DO UPDATE SET vector = excluded.vector, "
                "created_at = excluded.created_at",
                [(model, key, vector, now) for key, vector in vectors.items()],
            )

    # --- whole tables (arxiv-bot db copy) --------------------------------------------------

    async def table_columns(self) -> dict[str, list[str]]:
        """Every table of the bot's schema and its columns (not the schema's version)."""
        tables = await self._fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        found: dict[str, list[str]] = {}
        for (table,) in ((str(row[0]),) for row in tables):
            columns = await self._fetchall(f'PRAGMA table_info("{table}")')
            found[table] = [str(column[1]) for column in columns]
        return found

    async def table_rows(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        listed = ", ".join(f'"{c}"' for c in columns)
        rows = await self._fetchall(f'SELECT {listed} FROM "{table}"')
        return [tuple(row[i] for i in range(len(columns))) for row in rows]

    async def insert_tables(
        self, tables: Iterable[tuple[str, Sequence[str], list[tuple[Any, ...]]]]
    ) -> None:
        """Insert rows as they are into several tables, in one transaction."""
        async with self._transaction() as db:
            for table, columns, rows in tables:
                if rows:
                    listed = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join("?" for _ in columns)
                    await db.executemany(
                        f'INSERT INTO "{table}" ({listed}) VALUES ({marks})', rows
                    )

    # --- subscriptions ---------------------------------------------------------------------

    async def get_subscription(self, platform: str, chat_id: str) -> Subscription | None:
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
        )
        return _subscription(rows[0]) if rows else None

    async def save_subscription(self, subscription: Subscription) -> None:
        s = subscription
        async with self._transaction() as db:
            await db.execute(
                """
                INSERT INTO subscriptions (
                    platform, chat_id, chat_kind, created_by, categories, keywords, exclude,
                    include_cross, max_papers, min_score, delivery_time, timezone, frequency,
                    weekday, language, paused, active, inactive_reason, created_at, updated_at,
                    next_due_at, interests, authors)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (platform, chat_id) DO UPDATE SET
                    chat_kind = excluded.chat_kind, categories = excluded.categories,
                    keywords = excluded.keywords, exclude = excluded.exclude,
                    include_cross = excluded.include_cross, max_papers = excluded.max_papers,
                    min_score = excluded.min_score, delivery_time = excluded.delivery_time,
                    timezone = excluded.timezone, frequency = excluded.frequency,
                    weekday = excluded.weekday, language = excluded.language,
                    paused = excluded.paused, active = excluded.active,
                    inactive_reason = excluded.inactive_reason, updated_at = excluded.updated_at,
                    next_due_at = excluded.next_due_at, interests = excluded.interests,
                    authors = excluded.authors
                """,
                (
                    s.platform,
                    s.chat_id,
                    s.chat_kind,
                    s.created_by,
                    json.dumps(s.categories),
                    json.dumps(s.keywords, ensure_ascii=False),
                    json.dumps(s.exclude, ensure_ascii=False),
                    int(s.include_cross),
                    s.max_papers,
                    s.min_score,
                    s.delivery_time,
                    s.timezone,
                    s.frequency,
                    s.weekday,
                    s.language,
                    int(s.paused),
                    int(s.active),
                    s.inactive_reason,
                    s.created_at.isoformat(),
                    s.updated_at.isoformat(),
                    _iso(s.next_due_at),
                    s.interests,
                    json.dumps(s.authors, ensure_ascii=False),
                ),
            )

    async def delete_subscription(self, platform: str, chat_id: str) -> bool:
        async with self._transaction() as db:
            deleted = await db.execute(
                "DELETE FROM subscriptions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
            return deleted > 0

    async def subscribed_categories(self) -> set[str]:
        rows = await self._fetchall(
            "SELECT DISTINCT categories FROM subscriptions "
            "WHERE active = 1 AND paused = 0 AND categories != '[]'"
        )
        return {c for row in rows for c in json.loads(row["categories"])}

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> bool:
        async with self._transaction() as db:
            taken = await db.fetchone(
                "SELECT 1 FROM subscriptions WHERE platform = ? AND chat_id = ?",
                (platform, new_chat_id),
            )
            if taken is not None:
                return False
            moved = await db.execute(
                "UPDATE subscriptions SET chat_id = ?, updated_at = ? "
                "WHERE platform = ? AND chat_id = ?",
                (new_chat_id, utcnow().isoformat(), platform, old_chat_id),
            )
            # A digest the new id already has stays with the old id (never two rows per day).
            await db.execute(
                "UPDATE deliveries SET chat_id = ? WHERE platform = ? AND chat_id = ? "
                "AND announcement_day NOT IN (SELECT announcement_day FROM deliveries "
                "WHERE platform = ? AND chat_id = ?)",
                (new_chat_id, platform, old_chat_id, platform, new_chat_id),
            )
            await db.execute(
                "UPDATE votes SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                (new_chat_id, platform, old_chat_id),
            )
            return moved > 0

    async def list_subscriptions(self, *, delivering_only: bool = False) -> list[Subscription]:
        sql = "SELECT * FROM subscriptions"
        if delivering_only:
            sql += " WHERE active = 1 AND paused = 0 AND categories != '[]'"
        rows = await self._fetchall(sql + " ORDER BY platform, chat_id")
        return [_subscription(r) for r in rows]

    # --- papers ----------------------------------------------------------------------------

    async def save_papers(self, papers: Iterable[Paper]) -> None:
        now = utcnow().isoformat()
        rows = [
            (
                p.arxiv_id,
                p.version,
                p.title,
                p.abstract,
                json.dumps(p.authors, ensure_ascii=False),
                json.dumps(p.categories),
                p.announce_type,
                p.published.isoformat(),
                p.comment,
                p.journal_ref,
                p.doi,
                now,
            )
            for p in papers
        ]
        if not rows:
            return
        async with self._transaction() as db:
            await db.executemany(
                """
                INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,
                                    announce_type, published, comment, journal_ref, doi, seen_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (arxiv_id, version) DO UPDATE SET
                    title = excluded.title, abstract = excluded.abstract,
                    authors = excluded.authors, categories = excluded.categories,
                    comment = COALESCE(excluded.comment, papers.comment),
                    journal_ref = COALESCE(excluded.journal_ref, papers.journal_ref),
                    doi = COALESCE(excluded.doi, papers.doi)
                """,
                rows,
            )

    async def get_paper(self, arxiv_id: str, version: int | None = None) -> Paper | None:
        if version is None:
            rows = await self._fetchall(
                "SELECT * FROM papers WHERE arxiv_id = ? ORDER BY version DESC LIMIT 1",
                (arxiv_id,),
            )
        else:
            rows = await self._fetchall(
                "SELECT * FROM papers WHERE arxiv_id = ? AND version = ?", (arxiv_id, version)
            )
        return _paper(rows[0]) if rows else None

    # --- summaries -------------------------------------------------------------------------

    async def get_summary(self, key: SummaryKey) -> Summary | None:
        rows = await self._fetchall(
            """
            SELECT * FROM summaries WHERE arxiv_id = ? AND version = ? AND model = ?
                AND language = ? AND prompt_version = ?
            """,
            _key_params(key),
        )
        return _summary(rows[0]) if rows else None

    async def save_summary(self, summary: Summary) -> None:
        async with self._transaction() as db:
            await db.execute(
                """
                INSERT INTO summaries (arxiv_id, version, model, language,
                    prompt_version, source, text, prompt_tokens, completion_tokens, created_at,
                    numbers_found, numbers_supported, numbers_corrected, numbers_marked,
                    numbers_unsupported)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (arxiv_id, version, model, language, prompt_version) DO UPDATE SET
                    source = excluded.source, text = excluded.text,
                    prompt_tokens = excluded.prompt_tokens,
                    completion_tokens = excluded.completion_tokens,
                    created_at = excluded.created_at,
                    numbers_found = excluded.numbers_found,
                    numbers_supported = excluded.numbers_supported,
                    numbers_corrected = excluded.numbers_corrected,
                    numbers_marked = excluded.numbers_marked,
                    numbers_unsupported = excluded.numbers_unsupported
                """,
                (
                    *_key_params(summary.key),
                    summary.source,
                    json.dumps({"tldr": summary.tldr, "body": summary.body}, ensure_ascii=False),
                    summary.prompt_tokens,
                    summary.completion_tokens,
                    summary.created_at.isoformat(),
                    *_number_params(summary.numbers),
                ),
            )
            await db.execute(_DELETE_FAILURE, _key_params(summary.key))
            await db.execute(_DELETE_CLAIM, _key_params(summary.key))

    async def claim_summary(self, key: SummaryKey, now: datetime) -> bool:
        self._holds = True
        async with self._transaction() as db:
            claimed = await db.execute(
                "INSERT INTO summary_claims (arxiv_id, version, model, language, "
                "prompt_version, claimed_by, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (arxiv_id, version, model, language, prompt_version) DO UPDATE "
                "SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until "
                "WHERE summary_claims.claimed_by = excluded.claimed_by "
                "OR summary_claims.lease_until <= ?",
                (
                    *_key_params(key),
                    self._instance,
                    _iso(now + self.lease),
                    self._lease_cutoff(now),
                ),
            )
        return claimed > 0

    async def release_summary(self, key: SummaryKey) -> None:
        async with self._transaction() as db:
            await db.execute(
                f"{_DELETE_CLAIM} AND claimed_by = ?", (*_key_params(key), self._instance)
            )

    async def number_totals(self) -> NumberTotals:
        rows = await self._fetchall(
            """
            SELECT COALESCE(SUM(numbers_found), 0) AS found,
                COALESCE(SUM(numbers_supported), 0) AS supported,
                COALESCE(SUM(numbers_corrected), 0) AS corrected,
                COALESCE(SUM(numbers_marked), 0) AS marked
            FROM summaries
            """
        )
        row = rows[0]
        return NumberTotals(row["found"], row["supported"], row["corrected"], row["marked"])

    async def record_summary_failure(
        self, key: SummaryKey, error: str, now: datetime, base_delay: timedelta
    ) -> int:
        async with self._transaction() as db:
            row = await db.fetchone(
                "SELECT attempts FROM summary_failures WHERE arxiv_id = ? AND version = ? "
                "AND model = ? AND language = ? AND prompt_version = ?",
                _key_params(key),
            )
            attempts = (int(row[0]) if row else 0) + 1
            next_attempt = now + base_delay * 2 ** (attempts - 1)
            await db.execute(
                """
                INSERT INTO summary_failures (arxiv_id, version, model, language,
                    prompt_version, attempts, last_error, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (arxiv_id, version, model, language, prompt_version) DO UPDATE SET
                    attempts = excluded.attempts, last_error = excluded.last_error,
                    next_attempt_at = excluded.next_attempt_at
                """,
                (*_key_params(key), attempts, error[:500], next_attempt.isoformat()),
            )
        return attempts

    async def due_summary_failures(self, now: datetime, limit: int = 50) -> list[SummaryFailure]:
        rows = await self._fetchall(
            "SELECT * FROM summary_failures WHERE next_attempt_at <= ? "
            "ORDER BY next_attempt_at LIMIT ?",
            (now.isoformat(), limit),
        )
        return [
            SummaryFailure(
                key=SummaryKey(
                    r["arxiv_id"], r["version"], r["model"], r["language"], r["prompt_version"]
                ),
                attempts=r["attempts"],
                last_error=r["last_error"],
                next_attempt_at=datetime.fromisoformat(r["next_attempt_at"]),
            )
            for r in rows
        ]

    async def drop_summary_failure(self, key: SummaryKey) -> None:
        async with self._transaction() as db:
            await db.execute(_DELETE_FAILURE, _key_params(key))

    # --- usage -----------------------------------------------------------------------------

    async def add_llm_usage(self, day: date, prompt_tokens: int, completion_tokens: int) -> None:
        async with self._transaction() as db:
            await db.execute(
                """
                INSERT INTO llm_usage (day, calls, prompt_tokens, completion_tokens)
                VALUES (?, 1, ?, ?)
                ON CONFLICT (day) DO UPDATE SET calls = llm_usage.calls + 1,
                    prompt_tokens = llm_usage.prompt_tokens + excluded.prompt_tokens,
                    completion_tokens = llm_usage.completion_tokens + excluded.completion_tokens
                """,
                (day.isoformat(), prompt_tokens, completion_tokens),
            )

    async def llm_usage(self, day: date) -> LlmUsage:
        rows = await self._fetchall("SELECT * FROM llm_usage WHERE day = ?", (day.isoformat(),))
        if not rows:
            return LlmUsage()
        row = rows[0]
        return LlmUsage(row["calls"], row["prompt_tokens"], row["completion_tokens"])

    async def count_user_requests(self, platform: str, user_id: str, day: date) -> int:
        rows = await self._fetchall(
            "SELECT count FROM user_requests WHERE platform = ? AND user_id = ? AND day = ?",
            (platform, user_id, day.isoformat()),
        )
        return int(rows[0]["count"]) if rows else 0

    async def add_user_request(self, platform: str, user_id: str, day: date) -> None:
        async with self._transaction() as db:
            await db.execute(
                """
                INSERT INTO user_requests (platform, user_id, day, count) VALUES (?, ?, ?, 1)
                ON CONFLICT (platform, user_id, day) DO UPDATE
                SET count = user_requests.count + 1
                """,
                (platform, user_id, day.isoformat()),
            )

    # --- announcement batches --------------------------------------------------------------

    async def save_batch(
        self, day: date, categories: Iterable[str], papers: Iterable[Paper], fetched_at: datetime
    ) -> None:
        kept = list(papers)
        await self.save_papers(kept)
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO batches (day, categories, papers, fetched_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day) DO UPDATE SET categories = excluded.categories, "
                "papers = excluded.papers, fetched_at = excluded.fetched_at",
                (
                    day.isoformat(),
                    json.dumps(list(categories)),
                    json.dumps([[p.arxiv_id, p.version] for p in kept]),
                    _iso(fetched_at),
                ),
            )

    async def latest_batch(self) -> Batch | None:
        rows = await self._fetchall("SELECT * FROM batches ORDER BY day DESC LIMIT 1")
        return _batch(rows[0]) if rows else None

    async def batches_since(self, after: date | None, upto: date) -> list[Batch]:
        rows = await self._fetchall(
            "SELECT * FROM batches WHERE day > ? AND day <= ? ORDER BY day",
            ((after or date.min).isoformat(), upto.isoformat()),
        )
        return [_batch(r) for r in rows]

    async def batch_papers(self, batch: Batch) -> list[Paper]:
        found: list[Paper] = []
        for arxiv_id, version in batch.papers:
            paper = await self.get_paper(arxiv_id, version)
            if paper is not None:
                found.append(paper)
        return found

    # --- the delivery schedule and ledger ------------------------------------------------

    async def due_subscriptions(self, now: datetime, limit: int = 1000) -> list[Subscription]:
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE active = 1 AND paused = 0 "
            "AND categories != '[]' AND (next_due_at IS NULL OR next_due_at <= ?) "
            "ORDER BY next_due_at LIMIT ?",
            (_iso(now), limit),
        )
        return [_subscription(r) for r in rows]

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
        now = _iso(self._clock())
        async with self._transaction() as db:
            inserted = await db.execute(
                "INSERT INTO deliveries (platform, chat_id, announcement_day, kind, "
                "state, messages_sent, detail, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    subscription.platform,
                    subscription.chat_id,
                    day.isoformat(),
                    kind,
                    state,
                    detail,
                    now,
                    now,
                ),
            )
            await db.execute(
                "UPDATE subscriptions SET next_due_at = ? WHERE platform = ? AND chat_id = ?",
                (_iso(next_due_at), subscription.platform, subscription.chat_id),
            )
        return inserted > 0

    async def set_next_due(self, platform: str, chat_id: str, next_due_at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET next_due_at = ? WHERE platform = ? AND chat_id = ?",
                (_iso(next_due_at), platform, chat_id),
            )

    async def pending_deliveries(self, now: datetime, limit: int = 1000) -> list[Delivery]:
        rows = await self._fetchall(
            "SELECT * FROM deliveries WHERE state IN ('due', 'in_progress') "
            "AND (retry_at IS NULL OR retry_at <= ?) ORDER BY created_at LIMIT ?",
            (_iso(now), limit),
        )
        return [_delivery(r) for r in rows]

    async def claim_deliveries(
        self, now: datetime, platforms: Iterable[str], limit: int = 1000
    ) -> list[Delivery]:
        wanted = sorted(set(platforms))
        if not wanted:
            return []
        self._holds = True
        marks = ", ".join("?" for _ in wanted)
        # One statement: the rows are chosen, locked (PostgreSQL: those another instance is
        # claiming right now are skipped, not waited for) and marked ours, atomically.
        async with self._transaction() as db:
            rows = await db.fetchall(
                "UPDATE deliveries SET claimed_by = ?, lease_until = ? "
                "WHERE (platform, chat_id, announcement_day) IN ("
                "SELECT platform, chat_id, announcement_day FROM deliveries "
                "WHERE state IN ('due', 'in_progress') AND (retry_at IS NULL OR retry_at <= ?) "
                f"AND platform IN ({marks}) "
                "AND (claimed_by IS NULL OR claimed_by = ? OR lease_until <= ?) "
                f"ORDER BY created_at LIMIT ?{self._SKIP_LOCKED}) RETURNING *",
                (
                    self._instance,
                    _iso(now + self.lease),
                    _iso(now),
                    *wanted,
                    self._instance,
                    self._lease_cutoff(now),
                    limit,
                ),
            )
        found = [_delivery(r) for r in rows]
        found.sort(key=lambda d: (d.created_at, d.platform, d.chat_id, d.day))
        return found

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
        now = self._clock()
        self._holds = True
        where = (delivery.platform, delivery.chat_id, delivery.day.isoformat())
        async with self._transaction() as db:
            changed = await db.execute(
                "UPDATE deliveries SET state = COALESCE(?, state), "
                "messages_sent = COALESCE(?, messages_sent), detail = COALESCE(?, detail), "
                "rendered = COALESCE(?, rendered), retry_at = ?, updated_at = ?, "
                "claimed_by = ?, lease_until = ? "
                "WHERE platform = ? AND chat_id = ? AND announcement_day = ? "
                "AND (claimed_by IS NULL OR claimed_by = ? OR lease_until <= ?)",
                (
                    state,
                    messages_sent,
                    detail,
                    None if rendered is None else _rendered_json(rendered),
                    _iso(retry_at),
                    _iso(now),
                    self._instance,
                    _iso(now + self.lease),
                    *where,
                    self._instance,
                    self._lease_cutoff(now),
                ),
            )
            if changed == 0:
                holder = await db.fetchone(
                    "SELECT claimed_by FROM deliveries "
                    "WHERE platform = ? AND chat_id = ? AND announcement_day = ?",
                    where,
                )
                if holder is not None:  # (a row moved or deleted meanwhile is no one's)
                    raise LeaseLost(
                        f"the {delivery.day} digest of {delivery.chat_key} is held by "
                        f"{holder[0]} now"
                    )

    async def last_delivery(self, platform: str, chat_id: str) -> Delivery | None:
        rows = await self._fetchall(
            "SELECT * FROM deliveries WHERE platform = ? AND chat_id = ? AND state = 'done' "
            "ORDER BY announcement_day DESC LIMIT 1",
            (platform, chat_id),
        )
        return _delivery(rows[0]) if rows else None

    async def delivery_counts(self, day: date) -> dict[str, int]:
        rows = await self._fetchall(
            "SELECT state, COUNT(*) AS n FROM deliveries WHERE announcement_day = ? "
            "GROUP BY state",
            (day.isoformat(),),
        )
        return {r["state"]: int(r["n"]) for r in rows}

    async def delivery_failures(self, day: date, limit: int = 20) -> list[Delivery]:
        rows = await self._fetchall(
            "SELECT * FROM deliveries WHERE announcement_day = ? AND state = 'failed' "
            "ORDER BY updated_at DESC LIMIT ?",
            (day.isoformat(), limit),
        )
        return [_delivery(r) for r in rows]

    async def recent_batches(self, limit: int) -> list[Batch]:
        rows = await self._fetchall("SELECT * FROM batches ORDER BY day DESC LIMIT ?", (limit,))
        return [_batch(r) for r in rows]

    # --- private feeds ---------------------------------------------------------------------

    async def feed_nonce(self, platform: str, chat_id: str) -> str | None:
        rows = await self._fetchall(
            "SELECT feed_nonce FROM subscriptions WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
        )
        return str(rows[0]["feed_nonce"]) if rows and rows[0]["feed_nonce"] else None

    async def set_feed_token(
        self, platform: str, chat_id: str, nonce: str, token_hash: str
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE subscriptions SET feed_nonce = ?, feed_token_hash = ? "
                "WHERE platform = ? AND chat_id = ?",
                (nonce, token_hash, platform, chat_id),
            )

    async def subscription_by_feed(self, token_hash: str) -> Subscription | None:
        rows = await self._fetchall(
            "SELECT * FROM subscriptions WHERE feed_token_hash = ?", (token_hash,)
        )
        return _subscription(rows[0]) if rows else None

    # --- digests completed in place -------------------------------------------------------

    async def save_live_digest(self, live: LiveDigest) -> None:
        async with self._transaction() as db:
            key = (live.platform, live.chat_id, live.ref)
            await db.execute(
                "DELETE FROM live_messages WHERE platform = ? AND chat_id = ? AND ref = ?", key
            )
            await db.execute(
                "INSERT INTO live_digests "
                "(platform, chat_id, ref, language, snapshot, pending, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, chat_id, ref) DO UPDATE "
                "SET language = excluded.language, snapshot = excluded.snapshot, "
                "pending = excluded.pending, created_at = excluded.created_at",
                (*key, live.language, live.snapshot, json.dumps(live.pending),
                 _iso(live.created_at)),
            )  # fmt: skip

    async def add_live_message(
        self, platform: str, chat_id: str, ref: str, message: LiveMessage
    ) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO live_messages "
                "(platform, chat_id, ref, idx, message_id, papers) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, chat_id, ref, idx) DO UPDATE "
                "SET message_id = excluded.message_id, papers = excluded.papers",
                (platform, chat_id, ref, message.index, message.message_id,
                 json.dumps(message.papers)),
            )  # fmt: skip

    async def live_digests(self, limit: int = 1000) -> list[LiveDigest]:
        rows = await self._fetchall(
            "SELECT * FROM live_digests ORDER BY created_at, platform, chat_id, ref LIMIT ?",
            (limit,),
        )
        if not rows:
            return []
        # Their messages in one query, not one per digest (10,000 digests after a fan-out).
        parts = await self._fetchall(
            "SELECT * FROM live_messages WHERE (platform, chat_id, ref) IN ("
            "SELECT platform, chat_id, ref FROM live_digests "
            "ORDER BY created_at, platform, chat_id, ref LIMIT ?) ORDER BY idx",
            (limit,),
        )
        messages: dict[tuple[str, str, str], list[LiveMessage]] = {}
        for m in parts:
            messages.setdefault((m["platform"], m["chat_id"], m["ref"]), []).append(
                _live_message(m)
            )
        return [
            _live_digest(
                row, tuple(messages.get((row["platform"], row["chat_id"], row["ref"]), ()))
            )
            for row in rows
        ]

    async def live_digest(self, platform: str, chat_id: str, ref: str) -> LiveDigest | None:
        key = (platform, chat_id, ref)
        rows = await self._fetchall(
            "SELECT * FROM live_digests WHERE platform = ? AND chat_id = ? AND ref = ?", key
        )
        if not rows:
            return None
        parts = await self._fetchall(
            "SELECT * FROM live_messages WHERE platform = ? AND chat_id = ? AND ref = ? "
            "ORDER BY idx",
            key,
        )
        return _live_digest(rows[0], tuple(_live_message(m) for m in parts))

    async def set_live_pending(
        self, platform: str, chat_id: str, ref: str, pending: tuple[str, ...]
    ) -> None:
        key = (platform, chat_id, ref)
        async with self._transaction() as db:
            if pending:
                await db.execute(
                    "UPDATE live_digests SET pending = ? "
                    "WHERE platform = ? AND chat_id = ? AND ref = ?",
                    (json.dumps(pending), *key),
                )
                return
            for table in ("live_messages", "live_digests"):
                await db.execute(
                    f"DELETE FROM {table} WHERE platform = ? AND chat_id = ? AND ref = ?",
                    key,
                )

    # --- instances -------------------------------------------------------------------------

    async def heartbeat(self, *, leader: bool) -> None:
        now = self._clock()
        self._holds = True
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO instances (id, host, pid, started_at, last_seen, leader) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "last_seen = excluded.last_seen, leader = excluded.leader",
                (
                    self._instance,
                    socket.gethostname(),
                    os.getpid(),
                    _iso(self._started_at),
                    _iso(now),
                    int(leader),
                ),
            )
            await db.execute(
                "UPDATE deliveries SET lease_until = ? "
                "WHERE claimed_by = ? AND state IN ('due', 'in_progress')",
                (_iso(now + self.lease), self._instance),
            )
            await db.execute(
                "UPDATE summary_claims SET lease_until = ? WHERE claimed_by = ?",
                (_iso(now + self.lease), self._instance),
            )

    async def unclaimed_deliveries(self, now: datetime, platforms: Iterable[str]) -> int:
        wanted = sorted(set(platforms))
        if not wanted:
            return 0
        marks = ", ".join("?" for _ in wanted)
        rows = await self._fetchall(
            "SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('due', 'in_progress') "
            f"AND (retry_at IS NULL OR retry_at <= ?) AND platform IN ({marks}) "
            "AND (claimed_by IS NULL OR (claimed_by != ? AND lease_until <= ?))",
            (_iso(now), *wanted, self._instance, self._lease_cutoff(now)),
        )
        return int(rows[0]["n"])

    async def instances(self, seen_since: datetime) -> list[Instance]:
        rows = await self._fetchall(
            "SELECT * FROM instances WHERE last_seen >= ? ORDER BY started_at, id",
            (_iso(seen_since),),
        )
        return [
            Instance(
                id=r["id"],
                host=r["host"],
                pid=int(r["pid"]),
                started_at=datetime.fromisoformat(r["started_at"]),
                last_seen=datetime.fromisoformat(r["last_seen"]),
                leader=bool(r["leader"]),
            )
            for r in rows
        ]

    # --- operational state -----------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        rows = await self._fetchall("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


_DELETE_FAILURE = (
    "DELETE FROM summary_failures WHERE arxiv_id = ? AND version = ? AND model = ? "
    "AND language = ? AND prompt_version = ?"
)


_DELETE_CLAIM = (
    "DELETE FROM summary_claims WHERE arxiv_id = ? AND version = ? AND model = ? "
    "AND language = ? AND prompt_version = ?"
)


_HINTS = (
    ("SQLITE_NOTADB", "it is not an SQLite database: point DATABASE_URL at the bot's database, "
     "or move this file away to start with an empty one"),
    ("SQLITE_CORRUPT", "the file is damaged: restore it from a backup (or move it away to "
     "start with an empty one)"),
    ("SQLITE_READONLY", "the bot may not write it: let the user running the bot write the "
     "file and its folder"),
    ("SQLITE_CANTOPEN", "the bot cannot open it: check that its folder exists and that the "
     "user running the bot may read and write both"),
    ("SQLITE_PERM", "the bot may not use it: let the user running the bot read and write the "
     "file and its folder"),
    ("SQLITE_FULL", "the disk is full: free some space"),
    ("SQLITE_BUSY", "another program keeps it locked: stop that program"),
    ("SQLITE_LOCKED", "another program keeps it locked: stop that program"),
    ("SQLITE_IOERR", "reading or writing it failed: check the disk, and that the file was not "
     "deleted or moved while the bot ran"),
)  # fmt: skip


def file_fault(exc: sqlite3.Error) -> str | None:
    """What to do when ``exc`` means the file itself is unusable (None for any other error,
    such as a broken constraint)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    return next((text for prefix, text in _HINTS if name.startswith(prefix)), None)


def unusable(path: str, exc: BaseException) -> StoreError:
    """One line that names the file, says what went wrong and what to do (no traceback)."""
    hint = file_fault(exc) if isinstance(exc, sqlite3.Error) else None
    if hint is None and isinstance(exc, OSError):
        hint = "the bot cannot create it: let the user running the bot write to its folder"
    detail = " ".join(str(exc).split())
    return StoreError(
        f"the database {path} cannot be used ({detail}): "
        f"{hint or 'check the file, or point DATABASE_URL at another one'}"
    )


SQLITE_HEADER = b"SQLite format 3\x00"
"""The first bytes of every SQLite database file that holds a page."""
MIN_PAGE = 512


def _whole_pages(path: str) -> bool:
    """Whether the file's size is that of an open SQLite database: at least one page, and
    whole pages (every page size is a multiple of 512). Read with ``stat``, never by opening
    the file: closing any descriptor of it would drop the POSIX locks SQLite holds on it, and
    another process's connection would then delete the -wal file this one still writes."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return False
    return size >= MIN_PAGE and size % MIN_PAGE == 0


def _identity(path: str) -> tuple[int, int] | None:
    """The file's device and inode (None for an in-memory database)."""
    if path == ":memory:" or path.startswith("file:"):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return (0, 0)
    return (info.st_dev, info.st_ino)


class _SqliteTransaction:
    """:class:`storage.sql.Transaction` on the store's aiosqlite connection."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._db.execute(sql, params)
        return cursor.rowcount

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._db.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
            return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)


def _key_params(key: SummaryKey) -> tuple[str, int, str, str, str]:
    return (key.arxiv_id, key.version, key.model, key.language, key.prompt_version)


def _summary(row: Row) -> Summary:
    parts = json.loads(row["text"])
    return Summary(
        key=SummaryKey(
            row["arxiv_id"], row["version"], row["model"], row["language"], row["prompt_version"]
        ),
        source=row["source"],
        tldr=parts["tldr"],
        body=parts["body"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        created_at=datetime.fromisoformat(row["created_at"]),
        numbers=_numbers(row),
    )


def _number_params(
    numbers: NumberCheck | None,
) -> tuple[int | None, int | None, int | None, int | None, str | None]:
    if numbers is None:
        return (None, None, None, None, None)
    unsupported = json.dumps([u.as_json() for u in numbers.unsupported], ensure_ascii=False)
    return (numbers.found, numbers.supported, numbers.corrected, numbers.marked, unsupported)


def _numbers(row: Row) -> NumberCheck | None:
    if row["numbers_found"] is None:
        return None
    unsupported = tuple(
        UnsupportedNumber(str(u["text"]), float(u["value"]), str(u["kind"]))
        for u in json.loads(row["numbers_unsupported"] or "[]")
    )
    return NumberCheck(
        found=row["numbers_found"],
        supported=row["numbers_supported"],
        corrected=row["numbers_corrected"],
        marked=row["numbers_marked"],
        unsupported=unsupported,
    )


async def migrate(db: aiosqlite.Connection) -> None:
    """Bring the schema up to date, one atomic step at a time."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    refuse_newer(version, "file")
    for index in range(version, SCHEMA_VERSION):
        # executescript commits first and runs in autocommit: BEGIN must be inside. The
        # transaction stays open for the entry's data step and the new version.
        try:
            await db.executescript(f"BEGIN IMMEDIATE;\n{MIGRATIONS[index]}")
            step = DATA_STEPS.get(index)
            if step is not None:
                await step(_SqliteTransaction(db))
            await db.execute(f"PRAGMA user_version = {index + 1}")
            await db.commit()
        except BaseException:
            if db.in_transaction:
                await db.rollback()
            raise


def _subscription(row: Row) -> Subscription:
    return Subscription(
        platform=row["platform"],
        chat_id=row["chat_id"],
        chat_kind=row["chat_kind"],
        created_by=row["created_by"],
        categories=tuple(json.loads(row["categories"])),
        keywords=tuple(json.loads(row["keywords"])),
        exclude=tuple(json.loads(row["exclude"])),
        authors=tuple(json.loads(row["authors"])),
        include_cross=bool(row["include_cross"]),
        max_papers=row["max_papers"],
        min_score=row["min_score"],
        delivery_time=row["delivery_time"],
        timezone=row["timezone"],
        frequency=row["frequency"],
        weekday=row["weekday"],
        language=row["language"],
        paused=bool(row["paused"]),
        active=bool(row["active"]),
        inactive_reason=row["inactive_reason"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        next_due_at=_from_iso(row["next_due_at"]),
        interests=row["interests"],
    )


def _live_message(row: Row) -> LiveMessage:
    return LiveMessage(int(row["idx"]), row["message_id"], tuple(json.loads(row["papers"])))


def _live_digest(row: Row, messages: tuple[LiveMessage, ...]) -> LiveDigest:
    return LiveDigest(
        platform=row["platform"],
        chat_id=row["chat_id"],
        ref=row["ref"],
        language=row["language"],
        snapshot=row["snapshot"],
        pending=tuple(json.loads(row["pending"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        messages=messages,
    )


def _iso(moment: datetime | None) -> str | None:
    """UTC ISO text, so that text comparison in SQL orders moments correctly."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _from_iso(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _delivery(row: Row) -> Delivery:
    return Delivery(
        platform=row["platform"],
        chat_id=row["chat_id"],
        day=date.fromisoformat(row["announcement_day"]),
        kind=row["kind"],
        state=row["state"],
        messages_sent=row["messages_sent"],
        detail=row["detail"],
        retry_at=_from_iso(row["retry_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        rendered=_rendered(row["rendered"]),
    )


def _rendered_json(rendered: Rendered) -> str:
    return json.dumps({"papers": list(rendered.papers), "summarized": sorted(rendered.summarized)})


def _rendered(text: str | None) -> Rendered | None:
    if text is None:
        return None
    data = json.loads(text)
    return Rendered(tuple(data["papers"]), frozenset(data["summarized"]))


def _batch(row: Row) -> Batch:
    return Batch(
        day=date.fromisoformat(row["day"]),
        categories=tuple(json.loads(row["categories"])),
        papers=tuple((p[0], int(p[1])) for p in json.loads(row["papers"])),
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
    )


def _paper(row: Row) -> Paper:
    return Paper(
        arxiv_id=row["arxiv_id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(json.loads(row["authors"])),
        categories=tuple(json.loads(row["categories"])),
        announce_type=row["announce_type"],
        published=date.fromisoformat(row["published"]),
        comment=row["comment"],
        journal_ref=row["journal_ref"],
        doi=row["doi"],
    )
