"""The store contract for digests completed in place (issue 17), on both engines: what a
digest showed, which message carries which paper, and what it still waits for."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.model.store import LiveDigest, LiveMessage
from storage import SqliteStore
from tests.storage.conftest import CREATED

LIVE = LiveDigest(
    platform="telegram",
    chat_id="-100123",
    ref="2026-11-20:daily",
    language="zh",
    snapshot='{"papers": ["2611.00001v1"], "heading": "arXiv digest · 长"}',
    pending=("2611.00001v1", "2611.00002v2"),
    created_at=CREATED,
)


async def test_a_live_digest_round_trips_with_its_messages_in_order(store: SqliteStore) -> None:
    await store.save_live_digest(LIVE)
    key = (LIVE.platform, LIVE.chat_id, LIVE.ref)
    await store.add_live_message(*key, LiveMessage(1, "502", ("2611.00002v2",)))
    await store.add_live_message(*key, LiveMessage(0, "501", ("2611.00001v1",)))
    (found,) = await store.live_digests()
    assert found == replace(
        LIVE,
        messages=(
            LiveMessage(0, "501", ("2611.00001v1",)),
            LiveMessage(1, "502", ("2611.00002v2",)),
        ),
    )


async def test_a_message_recorded_again_replaces_its_id(store: SqliteStore) -> None:
    """A resumed digest re-sends from its first unsent message: the new id wins."""
    await store.save_live_digest(LIVE)
    key = (LIVE.platform, LIVE.chat_id, LIVE.ref)
    await store.add_live_message(*key, LiveMessage(0, "501", ("2611.00001v1",)))
    await store.add_live_message(*key, LiveMessage(0, "601", ("2611.00001v1",)))
    (found,) = await store.live_digests()
    assert found.messages == (LiveMessage(0, "601", ("2611.00001v1",)),)


async def test_saving_again_replaces_the_snapshot_and_forgets_the_old_messages(
    store: SqliteStore,
) -> None:
    await store.save_live_digest(LIVE)
    key = (LIVE.platform, LIVE.chat_id, LIVE.ref)
    await store.add_live_message(*key, LiveMessage(0, "501", ("2611.00001v1",)))
    later = replace(LIVE, snapshot="{}", pending=("2611.00002v2",))
    await store.save_live_digest(later)
    assert await store.live_digests() == [later]


async def test_pending_shrinks_then_the_digest_is_forgotten(store: SqliteStore) -> None:
    other = replace(LIVE, ref="digest:2", created_at=CREATED + timedelta(minutes=1))
    await store.save_live_digest(other)
    await store.save_live_digest(LIVE)
    key = (LIVE.platform, LIVE.chat_id, LIVE.ref)
    await store.add_live_message(*key, LiveMessage(0, "501", ("2611.00001v1",)))
    await store.set_live_pending(*key, ("2611.00002v2",))
    assert [(d.ref, d.pending) for d in await store.live_digests()] == [
        (LIVE.ref, ("2611.00002v2",)),
        (other.ref, other.pending),
    ]  # oldest first
    await store.set_live_pending(*key, ())
    assert [d.ref for d in await store.live_digests()] == [other.ref]
    assert await store.live_digests(limit=0) == []


async def test_one_live_digest_is_found_by_its_key(store: SqliteStore) -> None:
    """What a resumed digest reads: its own row and messages, not every live digest."""
    other = replace(LIVE, chat_id="42")
    await store.save_live_digest(LIVE)
    await store.save_live_digest(other)
    key = (LIVE.platform, LIVE.chat_id, LIVE.ref)
    await store.add_live_message(*key, LiveMessage(0, "501", ("2611.00001v1",)))
    await store.add_live_message(other.platform, other.chat_id, other.ref, LiveMessage(0, "9", ()))

    found = await store.live_digest(*key)
    assert found == replace(LIVE, messages=(LiveMessage(0, "501", ("2611.00001v1",)),))
    assert await store.live_digest(LIVE.platform, LIVE.chat_id, "another-ref") is None
    await store.set_live_pending(*key, ())
    assert await store.live_digest(*key) is None


async def test_a_limited_list_carries_the_messages_of_its_own_digests(store: SqliteStore) -> None:
    digests = [
        replace(LIVE, chat_id=str(n), created_at=CREATED + timedelta(minutes=n)) for n in range(4)
    ]
    for live in reversed(digests):
        await store.save_live_digest(live)
        await store.add_live_message(
            live.platform, live.chat_id, live.ref, LiveMessage(0, f"m{live.chat_id}", ())
        )
    found = await store.live_digests(limit=2)
    assert [(d.chat_id, d.messages) for d in found] == [
        ("0", (LiveMessage(0, "m0", ()),)),
        ("1", (LiveMessage(0, "m1", ()),)),
    ]
