"""Schema versions: fresh databases, upgrades in place, refusing newer ones; opening options;
``DATABASE_URL`` parsing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.model.store import StoreError
from storage import SqliteStore, open_store, sqlite_path
from storage.migrations import MIGRATIONS, SCHEMA_VERSION


def user_version(path: Path) -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute("PRAGMA user_version").fetchone()[0])
    finally:
        raw.close()


def tables(path: Path) -> set[str]:
    raw = sqlite3.connect(path)
    try:
        rows = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        raw.close()
    return {name for (name,) in rows}


def columns(path: Path, table: str) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return [row[1] for row in raw.execute(f"PRAGMA table_info({table})").fetchall()]
    finally:
        raw.close()


def make_v1_database(path: Path) -> None:
    """A database exactly as the first release left it, with one subscription and one paper."""
    raw = sqlite3.connect(path)
    try:
        raw.executescript(MIGRATIONS[0])
        raw.execute("PRAGMA user_version = 1")
        raw.execute(
            """
            INSERT INTO subscriptions (platform, chat_id, chat_kind, created_by, categories,
                keywords, exclude, include_cross, max_papers, min_score, delivery_time,
                timezone, paused, active, inactive_reason, created_at, updated_at)
            VALUES ('telegram', '-1001', 'group', '99', '["cs.AI", "cs.LG"]',
                '["LLM", "深度学习"]', '["survey"]', 1, 12, 1.5, '07:15', 'Europe/Berlin',
                1, 0, 'kicked', '2025-01-02T03:04:05+00:00', '2025-02-03T04:05:06+00:00')
            """
        )
        raw.execute(
            """
            INSERT INTO papers (arxiv_id, version, title, abstract, authors, categories,
                announce_type, published, comment, journal_ref, doi, seen_at)
            VALUES ('2501.00001', 2, 'Old paper', 'Abstract.', '["Ada Lovelace"]',
                '["cs.LG"]', 'replace', '2025-01-01', '9 pages', NULL, NULL,
                '2025-01-02T00:00:00+00:00')
            """
        )
        raw.commit()
    finally:
        raw.close()


async def test_a_fresh_database_is_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    store = await SqliteStore.open(path)
    await store.close()

    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert user_version(path) == SCHEMA_VERSION
    assert {"subscriptions", "papers", "summaries", "deliveries"} <= tables(path)


async def test_opening_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bot.db"
    store = await SqliteStore.open(path)
    await store.close()

    assert path.is_file()


async def test_an_older_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    assert "frequency" not in columns(path, "subscriptions")
    assert user_version(path) == 1

    store = await SqliteStore.open(path)
    try:
        sub = await store.get_subscription("telegram", "-1001")
        paper = await store.get_paper("2501.00001")
    finally:
        await store.close()

    assert user_version(path) == SCHEMA_VERSION
    assert {"summaries", "deliveries"} <= tables(path)
    assert sub is not None
    # What the first release stored...
    assert sub.chat_kind == "group"
    assert sub.created_by == "99"
    assert sub.categories == ("cs.AI", "cs.LG")
    assert sub.keywords == ("LLM", "深度学习")
    assert sub.exclude == ("survey",)
    assert sub.include_cross is True
    assert (sub.max_papers, sub.min_score) == (12, 1.5)
    assert (sub.delivery_time, sub.timezone) == ("07:15", "Europe/Berlin")
    assert (sub.paused, sub.active, sub.inactive_reason) == (True, False, "kicked")
    assert sub.created_at.isoformat() == "2025-01-02T03:04:05+00:00"
    # ...and the new columns' defaults.
    assert (sub.frequency, sub.weekday, sub.language) == ("daily", 0, "en")
    assert sub.authors == ()
    assert paper is not None
    assert (paper.version, paper.title, paper.comment) == (2, "Old paper", "9 pages")


async def test_an_upgraded_database_takes_the_new_fields(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_v1_database(path)
    store = await SqliteStore.open(path)
    try:
        sub = await store.get_subscription("telegram", "-1001")
        assert sub is not None
        await store.save_subscription(
            sub.changed(
                frequency="weekly", weekday=6, language="de", authors=("Schölkopf, B.", "Li!")
            )
        )
    finally:
        await store.close()

    again = await SqliteStore.open(path)
    try:
        got = await again.get_subscription("telegram", "-1001")
    finally:
        await again.close()
    assert got is not None
    assert (got.frequency, got.weekday, got.language) == ("weekly", 6, "de")
    assert got.authors == ("Schölkopf, B.", "Li!")
    assert user_version(path) == SCHEMA_VERSION


async def test_a_failed_upgrade_is_rolled_back(tmp_path: Path) -> None:
    """Each step is atomic: a step that fails half-way leaves the previous version intact."""
    path = tmp_path / "odd.db"
    make_v1_database(path)
    raw = sqlite3.connect(path)
    try:  # a table the second migration is about to create: its CREATE TABLE fails
        raw.execute("CREATE TABLE deliveries (x INTEGER)")
        raw.commit()
    finally:
        raw.close()

    # One line for the operator (no traceback), with SQLite's reason kept as the cause.
    with pytest.raises(StoreError, match=f"the database {path} cannot be used .*deliveries") as e:
        await SqliteStore.open(path)
    assert isinstance(e.value.__cause__, sqlite3.OperationalError)

    assert user_version(path) == 1
    assert "frequency" not in columns(path, "subscriptions")  # the ALTERs were undone
    assert "summaries" not in tables(path)


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path)
    try:
        raw.execute("CREATE TABLE future (x INTEGER)")
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        raw.commit()
    finally:
        raw.close()

    with pytest.raises(StoreError, match="newer") as caught:
        await SqliteStore.open(path)

    message = str(caught.value)
    assert str(SCHEMA_VERSION + 1) in message
    assert "DATABASE_URL" in message
    assert user_version(path) == SCHEMA_VERSION + 1  # left alone
    assert tables(path) == {"future"}


async def test_wal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    store = await SqliteStore.open(path)
    try:
        raw = sqlite3.connect(path)
        try:
            (mode,) = raw.execute("PRAGMA journal_mode").fetchone()
        finally:
            raw.close()
    finally:
        await store.close()

    assert mode == "wal"


async def test_open_store_takes_a_database_url(tmp_path: Path) -> None:
    path = tmp_path / "url.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()

    assert user_version(path) == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/arxiv-bot.db", "data/arxiv-bot.db"),
        ("sqlite:///bot.db", "bot.db"),
        ("sqlite:////srv/bot/arxiv.db", "/srv/bot/arxiv.db"),
        ("data/bot.db", "data/bot.db"),
        ("/var/lib/bot.db", "/var/lib/bot.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_path(url: str, expected: str) -> None:
    assert sqlite_path(url) == expected


@pytest.mark.parametrize(
    "url", ["postgresql://bot:secret@localhost/arxiv", "mysql://localhost/arxiv"]
)
def test_other_databases_are_refused_with_a_clear_message(url: str) -> None:
    scheme = url.split("://", 1)[0]
    with pytest.raises(StoreError, match=f"'{scheme}' is not supported") as caught:
        sqlite_path(url)

    assert "sqlite:///" in str(caught.value)
    assert "secret" not in str(caught.value)
