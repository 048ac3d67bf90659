"""The schema history of both engines. Entry ``i`` upgrades a database from version ``i`` to
``i + 1``.

Never edit a released entry: add a new one. An entry may also rewrite rows in Python where SQL
cannot say what to change (``DATA_STEPS``, in the same transaction, on both engines). Each
entry is SQLite's SQL; PostgreSQL runs the
same text with the column types mapped (``INTEGER`` -> ``BIGINT``, ``REAL`` -> ``DOUBLE
PRECISION``, ``TEXT`` -> ``TEXT COLLATE "C"``, ``BLOB`` -> ``BYTEA``: storage/postgres.py).
An entry PostgreSQL cannot run that way gets its PostgreSQL text in ``POSTGRES_OVERRIDES``
under the same index; tests/storage/test_postgres_schema.py proves both engines end with the
same tables and columns. SQLite keeps the version in ``PRAGMA user_version``, PostgreSQL in
the table ``schema_version``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.model.store import StoreError
from storage.sql import Transaction
from storage.text_cleanup import clean_subscription_text

MIGRATIONS: tuple[str, ...] = (
    # 1: the first release: subscriptions and the papers we have seen.
    """
    CREATE TABLE subscriptions (
        platform        TEXT    NOT NULL,
        chat_id         TEXT    NOT NULL,
        chat_kind       TEXT    NOT NULL CHECK (chat_kind IN ('private', 'group', 'channel')),
        created_by      TEXT    NOT NULL,
        categories      TEXT    NOT NULL DEFAULT '[]',
        keywords        TEXT    NOT NULL DEFAULT '[]',
        exclude         TEXT    NOT NULL DEFAULT '[]',
        include_cross   INTEGER NOT NULL DEFAULT 0,
        max_papers      INTEGER NOT NULL DEFAULT 10,
        min_score       REAL    NOT NULL DEFAULT 0,
        delivery_time   TEXT    NOT NULL DEFAULT '08:00',
        timezone        TEXT    NOT NULL DEFAULT 'UTC',
        paused          INTEGER NOT NULL DEFAULT 0,
        active          INTEGER NOT NULL DEFAULT 1,
        inactive_reason TEXT,
        created_at      TEXT    NOT NULL,
        updated_at      TEXT    NOT NULL,
        PRIMARY KEY (platform, chat_id)
    );
    CREATE TABLE papers (
        arxiv_id      TEXT    NOT NULL,
        version       INTEGER NOT NULL,
        title         TEXT    NOT NULL,
        abstract      TEXT    NOT NULL,
        authors       TEXT    NOT NULL,
        categories    TEXT    NOT NULL,
        announce_type TEXT    NOT NULL,
        published     TEXT    NOT NULL,
        comment       TEXT,
        journal_ref   TEXT,
        doi           TEXT,
        seen_at       TEXT    NOT NULL,
        PRIMARY KEY (arxiv_id, version)
    );
    """,
    # 2: weekly digests, summary language, the summary cache and the delivery ledger.
    """
    ALTER TABLE subscriptions ADD COLUMN frequency TEXT NOT NULL DEFAULT 'daily'
        CHECK (frequency IN ('daily', 'weekly'));
    ALTER TABLE subscriptions ADD COLUMN weekday INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE subscriptions ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
    CREATE TABLE summaries (
        arxiv_id          TEXT    NOT NULL,
        version           INTEGER NOT NULL,
        model             TEXT    NOT NULL,
        language          TEXT    NOT NULL,
        prompt_version    TEXT    NOT NULL,
        source            TEXT    NOT NULL,
        text              TEXT    NOT NULL,
        prompt_tokens     INTEGER,
        completion_tokens INTEGER,
        created_at        TEXT    NOT NULL,
        PRIMARY KEY (arxiv_id, version, model, language, prompt_version)
    );
    CREATE TABLE deliveries (
        platform         TEXT    NOT NULL,
        chat_id          TEXT    NOT NULL,
        announcement_day TEXT    NOT NULL,
        state            TEXT    NOT NULL
            CHECK (state IN ('due', 'in_progress', 'done', 'failed', 'skipped')),
        messages_sent    INTEGER NOT NULL DEFAULT 0,
        detail           TEXT,
        created_at       TEXT    NOT NULL,
        updated_at       TEXT    NOT NULL,
        PRIMARY KEY (platform, chat_id, announcement_day)
    );
    CREATE INDEX deliveries_by_state ON deliveries (state, announcement_day);
    """,
    # 3: summaries that failed (retried later), model usage per day, on-demand requests.
    """
    CREATE TABLE summary_failures (
        arxiv_id        TEXT    NOT NULL,
        version         INTEGER NOT NULL,
        model           TEXT    NOT NULL,
        language        TEXT    NOT NULL,
        prompt_version  TEXT    NOT NULL,
        attempts        INTEGER NOT NULL,
        last_error      TEXT    NOT NULL,
        next_attempt_at TEXT    NOT NULL,
        PRIMARY KEY (arxiv_id, version, model, language, prompt_version)
    );
    CREATE TABLE llm_usage (
        day               TEXT    PRIMARY KEY,
        calls             INTEGER NOT NULL DEFAULT 0,
        prompt_tokens     INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE user_requests (
        platform TEXT    NOT NULL,
        user_id  TEXT    NOT NULL,
        day      TEXT    NOT NULL,
        count    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (platform, user_id, day)
    );
    """,
    # 4: daily delivery: when each subscription is next due, the announcement batches, and
    # the delivery ledger's retry time.
    """
    ALTER TABLE subscriptions ADD COLUMN next_due_at TEXT;
    CREATE INDEX subscriptions_due ON subscriptions (next_due_at)
        WHERE active = 1 AND paused = 0;
    CREATE TABLE batches (
        day        TEXT PRIMARY KEY,
        categories TEXT NOT NULL,
        papers     TEXT NOT NULL,
        fetched_at TEXT NOT NULL
    );
    ALTER TABLE deliveries ADD COLUMN retry_at TEXT;
    ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'daily';
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: private feeds: a per-chat nonce the token is derived from, and the token's hash.
    """
    ALTER TABLE subscriptions ADD COLUMN feed_nonce TEXT;
    ALTER TABLE subscriptions ADD COLUMN feed_token_hash TEXT;
    CREATE UNIQUE INDEX subscriptions_feed ON subscriptions (feed_token_hash);
    """,
    # ranking (#13): a chat's interests in words.
    """
    ALTER TABLE subscriptions ADD COLUMN interests TEXT NOT NULL DEFAULT '';
    """,
    # ranking (#13): embeddings of papers and interests, computed once per model.
    """
    CREATE TABLE embeddings (
        model      TEXT NOT NULL,
        key        TEXT NOT NULL,
        vector     BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (model, key)
    );
    """,
    # Follow authors (issue 14): the followed names of a subscription, a JSON list of their
    # text forms.
    """
    ALTER TABLE subscriptions ADD COLUMN authors TEXT NOT NULL DEFAULT '[]';
    """,
    # ranking (#13): 👍/👎 on papers, per chat, one per member and paper.
    """
    CREATE TABLE votes (
        platform   TEXT    NOT NULL,
        chat_id    TEXT    NOT NULL,
        arxiv_id   TEXT    NOT NULL,
        user_id    TEXT    NOT NULL,
        vote       INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        created_at TEXT    NOT NULL,
        PRIMARY KEY (platform, chat_id, arxiv_id, user_id)
    );
    """,
    # numint: each summary's number check (counts, and the unsupported numbers as JSON);
    # NULL for summaries stored before the check.
    """
    ALTER TABLE summaries ADD COLUMN numbers_found INTEGER;
    ALTER TABLE summaries ADD COLUMN numbers_supported INTEGER;
    ALTER TABLE summaries ADD COLUMN numbers_corrected INTEGER;
    ALTER TABLE summaries ADD COLUMN numbers_marked INTEGER;
    ALTER TABLE summaries ADD COLUMN numbers_unsupported TEXT;
    """,
    # hardening (#18): what a digest showed when its first message left, so a resumed one
    # is rendered the same (JSON: its papers in order, and those that carried a summary).
    """
    ALTER TABLE deliveries ADD COLUMN rendered TEXT;
    """,
    # On time (#17): digests sent before all their summaries were ready, completed in place
    # when the summaries land: what the digest showed, which papers still wait, and which
    # platform message carries which paper.
    """
    CREATE TABLE live_digests (
        platform   TEXT NOT NULL,
        chat_id    TEXT NOT NULL,
        ref        TEXT NOT NULL,
        language   TEXT NOT NULL,
        snapshot   TEXT NOT NULL,
        pending    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, ref)
    );
    CREATE TABLE live_messages (
        platform   TEXT    NOT NULL,
        chat_id    TEXT    NOT NULL,
        ref        TEXT    NOT NULL,
        idx        INTEGER NOT NULL,
        message_id TEXT    NOT NULL,
        papers     TEXT    NOT NULL,
        PRIMARY KEY (platform, chat_id, ref, idx)
    );
    """,
    # hardening (#18): keywords, excluded keywords, followed authors and interests saved
    # before typed text was checked lose their bidi controls and other hidden characters
    # (DATA_STEPS; no change of the schema).
    "",
    # scale (#16): several instances on one database. A ledger row is claimed by one
    # instance with a lease (renewed by its progress and heartbeat; a dead instance's rows
    # are claimable once it runs out), and each instance's heartbeat says who runs and who
    # leads.
    """
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    CREATE INDEX deliveries_by_claim ON deliveries (claimed_by) WHERE claimed_by IS NOT NULL;
    CREATE TABLE instances (
        id         TEXT    PRIMARY KEY,
        host       TEXT    NOT NULL,
        pid        INTEGER NOT NULL,
        started_at TEXT    NOT NULL,
        last_seen  TEXT    NOT NULL,
        leader     INTEGER NOT NULL DEFAULT 0
    );
    """,
    # scale (#16): a summary is made once across instances: the one making it holds a claim
    # (with a lease, renewed by its heartbeat) that the others wait on.
    """
    CREATE TABLE summary_claims (
        arxiv_id       TEXT    NOT NULL,
        version        INTEGER NOT NULL,
        model          TEXT    NOT NULL,
        language       TEXT    NOT NULL,
        prompt_version TEXT    NOT NULL,
        claimed_by     TEXT    NOT NULL,
        lease_until    TEXT    NOT NULL,
        PRIMARY KEY (arxiv_id, version, model, language, prompt_version)
    );
    """,
    # scale (#16): the platforms' rate limits shared by the instances (PostgreSQL only):
    # per limit, when its next send may leave (one per period), or its latest sends (several
    # per period), and a pause a platform asked for. Wall-clock seconds since the epoch.
    """
    CREATE TABLE rate_limits (
        name         TEXT PRIMARY KEY,
        next_at      REAL NOT NULL,
        paused_until REAL NOT NULL DEFAULT 0,
        recent       TEXT NOT NULL DEFAULT '[]'
    );
    """,
    # hardening (#18): typed text refuses more invisible characters (soft hyphens, Hangul
    # fillers, deprecated format controls...) and joiners that join nothing; settings saved
    # before lose them (DATA_STEPS; no change of the schema).
    "",
)

SCHEMA_VERSION = len(MIGRATIONS)

DataStep = Callable[[Transaction], Awaitable[None]]
DATA_STEPS: dict[int, DataStep] = {
    12: clean_subscription_text,
    16: clean_subscription_text,
}
"""Rows an entry of ``MIGRATIONS`` (by index) rewrites after its SQL, in its transaction."""

POSTGRES_OVERRIDES: dict[int, str] = {}
"""PostgreSQL's text for an entry of ``MIGRATIONS`` (by index) that the type mapping alone
does not make valid PostgreSQL (``AUTOINCREMENT``, SQLite functions in defaults...)."""


def refuse_newer(version: int, where: str) -> None:
    """A database from a newer release may hold what this one would misread or destroy."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database is at schema version {version}, but this arxiv-bot only knows "
            f"versions up to {SCHEMA_VERSION}: it was written by a newer release. Upgrade "
            f"arxiv-bot, or point DATABASE_URL at another {where}."
        )
