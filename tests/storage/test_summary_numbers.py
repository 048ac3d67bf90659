"""A summary's number check is stored with it, and the checks add up for /status and
/metrics; summaries stored before the check read back as unchecked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.model.summaries import NumberCheck, NumberTotals, Summary, SummaryKey, UnsupportedNumber
from storage import SqliteStore
from tests.storage.conftest import CREATED


def summary(n: int, numbers: NumberCheck | None) -> Summary:
    return Summary(
        key=SummaryKey(f"2611.{n:05d}", 1, "fake-model", "en", "p1"),
        source="html",
        tldr="A result.",
        body="- 3.5x faster (⚠ not found in the paper)",
        prompt_tokens=10,
        completion_tokens=5,
        created_at=CREATED,
        numbers=numbers,
    )


CHECKED = NumberCheck(
    found=4,
    supported=3,
    corrected=2,
    marked=1,
    unsupported=(UnsupportedNumber("3.5x", 3.5, "multiplier"),),
)


async def test_the_number_check_round_trips(store: SqliteStore) -> None:
    await store.save_summary(summary(1, CHECKED))
    got = await store.get_summary(summary(1, CHECKED).key)
    assert got is not None
    assert got.numbers == CHECKED


async def test_totals_add_up_every_checked_summary(store: SqliteStore) -> None:
    assert await store.number_totals() == NumberTotals()
    await store.save_summary(summary(1, CHECKED))
    await store.save_summary(summary(2, NumberCheck(found=2, supported=2)))
    await store.save_summary(summary(3, None))
    assert await store.number_totals() == NumberTotals(found=6, supported=5, corrected=2, marked=1)


async def test_a_summary_stored_before_the_check_reads_as_unchecked(
    store: SqliteStore, db_path: Path, engine_name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("writes the row as an older release did, with sqlite3 on the file")
    with sqlite3.connect(db_path) as db:  # as the release before the check wrote it
        db.execute(
            "INSERT INTO summaries (arxiv_id, version, model, language, prompt_version, source, "
            "text, prompt_tokens, completion_tokens, created_at) VALUES "
            "('2611.00009', 1, 'fake-model', 'en', 'p1', 'html', "
            """'{"tldr": "Old.", "body": ""}', 1, 1, ?)""",
            (CREATED.isoformat(),),
        )
    got = await store.get_summary(SummaryKey("2611.00009", 1, "fake-model", "en", "p1"))
    assert got is not None
    assert got.tldr == "Old."
    assert got.numbers is None
    assert await store.number_totals() == NumberTotals()
