"""What the store's queries need from a database engine, so one set of queries serves both.

The store's SQL (storage/sqlite.py) is written in the dialect SQLite and PostgreSQL share:
``?`` placeholders, ``INSERT ... ON CONFLICT (...) DO UPDATE / DO NOTHING``, no ``INSERT OR
REPLACE``. Each engine supplies a :class:`Transaction` and rows read by column name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Row(Protocol):
    """A result row: ``sqlite3.Row`` and ``asyncpg.Record`` both read columns by name and
    by position."""

    def __getitem__(self, key: str | int, /) -> Any: ...


class Transaction(Protocol):
    """The statements of one transaction; it commits when the store's ``_transaction`` block
    ends and rolls back when the block raises."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of ``sql`` (a query, or a statement with ``RETURNING``)."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


def numbered_placeholders(sql: str) -> str:
    """``?`` -> ``$1``, ``$2``... (PostgreSQL's form), leaving quoted text alone."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)
