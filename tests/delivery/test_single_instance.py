"""One ``arxiv-bot run`` per SQLite database: a second one would send every digest twice."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from bot.model.store import StoreError
from storage.instance_lock import InstanceLock
from tests.delivery.processes import BotProcess, bot_env
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.fakes.fake_telegram import FakeTelegramThread

WAIT = 20.0


def test_a_second_lock_on_the_same_database_raises(tmp_path: Path) -> None:
    database = str(tmp_path / "data" / "bot.db")
    with InstanceLock(database):
        second = InstanceLock(database)
        with pytest.raises(StoreError) as refused:
            second.acquire()
        assert f"pid {os.getpid()}" in str(refused.value)
        assert "already using this database" in str(refused.value)
        # Another database is another instance.
        with InstanceLock(str(tmp_path / "other.db")):
            pass
    # Released with the first: the database can be used again.
    with InstanceLock(database):
        pass


async def test_a_second_arxiv_bot_run_refuses_to_start(tmp_path: Path) -> None:
    with FakeTelegramThread() as tg, FakeArxivThread() as arxiv:
        env = bot_env(tmp_path / "data" / "bot.db", tg, arxiv)
        first = await BotProcess(env, tmp_path / "first.log").start()
        second = BotProcess(env, tmp_path / "second.log")
        try:
            # Polling has started: the first run holds the database.
            async with asyncio.timeout(WAIT):
                await tg.wait_for_call("getUpdates")
            await second.start()
            code = await second.wait(WAIT)
            assert code == 2, second.log()
            assert f"another arxiv-bot run (pid {first.pid}) is already using this database" in (
                second.log()
            )
            assert "Traceback" not in second.log()
            # The second never reached Telegram: one getMe, the first's.
            assert len(tg.calls_of("getMe")) == 1
            assert first.proc is not None
            assert first.proc.returncode is None
            assert await first.stop() == 0, first.log()
        finally:
            await first.ensure_stopped()
            await second.ensure_stopped()


def another_path(tmp_path: Path, database: Path, how: str) -> str:
    """The same database file, reached another way (it must exist for a hard link)."""
    if how == "hard link":
        # In another folder: no name derived from either path can meet the other's.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        os.link(database, elsewhere / "copy.db")
        return str(elsewhere / "copy.db")
    if how == "symlinked folder":
        link = tmp_path / "link"
        link.symlink_to(database.parent, target_is_directory=True)
        return str(link / database.name)
    if how == "symlinked file":
        link = tmp_path / "bot-link.db"
        link.symlink_to(database)
        return str(link)
    assert how == "dot-dot"
    return str(database.parent / ".." / database.parent.name / database.name)


@pytest.mark.parametrize("how", ["symlinked folder", "symlinked file", "dot-dot", "hard link"])
def test_the_same_database_by_another_path_is_locked_too(tmp_path: Path, how: str) -> None:
    database = tmp_path / "data" / "bot.db"
    database.parent.mkdir()
    database.touch()
    other = another_path(tmp_path, database, how)
    with InstanceLock(str(database)):
        with pytest.raises(StoreError, match="already using this database") as refused:
            InstanceLock(other).acquire()
        assert f"pid {os.getpid()}" in str(refused.value)
    # Released with the first, the other name may be used, and then holds the lock itself.
    with InstanceLock(other), pytest.raises(StoreError, match="already using this database"):
        InstanceLock(str(database)).acquire()


def test_a_database_that_is_only_alike_is_another_instance(tmp_path: Path) -> None:
    """A copy has the same name and bytes but is another file: another instance."""
    database = tmp_path / "data" / "bot.db"
    with InstanceLock(str(database)):
        copy = tmp_path / "copy" / "bot.db"
        copy.parent.mkdir()
        copy.write_bytes(database.read_bytes())
        with InstanceLock(str(copy)):
            pass


def test_the_database_and_its_lock_file_are_owner_only_and_the_lock_names_its_holder(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "bot.db"
    with InstanceLock(str(database)) as lock:
        assert lock.path.read_text() == str(os.getpid())
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600


@pytest.mark.parametrize("how", ["symlinked file", "hard link"])
async def test_a_second_run_through_another_name_refuses_to_start(
    tmp_path: Path, how: str
) -> None:
    """The other name sits in another folder: a lock named after the path would be another
    file there. A hard link is the same file under a name no path resolution leads back
    from; two runs on it would also write two WAL files beside one database."""
    database = tmp_path / "data" / "bot.db"
    with FakeTelegramThread() as tg, FakeArxivThread() as arxiv:
        first = await BotProcess(bot_env(database, tg, arxiv), tmp_path / "first.log").start()
        second = BotProcess({}, tmp_path / "second.log")
        try:
            async with asyncio.timeout(WAIT):
                await tg.wait_for_call("getUpdates")
            second.env = bot_env(Path(another_path(tmp_path, database, how)), tg, arxiv)
            await second.start()
            assert await second.wait(WAIT) == 2, second.log()
            assert f"another arxiv-bot run (pid {first.pid})" in second.log()
            assert "Traceback" not in second.log()
            assert len(tg.calls_of("getMe")) == 1
            assert await first.stop() == 0, first.log()
        finally:
            await first.ensure_stopped()
            await second.ensure_stopped()
