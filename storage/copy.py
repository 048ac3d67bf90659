"""``arxiv-bot db copy``: move an installation from one database to another (SQLite to
PostgreSQL when it outgrows one file, or back), every table row for row.

Both stores are opened (and so migrated) by this release, so they have the same tables and
columns; the rows are read whole and written in one transaction, so the target ends with
everything or nothing. A target that holds anything is refused: a copy never merges or
overwrites. SQLite files take the single-instance lock, so no bot writes them meanwhile.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bot.model.store import StoreError
from storage import single_instance, sqlite_path
from storage.postgres import PostgresStore, display_url, is_postgres_url
from storage.sqlite import SQLITE_HEADER, SqliteStore

RUNTIME_TABLES = frozenset({"instances", "summary_claims", "rate_limits"})
"""What running instances keep about themselves (heartbeats, leases, pacing): it describes
the processes of the source, not the installation, and is not copied."""


class TargetNotEmpty(StoreError):
    """The target database already holds rows."""


def describe(database_url: str) -> str:
    """How messages name a database (never with its password)."""
    return display_url(database_url) if is_postgres_url(database_url) else database_url


def check_source(database_url: str) -> None:
    """A source that does not exist, or is no SQLite database, is a typo: refused before
    anything (the lock, the store, the target) is created."""
    if is_postgres_url(database_url):
        return
    path = sqlite_path(database_url)
    if not Path(path).is_file():
        raise StoreError(f"there is no database at {path}: check --from")
    with open(path, "rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise StoreError(f"{path} is not an SQLite database: check --from")


def same_database(source_url: str, target_url: str) -> bool:
    """The same URL, or one SQLite file reached by two paths (a symbolic link, ``..``)."""
    if source_url == target_url:
        return True
    if is_postgres_url(source_url) or is_postgres_url(target_url):
        return False
    source, target = Path(sqlite_path(source_url)), Path(sqlite_path(target_url))
    return source.exists() and target.exists() and source.samefile(target)


async def open_for_copy(database_url: str, *, must_exist: bool) -> SqliteStore:
    if is_postgres_url(database_url):
        return await PostgresStore.open(database_url)
    if must_exist:
        check_source(database_url)
    return await SqliteStore.open(sqlite_path(database_url))


async def copy_database(source_url: str, target_url: str) -> dict[str, int]:
    """Copy every row; the number of rows per table."""
    if same_database(source_url, target_url):
        raise StoreError("--from and --to name the same database")
    check_source(source_url)
    made = _new_sqlite_files(target_url)
    try:
        with ExitStack() as locks:
            for url in (source_url, target_url):
                locks.enter_context(single_instance(url))
            source = await open_for_copy(source_url, must_exist=True)
            try:
                target = await open_for_copy(target_url, must_exist=False)
                try:
                    return await _copy(source, target, target_url)
                finally:
                    await target.close()
            finally:
                await source.close()
    except BaseException:
        for path in made:  # a failed copy leaves no empty target behind
            path.unlink(missing_ok=True)
        raise


def _new_sqlite_files(database_url: str) -> list[Path]:
    """The files an SQLite target gets when it does not exist yet (none for PostgreSQL, or
    for a file that exists: never removed)."""
    if is_postgres_url(database_url):
        return []
    path = Path(sqlite_path(database_url))
    if path.exists():
        return []
    return [path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", ".lock"))]


async def _copy(source: SqliteStore, target: SqliteStore, target_url: str) -> dict[str, int]:
    held = {
        table: len(await target.table_rows(table, columns[:1]))
        for table, columns in (await target.table_columns()).items()
        if table not in RUNTIME_TABLES
    }
    if any(held.values()):
        rows = ", ".join(f"{n} in {table}" for table, n in held.items() if n)
        raise TargetNotEmpty(
            f"the target {describe(target_url)} is not empty ({rows}): a copy never merges or "
            "overwrites. Copy into a new, empty database (or empty this one first)."
        )
    target_tables = await target.table_columns()
    data: list[tuple[str, list[str], list[tuple[Any, ...]]]] = []
    for table, columns in (await source.table_columns()).items():
        if table in RUNTIME_TABLES:
            continue
        if table not in target_tables:
            raise StoreError(f"the target has no table {table}: is it this release's schema?")
        data.append((table, columns, await source.table_rows(table, columns)))
    await target.insert_tables(data)
    return {table: len(rows) for table, _, rows in data}
