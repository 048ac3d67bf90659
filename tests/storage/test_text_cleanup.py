"""Settings saved before typed text was checked (keywords, excluded keywords, followed
authors, interests with bidi controls or zero-width spaces) are cleaned once when the store
opens, on both engines: written here with raw SQL into a database at the schema version
before the cleaning, as the earlier release left it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg

from bot.model.subscriptions import Subscription
from storage.migrations import DATA_STEPS, MIGRATIONS, SCHEMA_VERSION
from storage.postgres import postgres_migration
from storage.sql import numbered_placeholders
from storage.text_cleanup import clean_subscription_text
from tests.storage.conftest import Engine

CLEANINGS = sorted(i for i, step in DATA_STEPS.items() if step is clean_subscription_text)
BEFORE = CLEANINGS[0]
"""The schema version an earlier release left: every entry up to the first cleaning's."""

ZWJ_SCIENTIST = "\U0001f469\u200d\U0001f52c science"  # 👩‍🔬: the joiner makes one emoji
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # a word that needs its ZWNJ

DIRTY: dict[str, Any] = {
    "keywords": [
        "LL\u200bM",  # a zero-width space: looks like LLM, never matched it
        "llm",  # the same keyword once cleaned (in another case): dropped
        "\u202eevil",  # a right-to-left override: showed reversed in /settings
        "\u2066\u2069",  # nothing but an empty isolate: dropped
        "mixture\u200b  of\u00a0experts",
        ZWJ_SCIENTIST,
        PERSIAN,
        "graph\u00adneural",  # a soft hyphen: invisible, refused since the second cleaning
        "\u200dtransformer\u200c",  # joiners that join nothing
    ],
    "exclude": ["survey\ufeff", "Survey", "\u200f"],
    "authors": ["Yann\u200b LeCun", "Yann LeCun", "Li\u202c!", "Li", "\U000e0041"],
    "interests": "efficient\u200b inference\u202e of LLMs\x07,\u2028KV cache",
}
CLEAN: dict[str, Any] = {
    "keywords": [
        "LLM",
        "evil",
        "mixture of experts",
        ZWJ_SCIENTIST,
        PERSIAN,
        "graphneural",
        "transformer",
    ],
    "exclude": ["survey"],
    "authors": ["Yann LeCun", "Li!"],
    "interests": "efficient inference of LLMs, KV cache",
}
UNTOUCHED: dict[str, Any] = {
    "keywords": ["RL", "深度学习"],
    "exclude": [],
    "authors": ["Grace Hopper"],
    "interests": "",
}
UPDATED_AT = "2026-10-01T08:00:00+00:00"


async def at_version(engine: Engine, version: int) -> None:
    """The schema as a release at ``version`` left it, made the way that release did."""
    if engine.name == "sqlite":
        Path(engine.url).parent.mkdir(parents=True, exist_ok=True)
        raw = sqlite3.connect(engine.url)
        try:
            for index in range(version):
                raw.executescript(MIGRATIONS[index])
            raw.execute(f"PRAGMA user_version = {version}")
            raw.commit()
        finally:
            raw.close()
        return
    connection = await asyncpg.connect(engine.url)
    try:
        await connection.execute(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        for index in range(version):
            if sql := postgres_migration(index).strip():  # a data step's entry has no SQL
                await connection.execute(sql)
            await connection.execute("INSERT INTO schema_version VALUES ($1, 'then')", index + 1)
    finally:
        await connection.close()


async def write(engine: Engine, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if engine.name == "sqlite":
        raw = sqlite3.connect(engine.url)
        try:
            raw.executemany(sql, rows)
            raw.commit()
        finally:
            raw.close()
        return
    connection = await asyncpg.connect(engine.url)
    try:
        await connection.executemany(numbered_placeholders(sql), rows)
    finally:
        await connection.close()


async def write_subscriptions(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    """Subscription rows (see :func:`row`) as the earlier release wrote them."""
    await write(
        engine,
        "INSERT INTO subscriptions (platform, chat_id, chat_kind, created_by, categories, "
        "keywords, exclude, authors, interests, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


async def stored(engine: Engine, chat_id: str) -> Subscription | None:
    """The subscription as this release opens the database (migrating it)."""
    store = await engine.open()
    try:
        return await store.get_subscription("telegram", chat_id)
    finally:
        await store.close()


def row(chat_id: str, settings: dict[str, Any]) -> tuple[Any, ...]:
    return (
        "telegram",
        chat_id,
        "group",
        "7",
        '["cs.LG"]',
        *(json.dumps(settings[name], ensure_ascii=False) for name in ("keywords", "exclude")),
        json.dumps(settings["authors"], ensure_ascii=False),
        settings["interests"],
        "2026-01-01T00:00:00+00:00",
        UPDATED_AT,
    )


async def test_hidden_characters_saved_earlier_are_cleaned_once_at_open(engine: Engine) -> None:
    await at_version(engine, BEFORE)
    everything_hidden = {
        "keywords": ["\u200b", "\u202a\u202c"],
        "exclude": ["\u2060"],
        "authors": ["\ufeff"],
        "interests": "\u200b\u202e",
    }
    await write_subscriptions(
        engine,
        [row("-1", DIRTY), row("-2", UNTOUCHED), row("-3", everything_hidden)],
    )

    store = await engine.open()
    try:
        dirty = await store.get_subscription("telegram", "-1")
        untouched = await store.get_subscription("telegram", "-2")
        emptied = await store.get_subscription("telegram", "-3")
    finally:
        await store.close()

    assert dirty is not None
    assert untouched is not None
    assert emptied is not None
    assert list(dirty.keywords) == CLEAN["keywords"]
    assert list(dirty.exclude) == CLEAN["exclude"]
    assert list(dirty.authors) == CLEAN["authors"]
    assert dirty.interests == CLEAN["interests"]
    assert dirty.categories == ("cs.LG",), "nothing else changes"
    assert (emptied.keywords, emptied.exclude, emptied.authors, emptied.interests) == (
        (),
        (),
        (),
        "",
    )
    assert list(untouched.keywords) == UNTOUCHED["keywords"]
    assert list(untouched.authors) == UNTOUCHED["authors"]
    [(updated_at,)] = await engine.raw("SELECT updated_at FROM subscriptions WHERE chat_id = '-2'")
    assert updated_at == UPDATED_AT, "a clean row is not rewritten"
    if engine.name == "sqlite":
        [(version,)] = await engine.raw("PRAGMA user_version")
    else:
        [(version,)] = await engine.raw("SELECT max(version) FROM schema_version")
    assert version == SCHEMA_VERSION


async def test_what_the_rule_learnt_later_is_cleaned_from_a_database_cleaned_before(
    engine: Engine,
) -> None:
    await at_version(engine, CLEANINGS[-1])
    await write_subscriptions(
        engine,
        [row("-1", {**UNTOUCHED, "keywords": ["soft\u00adhyphen", "\u3164", PERSIAN]})],
    )
    sub = await stored(engine, "-1")
    assert sub is not None
    assert list(sub.keywords) == ["softhyphen", PERSIAN]


async def test_the_cleaning_runs_once(engine: Engine) -> None:
    """A database already past the cleaning keeps what it holds: the rule now refuses hidden
    characters when they are typed, so a row holding one came from elsewhere and is left as
    it is rather than rewritten at every start."""
    store = await engine.open()
    await store.close()
    await write_subscriptions(
        engine,
        [row("-1", DIRTY)],
    )
    sub = await stored(engine, "-1")
    assert sub is not None
    assert list(sub.keywords) == DIRTY["keywords"]
