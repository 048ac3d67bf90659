"""A database the bot cannot use (not a database, damaged, read-only) ends every entry point
of ``arxiv-bot`` with one clear line that names the file and says what to do: no traceback,
and ``run`` refuses to start rather than fail every round behind an "ok" /healthz."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path

import pytest

from storage import SqliteStore
from tests.environment import clean_environ
from tests.feeds.support import COMMAND, free_port

WAIT = 30.0
NOT_A_DATABASE = "it is not an SQLite database: point DATABASE_URL at the bot's database"
DAMAGED = "restore it from a backup (or move it away to start with an empty one)"


async def arxiv_bot(db_path: Path, *args: str, stdin: bytes = b"") -> tuple[int, str]:
    env = clean_environ(
        DATABASE_URL=f"sqlite:///{db_path}",
        OPENAI_API_KEY="sk-test",  # `digest` opens the database only to cache summaries
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",  # never reached
        ARXIV_FEED_URL="http://127.0.0.1:9/rss/{categories}",
        ARXIV_BOT_HTTP_PORT=str(free_port()),  # lets `run` start without a chat platform
    )
    proc = await asyncio.create_subprocess_exec(
        *COMMAND, *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(proc.communicate(stdin), WAIT)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode("utf-8", "replace")


def not_a_database(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text("these are someone's notes, not a database\n" * 200)


async def damaged(db_path: Path) -> None:
    """A real database of this bot whose schema page was overwritten."""
    store = await SqliteStore.open(db_path)
    await store.set_meta("some", "value")
    await store.close()
    with db_path.open("r+b") as fh:
        fh.seek(100)  # past the header: the page that lists the tables
        fh.write(b"\xff" * 3000)


ENTRY_POINTS = [
    ("chat",),
    ("summarize", "2611.00001"),
    ("digest", "--category", "cs.AI"),
    ("run",),
]


@pytest.mark.parametrize("command", ENTRY_POINTS, ids=lambda c: c[0])
async def test_a_file_that_is_not_a_database(tmp_path: Path, command: tuple[str, ...]) -> None:
    db_path = tmp_path / "data" / "bot.db"
    not_a_database(db_path)
    code, err = await arxiv_bot(db_path, *command, stdin=b"/settings\n")
    assert code == 2, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"arxiv-bot: the database {db_path} cannot be used (file is not a database): "
        f"{NOT_A_DATABASE}, or move this file away to start with an empty one"
    )


@pytest.mark.parametrize("command", ENTRY_POINTS, ids=lambda c: c[0])
async def test_a_damaged_database(tmp_path: Path, command: tuple[str, ...]) -> None:
    db_path = tmp_path / "data" / "bot.db"
    await damaged(db_path)
    code, err = await arxiv_bot(db_path, *command, stdin=b"/settings\n")
    assert code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"arxiv-bot: the database {db_path} "), err
    assert last.endswith(DAMAGED), err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
@pytest.mark.parametrize("command", [("chat",), ("run",)], ids=lambda c: c[0])
async def test_a_read_only_database(tmp_path: Path, command: tuple[str, ...]) -> None:
    db_path = tmp_path / "data" / "bot.db"
    store = await SqliteStore.open(db_path)
    await store.close()
    db_path.chmod(stat.S_IRUSR)
    try:
        code, err = await arxiv_bot(db_path, *command, stdin=b"/subscribe cs.AI\n")
    finally:
        db_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 2, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"arxiv-bot: the database {db_path} "), err
    assert "write" in last


async def test_the_store_check_finds_a_deleted_database(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.db"
    store = await SqliteStore.open(db_path)
    try:
        await store.check(thorough=True)
        os.unlink(db_path)
        with pytest.raises(Exception, match="was deleted or replaced while the bot ran"):
            await store.check()
    finally:
        await store.close()


async def test_the_store_check_finds_a_database_overwritten_in_place(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.db"
    store = await SqliteStore.open(db_path)
    try:
        await store.check(thorough=True)
        db_path.write_bytes(b"not a database any more")
        with pytest.raises(Exception, match="was truncated or overwritten while the bot ran"):
            await store.check()
    finally:
        await store.close()


async def test_the_store_check_leaves_sqlites_locks_alone(tmp_path: Path) -> None:
    """The check must not open the database file: closing any descriptor of it drops the
    POSIX locks SQLite holds, and a reader in another process (an operator's sqlite3) then
    takes itself for the last connection and deletes the -wal file this store still writes,
    losing every change since the last checkpoint."""
    db_path = tmp_path / "bot.db"
    store = await SqliteStore.open(db_path)
    try:
        await store.set_meta("kept", "yes")
        await store.check()
        reader = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT count(*) FROM meta').fetchall(); c.close()",
            str(db_path),
        )
        assert await reader.wait() == 0
        assert wal_of(db_path).exists(), "the reader deleted the -wal file under the store"
    finally:
        await store.close()


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")
