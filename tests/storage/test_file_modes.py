"""What the bot creates next to its database is owner-only: the database holds chat IDs and
feed nonces, the key file the feed secret, the lock file a process ID."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.feeds.tokens import load_or_create_secret
from storage import SqliteStore
from storage.instance_lock import InstanceLock


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def everyone_may_read() -> Iterator[None]:
    """The common umask (022), under which an ordinary file is readable by everyone."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.usefixtures("everyone_may_read")
async def test_the_database_its_folder_wal_lock_and_key_are_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "data"
    database = folder / "bot.db"
    with InstanceLock(str(database)) as lock:
        store = await SqliteStore.open(database)
        try:
            await store.set_meta("key", "value")  # the -wal and -shm files exist now
            assert len(load_or_create_secret(folder / "feed-secret")) == 32
            created = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), lock.path]
            modes = {p.name: oct(mode(p)) for p in [*created, folder / "feed-secret"]}
        finally:
            await store.close()
    assert modes == {name: oct(0o600) for name in modes}
    assert oct(mode(folder)) == oct(0o700)
    assert oct(mode(folder.parent)) == oct(0o700), "a parent the bot created too"


@pytest.mark.usefixtures("everyone_may_read")
async def test_an_existing_folder_and_database_keep_the_operators_modes(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o750)
    database = folder / "bot.db"
    store = await SqliteStore.open(database)
    await store.close()
    database.chmod(0o640)  # the operator's choice, say for a backup user's group
    store = await SqliteStore.open(database)
    await store.close()
    assert oct(mode(folder)) == oct(0o750)
    assert oct(mode(database)) == oct(0o640)
