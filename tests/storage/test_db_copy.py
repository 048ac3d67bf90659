"""``arxiv-bot db copy``: an installation moves between engines whole (every table, row for
row, and back again unchanged), and a target that holds anything is never written."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from bot.model.summaries import Summary, SummaryKey
from storage import PostgresStore, SqliteStore
from tests.conftest import make_paper
from tests.storage.conftest import FULL, Engine, subscription

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
KEY = SummaryKey("2611.00001", 1, "gpt-4o-mini", "zh", "v3")
SUMMARY = Summary(KEY, "html", "TL;DR 深度学习", "## Method\n- it works", 1200, 300, NOW)


async def populate(store: SqliteStore) -> None:
    """A row in every table the bot writes."""
    await store.save_subscription(FULL)
    await store.save_subscription(subscription("7", paused=False, active=True))
    await store.set_feed_token("telegram", "42", "nonce-1", "hash-1")
    papers = [make_paper("2611.00001", "Attention 🚀"), make_paper("2611.00002")]
    await store.save_batch(DAY, ["cs.LG", "cs.AI"], papers, NOW)
    await store.save_summary(SUMMARY)
    await store.record_summary_failure(
        SummaryKey("2611.00002", 1, "gpt-4o-mini", "en", "v3"), "timeout", NOW, timedelta(1)
    )
    seven = await store.get_subscription("telegram", "7")
    assert seven is not None
    await store.schedule_delivery(seven, DAY, "daily", NOW + timedelta(days=1))
    await store.add_llm_usage(DAY, 1200, 300)
    await store.add_user_request("telegram", "user-7", DAY)
    await store.set_meta("last_fetch", NOW.isoformat())


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def linked(path: Path, link: Path) -> Path:
    link.symlink_to(path)
    return link


async def copy(source: str, target: str) -> int:
    """The command line as an operator runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(main, ["db", "copy", "--from", source, "--to", target])


def url_of(engine: Engine) -> str:
    return engine.url if engine.name == "postgresql" else f"sqlite:///{engine.url}"


async def everything(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    store = await engine.open()
    try:
        tables = await store.table_columns()
        return {t: sorted(await store.table_rows(t, c), key=repr) for t, c in tables.items()}
    finally:
        await store.close()


@pytest.fixture
async def source(tmp_path: Path) -> Engine:
    path = tmp_path / "old" / "bot.db"
    store = await SqliteStore.open(path)
    try:
        await populate(store)
    finally:
        await store.close()
    return Engine("sqlite", str(path), Exception)


async def test_an_installation_moves_whole_and_comes_back_unchanged(
    source: Engine, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite -> the engine under test -> a new SQLite file: every row of every table."""
    assert await copy(url_of(source), url_of(engine)) == 0
    printed = capsys.readouterr().out
    back = Engine("sqlite", str(tmp_path / "back" / "bot.db"), Exception)
    assert await copy(url_of(engine), url_of(back)) == 0

    original = await everything(source)
    # Tables this installation never used (a feature's, say) are copied empty.
    assert {table: len(rows) for table, rows in original.items() if rows} == {
        "batches": 1,
        "deliveries": 1,
        "llm_usage": 1,
        "meta": 1,
        "papers": 2,
        "subscriptions": 2,
        "summaries": 1,
        "summary_failures": 1,
        "user_requests": 1,
    }
    assert await everything(engine) == original
    assert await everything(back) == original
    assert "copied 11 rows" in printed
    assert "  subscriptions: 2" in printed


async def test_the_copy_is_the_same_installation_to_the_bot(
    source: Engine, engine: Engine
) -> None:
    assert await copy(url_of(source), url_of(engine)) == 0

    store = await engine.open()
    try:
        assert await store.get_subscription("telegram", "42") == FULL
        assert await store.subscription_by_feed("hash-1") == FULL
        assert await store.get_summary(KEY) == SUMMARY
        batch = await store.latest_batch()
        assert batch is not None
        assert [p.title for p in await store.batch_papers(batch)] == ["Attention 🚀", "A paper"]
        [due] = await store.pending_deliveries(NOW + timedelta(hours=1))
        assert (due.chat_id, due.day, due.state) == ("7", DAY, "due")
        assert (await store.llm_usage(DAY)).tokens == 1500
        assert await store.count_user_requests("telegram", "user-7", DAY) == 1
        assert await store.get_meta("last_fetch") == NOW.isoformat()
    finally:
        await store.close()


async def test_a_target_that_holds_anything_is_refused_and_left_alone(
    source: Engine, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await engine.open()
    try:
        await store.set_meta("installed", "yes")
    finally:
        await store.close()

    assert await copy(url_of(source), url_of(engine)) == 2

    error = capsys.readouterr().err
    assert "is not empty (1 in meta)" in error
    assert "never merges or overwrites" in error
    assert await everything(engine) == {
        table: ([("installed", "yes")] if table == "meta" else [])
        for table in await table_names(engine)
    }


async def table_names(engine: Engine) -> list[str]:
    store = await engine.open()
    try:
        return list(await store.table_columns())
    finally:
        await store.close()


async def test_a_missing_source_is_refused_and_creates_nothing(
    tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.db"

    assert await copy(f"sqlite:///{missing}", url_of(engine)) == 2

    assert "there is no database at" in capsys.readouterr().err
    assert not missing.exists()


async def test_a_source_that_is_no_database_is_refused_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.toml"
    notes.write_text("categories = ['cs.LG']\n")
    target = tmp_path / "new" / "bot.db"

    assert await copy(f"sqlite:///{notes}", f"sqlite:///{target}") == 2

    assert f"{notes} is not an SQLite database" in capsys.readouterr().err
    assert listing(tmp_path) == ["notes.toml"]


async def test_one_file_by_two_paths_is_the_same_database(
    source: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(source.url)
    link = linked(path, path.parent / "link.db")
    before = listing(path.parent)

    for other in (link, path.parent / ".." / path.parent.name / path.name):
        assert await copy(url_of(source), f"sqlite:///{other}") == 2
        assert "--from and --to name the same database" in capsys.readouterr().err
    assert listing(path.parent) == before


async def test_a_failed_copy_leaves_no_new_target_behind(
    source: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The copy fails after the target's lock was taken (the source is from a newer release,
    which only opening it tells): nothing of the new target is left."""
    target = tmp_path / "new" / "bot.db"
    source_url = url_of(source)
    with sqlite3.connect(source.url) as raw:
        raw.execute("PRAGMA user_version = 999")

    assert await copy(source_url, f"sqlite:///{target}") == 2

    assert "schema version 999" in capsys.readouterr().err
    assert listing(target.parent) == []


@pytest.mark.postgres
async def test_the_password_is_never_shown(
    source: Engine, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with_password = postgres_url.replace("://postgres@", "://postgres:Copy-S3cret@", 1)
    assert "Copy-S3cret" in with_password  # trust authentication ignores it

    assert await copy(url_of(source), with_password) == 0
    assert await copy(url_of(source), with_password) == 2

    shown = capsys.readouterr()
    assert "Copy-S3cret" not in shown.out + shown.err
    assert "postgresql://postgres@" in shown.out
    store = await PostgresStore.open(postgres_url)
    await store.close()
