"""One ``arxiv-bot run`` per SQLite database: a second one would send every digest twice.

An exclusive ``flock`` on a file next to the database, held for the life of the process; the
kernel releases it however the process ends (even SIGKILL), so a crash never leaves a stale
lock behind. The lock file is named after the database's real path (symbolic links and ``..``
resolved), so the same file reached by another path is still the same instance.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.model.store import StoreError
from storage.files import FILE_MODE, make_private_folder


class InstanceLock:
    def __init__(self, database_path: str) -> None:
        self.path = Path(f"{os.path.realpath(database_path)}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            make_private_folder(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as exc:
            raise StoreError(
                f"cannot create the lock file {self.path} ({exc.strerror}): let the user "
                "running the bot write to the database's folder"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreError(
                f"another arxiv-bot run (pid {holder}) is already using this database; "
                "two would send every digest twice. Stop it first, or use another "
                "DATABASE_URL."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

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
