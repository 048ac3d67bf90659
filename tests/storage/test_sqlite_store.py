"""The store contract, on both engines: storage/sqlite.py on a real SQLite file and
storage/postgres.py on the test PostgreSQL server (the ``engine`` fixture)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from storage import SqliteStore
from tests.conftest import make_paper
from tests.storage.conftest import CREATED, FULL, Engine, subscription

# --- subscriptions ------------------------------------------------------------------------


async def test_a_subscription_round_trips_every_field(store: SqliteStore) -> None:
    await store.save_subscription(FULL)

    assert await store.get_subscription("telegram", "42") == FULL


async def test_defaults_round_trip(store: SqliteStore) -> None:
    fresh = subscription(
        "7",
        chat_kind="private",
        categories=(),
        keywords=(),
        exclude=(),
        include_cross=False,
        paused=False,
        active=True,
        inactive_reason=None,
        frequency="daily",
        weekday=0,
    )
    await store.save_subscription(fresh)

    got = await store.get_subscription("telegram", "7")
    assert got == fresh
    assert got is not None
    assert got.categories == ()
    assert got.inactive_reason is None


async def test_keywords_are_stored_as_readable_utf8(store: SqliteStore, engine: Engine) -> None:
    await store.save_subscription(FULL)

    [(keywords,)] = await engine.raw("SELECT keywords FROM subscriptions")
    assert "深度学习" in keywords
    assert "🚀" in keywords


async def test_unknown_chat_is_none(store: SqliteStore) -> None:
    await store.save_subscription(FULL)

    assert await store.get_subscription("telegram", "43") is None
    assert await store.get_subscription("discord", "42") is None


async def test_saving_again_updates_but_keeps_who_and_when_it_was_set_up(
    store: SqliteStore,
) -> None:
    await store.save_subscription(FULL)
    later = FULL.updated_at + timedelta(days=3)
    changed = replace(
        FULL,
        created_by="someone-else",
        created_at=later,
        updated_at=later,
        categories=("math.OC",),
        keywords=("convex",),
        paused=False,
        active=True,
        inactive_reason=None,
        frequency="daily",
        timezone="Europe/Berlin",
    )
    await store.save_subscription(changed)

    got = await store.get_subscription("telegram", "42")
    assert got == replace(changed, created_by=FULL.created_by, created_at=CREATED)
    assert len(await store.list_subscriptions()) == 1


async def test_same_chat_id_on_two_platforms_are_two_subscriptions(store: SqliteStore) -> None:
    await store.save_subscription(subscription("42", keywords=("telegram one",)))
    await store.save_subscription(
        subscription("42", platform="discord", keywords=("discord one",))
    )

    tg = await store.get_subscription("telegram", "42")
    dc = await store.get_subscription("discord", "42")
    assert tg is not None
    assert tg.keywords == ("telegram one",)
    assert dc is not None
    assert dc.keywords == ("discord one",)


async def test_delete(store: SqliteStore) -> None:
    await store.save_subscription(subscription("1"))
    await store.save_subscription(subscription("2"))

    assert await store.delete_subscription("telegram", "1") is True
    assert await store.delete_subscription("telegram", "1") is False
    assert await store.get_subscription("telegram", "1") is None
    assert [s.chat_id for s in await store.list_subscriptions()] == ["2"]


async def test_list_and_the_delivering_only_filter(store: SqliteStore) -> None:
    delivering = subscription("a-delivering", paused=False, active=True, inactive_reason=None)
    paused = subscription("b-paused", paused=True, active=True, inactive_reason=None)
    stopped = subscription("c-stopped", paused=False, active=False)
    no_categories = subscription(
        "d-empty", paused=False, active=True, inactive_reason=None, categories=()
    )
    other_platform = subscription(
        "0-first", platform="discord", paused=False, active=True, inactive_reason=None
    )
    for s in (stopped, no_categories, delivering, other_platform, paused):
        await store.save_subscription(s)

    everything = await store.list_subscriptions()
    assert [(s.platform, s.chat_id) for s in everything] == [
        ("discord", "0-first"),
        ("telegram", "a-delivering"),
        ("telegram", "b-paused"),
        ("telegram", "c-stopped"),
        ("telegram", "d-empty"),
    ]
    assert await store.list_subscriptions(delivering_only=True) == [other_platform, delivering]
    assert all(s.delivers for s in await store.list_subscriptions(delivering_only=True))


# --- papers -------------------------------------------------------------------------------

V1 = replace(
    make_paper("2611.01234", "Learning to learn: 深度学习 🚀", "First abstract."),
    authors=("Ada Lovelace", "Zhang Wei (张伟)"),
    categories=("cs.LG", "cs.AI"),
)
V2 = replace(
    V1,
    version=2,
    abstract="Revised abstract.",
    announce_type="replace",
    comment="12 pages",
    journal_ref="J. Mach. Learn. 1 (2026)",
    doi="10.1234/jml.2026.1",
)


async def test_papers_round_trip_and_the_latest_version_wins(store: SqliteStore) -> None:
    await store.save_papers([V1, V2, make_paper("2611.00002")])

    assert await store.get_paper("2611.01234") == V2
    assert await store.get_paper("2611.01234", 1) == V1
    assert await store.get_paper("2611.01234", 2) == V2
    assert await store.get_paper("2611.01234", 3) is None
    assert await store.get_paper("2611.99999") is None


async def test_a_later_version_does_not_erase_earlier_ones(store: SqliteStore) -> None:
    await store.save_papers([V1])
    await store.save_papers([V2])

    assert await store.get_paper("2611.01234", 1) == V1
    assert await store.get_paper("2611.01234") == V2


async def test_saving_a_paper_again_updates_it_and_keeps_known_extras(store: SqliteStore) -> None:
    await store.save_papers([V2])
    # The feed knows no comment; a second sighting must not erase what the API told us.
    from_feed = replace(V2, title="Corrected title", comment=None, journal_ref=None, doi=None)
    await store.save_papers([from_feed])

    got = await store.get_paper("2611.01234", 2)
    assert got == replace(V2, title="Corrected title")


async def test_old_style_ids(store: SqliteStore) -> None:
    strings = make_paper("hep-th/9901001", "Strings", categories=("hep-th",), version=3)
    await store.save_papers([strings])

    assert await store.get_paper("hep-th/9901001") == strings


async def test_saving_no_papers_is_fine(store: SqliteStore) -> None:
    await store.save_papers([])
    await store.save_papers(iter(()))

    assert await store.get_paper("2611.01234") is None


# --- failures, concurrency, durability ----------------------------------------------------


async def test_a_failing_batch_leaves_nothing_behind(store: SqliteStore, engine: Engine) -> None:
    good = [make_paper(f"2611.{n:05d}") for n in range(1, 4)]
    broken = replace(make_paper("2611.00004"), title=None)  # violates NOT NULL

    with pytest.raises(engine.integrity_error):
        await store.save_papers([*good, broken])

    for paper in good:
        assert await store.get_paper(paper.arxiv_id) is None
    # The store is still usable: the lock was released and no transaction is left open.
    await store.save_papers(good)
    assert await store.get_paper("2611.00003") == good[2]


async def test_a_rejected_subscription_changes_nothing(store: SqliteStore, engine: Engine) -> None:
    await store.save_subscription(FULL)

    with pytest.raises(engine.integrity_error):
        await store.save_subscription(replace(FULL, frequency="monthly", keywords=("x",)))
    with pytest.raises(engine.integrity_error):
        await store.save_subscription(subscription("new", chat_kind="forum"))

    assert await store.get_subscription("telegram", "42") == FULL
    assert await store.get_subscription("telegram", "new") is None
    await store.save_subscription(subscription("new"))
    assert await store.get_subscription("telegram", "new") == subscription("new")


async def test_concurrent_saves_all_land(store: SqliteStore) -> None:
    chats = [str(n) for n in range(50)]
    rounds = 5

    async def update(chat: str) -> None:
        for r in range(rounds):
            await store.save_subscription(
                subscription(chat, keywords=(f"chat {chat} round {r}",), max_papers=r + 1)
            )

    papers = [make_paper(f"2611.{n:05d}", f"Paper {n}") for n in range(1, 51)]
    await asyncio.gather(
        *(update(c) for c in chats),
        *(store.save_papers([p]) for p in papers),
        *(store.list_subscriptions() for _ in range(10)),
    )

    stored = {s.chat_id: s for s in await store.list_subscriptions()}
    assert sorted(stored) == sorted(chats)
    for chat in chats:
        assert stored[chat].keywords == (f"chat {chat} round {rounds - 1}",)
        assert stored[chat].max_papers == rounds
    for paper in papers:
        assert await store.get_paper(paper.arxiv_id) == paper


async def test_data_survives_close_and_reopen(engine: Engine) -> None:
    first = await engine.open()
    await first.save_subscription(FULL)
    await first.save_papers([V1, V2])
    await first.close()

    again = await engine.open()
    try:
        assert await again.get_subscription("telegram", "42") == FULL
        assert await again.get_paper("2611.01234", 1) == V1
        assert await again.get_paper("2611.01234") == V2
    finally:
        await again.close()


async def test_a_write_is_committed_when_the_call_returns(
    store: SqliteStore, engine: Engine
) -> None:
    """Another connection (another process, a crash and restart) sees it at once."""
    await store.save_subscription(FULL)
    await store.save_papers([V1])

    assert await engine.raw("SELECT chat_id FROM subscriptions") == [("42",)]
    assert await engine.raw("SELECT arxiv_id, version FROM papers") == [("2611.01234", 1)]


async def test_subscribed_categories_are_those_of_delivering_subscriptions(
    store: SqliteStore,
) -> None:
    live = (("a", ("cs.LG", "cs.AI")), ("b", ("cs.AI", "math")), ("c", ("cs.LG", "cs.AI")))
    for chat_id, categories in live:
        await store.save_subscription(
            subscription(chat_id, categories=categories, paused=False, active=True)
        )
    await store.save_subscription(subscription("p", categories=("hep-th",), paused=True))
    await store.save_subscription(
        subscription("s", categories=("q-bio.GN",), paused=False, active=False)
    )
    assert await store.subscribed_categories() == {"cs.LG", "cs.AI", "math"}


# --- usage ------------------------------------------------------------------------------------


async def test_model_usage_and_requests_add_up_within_a_day(store: SqliteStore) -> None:
    """Each call adds to the day's row (on PostgreSQL too, where the upsert must name the
    table's own column, not the incoming row's)."""
    day = CREATED.date()
    for prompt, completion in ((1000, 200), (500, 100), (1, 2)):
        await store.add_llm_usage(day, prompt, completion)
    for _ in range(3):
        await store.add_user_request("telegram", "user-7", day)

    usage = await store.llm_usage(day)
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (3, 1501, 302)
    assert await store.count_user_requests("telegram", "user-7", day) == 3
    assert (await store.llm_usage(day + timedelta(days=1))).calls == 0
