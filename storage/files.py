"""Files the bot creates next to its database are owner-only: the database holds chat IDs and
feed nonces, the lock file a process ID. SQLite gives its ``-wal`` and ``-shm`` files the mode
of the database file, so creating that one owner-only covers them too."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents owner-only (``mkdir(parents=True)`` gives
    the parents the umask's mode); a folder that exists is left as the operator made it."""
    if folder.is_dir():
        return
    make_private_folder(folder.parent)
    folder.mkdir(mode=FOLDER_MODE, exist_ok=True)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only unless it exists (an empty file is a valid, empty
    SQLite database, so SQLite then keeps its mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
