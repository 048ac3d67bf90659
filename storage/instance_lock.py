"""One ``arxiv-bot run`` per SQLite database: a second one would send every digest twice.

An exclusive ``flock`` on the database file itself, held for the life of the process. A lock
follows the file, not the name it was reached by: symbolic links, ``..`` and hard links (two
names of one file, perhaps in different folders, which no path-based name can tell apart)
all lead to the same lock. The kernel releases it however the process ends (even SIGKILL),
so a crash never leaves a stale lock behind.

``flock`` locks and the ``fcntl`` locks SQLite itself takes on the file are independent on
local file systems (SQLite's WAL mode needs a local file system anyway). SQLite's own locks
are dropped when the process closes *any* descriptor of the file, so the lock is taken before
the store opens the database and released after it is closed (``arxiv-bot run`` does both).

Beside it, ``<real path>.lock`` holds the process id for the message a second instance
prints. It is locked as well, as earlier releases locked it (their only lock), so an instance
of an earlier release still running during an upgrade is refused too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from bot.model.store import StoreError
from storage.files import FILE_MODE, create_private_file, make_private_folder

PROC_LOCKS = Path("/proc/locks")


class InstanceLock:
    def __init__(self, database_path: str) -> None:
        self.database = Path(os.path.realpath(database_path))
        self.path = Path(f"{self.database}.lock")
        """The process id of the instance holding the lock (owner-only)."""
        self._fds: list[int] = []

    def acquire(self) -> None:
        try:
            make_private_folder(self.database.parent)
            # An empty file is an empty database to SQLite: created owner-only here, as the
            # store would, so that there is a file to lock before the store opens it.
            create_private_file(self.database)
            database = os.open(self.database, os.O_RDONLY)
        except OSError as exc:
            raise StoreError(
                f"cannot open the database {self.database} ({exc.strerror}): let the user "
                "running the bot read and write it and its folder"
            ) from exc
        self._take(database, lambda: self._holder(database))
        try:
            pid_file = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            self.release()
            raise StoreError(
                f"cannot create the lock file {self.path} ({exc.strerror}): let the user "
                "running the bot write to the database's folder"
            ) from exc
        self._take(pid_file, lambda: _pid_in(pid_file))
        os.ftruncate(pid_file, 0)
        os.write(pid_file, str(os.getpid()).encode())

    def _take(self, fd: int, holder: Callable[[], str | None]) -> None:
        """Lock ``fd`` (kept until :meth:`release`), or raise naming who holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            who = holder() or "another process"
            os.close(fd)
            self.release()
            raise StoreError(
                f"another arxiv-bot run (pid {who}) is already using this database; "
                "two would send every digest twice. Stop it first, or use another "
                "DATABASE_URL."
            ) from None
        self._fds.append(fd)

    def _holder(self, database: int) -> str | None:
        """Who holds the database's lock: the kernel's list of locks knows for certain;
        else the pid file of the path we came by, when it is locked (a pid in a file nobody
        holds is a stale one)."""
        found = _flock_holder(os.fstat(database))
        if found is not None:
            return found
        try:
            pid_file = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(pid_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held = _pid_in(pid_file)
            os.close(pid_file)
            return held
        os.close(pid_file)  # nobody holds it: what it says is stale
        return None

    def release(self) -> None:
        while self._fds:
            fd = self._fds.pop()
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _pid_in(fd: int) -> str | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode(errors="replace").strip()
    return text or None


def _flock_holder(identity: os.stat_result) -> str | None:
    """The process holding a ``flock`` on the file with this device and inode, from
    /proc/locks (Linux; None elsewhere, or when the holder is in another PID namespace)."""
    wanted = (os.major(identity.st_dev), os.minor(identity.st_dev), identity.st_ino)
    try:
        lines = PROC_LOCKS.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        # "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (waiters have "->" after the "1:")
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[3] != "WRITE":
            continue
        pid, where = fields[4], fields[5].split(":")
        try:
            found = (int(where[0], 16), int(where[1], 16), int(where[2]))
        except (IndexError, ValueError):
            continue
        if found == wanted and pid.isdigit() and int(pid) > 0:
            return pid
    return None
