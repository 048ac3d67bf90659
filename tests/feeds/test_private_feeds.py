"""A private feed per chat: ``/feed`` and ``/feed reset`` through the real command router, and
``/feed/<token>`` on the HTTP port showing that chat's subscription over the last 7 stored
announcements. Tokens are unguessable, revocable, and neither stored nor logged."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import sqlite3
import stat
from datetime import date, datetime, timedelta

import pytest

from bot.contract.chats import CommandContext
from bot.feeds.service import PRIVATE_DAYS
from tests.fakes.fake_arxiv import FakePaper
from tests.feeds.conftest import OpenWorld, World
from tests.feeds.support import (
    DAY1,
    FETCHED1,
    GROUP_ADMIN,
    GROUP_MEMBER,
    OTHER_PRIVATE,
    PRIVATE,
    announced_day,
    entry_html,
    entry_ids,
    paper,
    parse_feed,
    reply_links,
    reply_text,
    visible,
)

FEED_URL = re.compile(r"https://feeds\.example\.org/arxiv/feed/(?P<token>[A-Za-z0-9_-]+)")


async def feed_token(world: World, ctx: CommandContext, command: str = "/feed") -> str:
    """Ask for the chat's feed; returns the token of the RSS address it answers with."""
    answer = await world.send(ctx, command)
    assert answer.tone != "error", reply_text(answer)
    assert answer.private
    links = reply_links(answer)
    assert len(links) == 2, links
    m = FEED_URL.fullmatch(links[0])
    assert m is not None, links
    assert links[1] == f"{links[0]}?format=atom"
    return m["token"]


async def subscribe(world: World, ctx: CommandContext, *commands: str) -> None:
    for command in commands:
        answer = await world.send(ctx, command)
        assert answer.tone != "error", f"{command}: {reply_text(answer)}"


def day_papers(n: int) -> list[FakePaper]:
    """Announcement ``n``: one paper the test chat wants, and three it must not see."""
    return [
        paper(f"2611.1{n}001", f"Sparse experts, day {n}", "Routing.", "cs.LG"),
        paper(f"2611.1{n}002", f"A survey of experts, day {n}", "Routing.", "cs.LG"),  # excluded
        paper(f"2611.1{n}003", f"Experts elsewhere, day {n}", "Routing.", "cs.AI"),  # category
        paper(f"2611.1{n}004", f"LLM inference, day {n}", "Nothing else.", "cs.LG"),  # keyword
    ]


def announced(n: int) -> datetime:
    return DAY1 + timedelta(days=n)


def fetched(n: int) -> datetime:
    return FETCHED1 + timedelta(days=n)


CHAT_SETUP = ("/subscribe cs.LG", "/keywords add experts", "/exclude add survey", "/language de")


async def test_the_feed_command_answers_addresses_under_public_url(world: World) -> None:
    await subscribe(world, PRIVATE, *CHAT_SETUP)
    token = await feed_token(world, PRIVATE)
    assert await feed_token(world, PRIVATE) == token  # asking again: the same address
    other = await feed_token(world, OTHER_PRIVATE)  # a chat that never subscribed
    assert other != token
    for t in (token, other):  # at least 128 random-looking bits, URL-safe
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
        assert len(raw) * 8 >= 128
    answer = await world.send(PRIVATE, "/feed")
    assert "reset" in reply_text(answer)


async def test_the_feed_is_the_chats_subscription_over_the_last_7_batches(
    world: World,
) -> None:
    await subscribe(world, PRIVATE, *CHAT_SETUP)
    token = await feed_token(world, PRIVATE)
    for n in range(PRIVATE_DAYS + 1):  # 8 announcements: the oldest falls out
        await world.announce(day_papers(n), announced(n), fetched(n))
    store, summarizer = world.services.store, world.services.summarizer
    # Summaries made earlier: the newest paper's in German (the chat's language), the next
    # one's only in English.
    newest = await store.get_paper(f"2611.1{PRIVATE_DAYS}001")
    second = await store.get_paper(f"2611.1{PRIVATE_DAYS - 1}001")
    assert newest is not None
    assert second is not None
    german = await summarizer.summary(newest, "de")
    english = await summarizer.summary(second, "en")
    assert german.tldr.startswith("[German]")
    assert english.tldr.startswith("[English]")
    before = world.outbound()

    rss = await world.get(f"/feed/{token}")
    atom = await world.get(f"/feed/{token}?format=atom")
    assert rss.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert atom.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert rss.headers["Cache-Control"].startswith("private")
    expected = [f"arXiv:2611.1{n}001" for n in range(PRIVATE_DAYS, 0, -1)]  # newest first
    for answer, fmt in ((rss, "rss"), (atom, "atom")):
        parsed = parse_feed(answer.body, fmt)
        assert entry_ids(parsed) == expected
        days = [announced_day(e) for e in parsed.entries]
        assert days == [date(2026, 11, 24) + timedelta(days=n) for n in range(7, 0, -1)]
        first, _ = visible(entry_html(parsed.entries[0]))
        assert f"TL;DR: {german.tldr}" in first
        assert "Why: experts (title) (score 1.5)" in first
        following, _ = visible(entry_html(parsed.entries[1]))
        assert "TL;DR" not in following
        assert english.tldr not in following
        assert "Abstract: Routing." in following
    assert world.outbound() == before  # the feed only read what was stored

    # The chat changes its keywords: the feed follows at once.
    await subscribe(world, PRIVATE, "/keywords set LLM")
    changed = parse_feed((await world.get(f"/feed/{token}")).body, "rss")
    assert entry_ids(changed) == [f"arXiv:2611.1{n}004" for n in range(PRIVATE_DAYS, 0, -1)]


async def test_a_new_version_keeps_its_item_in_the_feeds(world: World) -> None:
    await subscribe(world, PRIVATE, "/subscribe cs.LG", "/keywords add experts")
    token = await feed_token(world, PRIVATE)
    v1 = paper("2611.20001", "Sparse experts", "Routing.", "cs.LG")
    await world.announce([v1], announced(0), fetched(0))
    first = await world.get(f"/feed/{token}")
    assert entry_ids(parse_feed(first.body, "rss")) == ["arXiv:2611.20001"]

    v2 = paper("2611.20001", "Sparse experts, revised", "Routing.", "cs.LG", version=2)
    v2.replaced = True
    fresh = paper("2611.20002", "Dense experts", "Routing.", "cs.LG")
    await world.announce([v2, fresh], announced(1), fetched(1))
    stored = await world.services.store.get_paper("2611.20001")
    assert stored is not None
    assert stored.version == 2  # the new version is stored
    etag = first.headers["ETag"]
    for fmt, query in (("rss", ""), ("atom", "?format=atom")):
        answer = await world.get(f"/feed/{token}{query}", **{"If-None-Match": etag})
        assert answer.status == 200
        ids = entry_ids(parse_feed(answer.body, fmt))
        assert ids == ["arXiv:2611.20002", "arXiv:2611.20001"]  # one item per paper


async def test_feed_reset_revokes_the_old_address(world: World) -> None:
    await subscribe(world, PRIVATE, *CHAT_SETUP)
    await world.announce(day_papers(1), announced(1), fetched(1))
    old = await feed_token(world, PRIVATE)
    assert (await world.get(f"/feed/{old}")).status == 200

    answer = await world.send(PRIVATE, "/feed reset")
    assert "no longer works" in reply_text(answer)
    new = await feed_token(world, PRIVATE)  # /feed now shows the new address
    assert FEED_URL.fullmatch(reply_links(answer)[0])["token"] == new  # type: ignore[index]
    assert new != old
    for query in ("", "?format=atom"):
        gone = await world.get(f"/feed/{old}{query}")
        assert gone.status == 404
        assert gone.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert gone.text == "unknown feed\n"
        assert (await world.get(f"/feed/{new}{query}")).status == 200
    assert (await world.get(f"/feed/{old}", method="HEAD")).status == 404


async def test_without_public_url_feeds_are_disabled(open_world: OpenWorld) -> None:
    async with open_world(PUBLIC_URL=None) as world:
        for command in ("/feed", "/feed reset"):
            answer = await world.send(PRIVATE, command)
            assert answer.tone == "error"
            text = reply_text(answer)
            assert "not enabled" in text
            assert "PUBLIC_URL" in text
            assert reply_links(answer) == []


async def test_only_admins_reset_a_groups_feed(world: World) -> None:
    await subscribe(world, GROUP_ADMIN, "/subscribe cs.LG")
    token = await feed_token(world, GROUP_ADMIN)
    refused = await world.send(GROUP_MEMBER, "/feed reset")
    assert refused.tone == "error"
    assert "administrators" in reply_text(refused)
    assert reply_links(refused) == []
    assert (await world.get(f"/feed/{token}")).status == 200  # still works
    assert await feed_token(world, GROUP_MEMBER) == token  # members may read the address
    new = await feed_token(world, GROUP_ADMIN, "/feed reset")
    assert new != token
    assert (await world.get(f"/feed/{token}")).status == 404


async def test_tokens_are_neither_stored_nor_logged(
    open_world: OpenWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []
    async with open_world() as world:
        await subscribe(world, PRIVATE, *CHAT_SETUP)
        await world.announce(day_papers(1), announced(1), fetched(1))
        tokens.append(await feed_token(world, PRIVATE))
        tokens.append(await feed_token(world, PRIVATE, "/feed reset"))
        tokens.append(await feed_token(world, GROUP_ADMIN))
        tokens.append(await feed_token(world, OTHER_PRIVATE))
        for token in tokens[1:]:
            for query in ("", "?format=atom"):
                assert (await world.get(f"/feed/{token}{query}")).status == 200
        assert (await world.get(f"/feed/{tokens[0]}")).status == 404
        db_path = world.db_path
    # After a restart (same key file next to the database), the addresses still work.
    async with open_world() as world:
        assert await feed_token(world, PRIVATE) == tokens[1]
        assert (await world.get(f"/feed/{tokens[1]}")).status == 200

    key_file = db_path.parent / "feed-secret"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    files = [p for p in db_path.parent.iterdir() if p.name.startswith(db_path.name)]
    assert db_path in files
    stored = b"".join(p.read_bytes() for p in files)  # the database, its WAL and index
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT chat_id, feed_nonce, feed_token_hash FROM subscriptions ORDER BY chat_id"
        ).fetchall()
    hashes = {row[2] for row in rows}
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert token.encode() not in stored
        assert raw not in stored
        assert token not in caplog.text
        for record in caplog.records:
            assert token not in str(record.args)
    assert key.strip() not in stored
    assert bytes.fromhex(key.decode()) not in stored
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens[1:]} == hashes
    assert hashlib.sha256(tokens[0].encode()).hexdigest() not in hashes  # revoked
    assert all(nonce for _, nonce, _ in rows)


async def test_a_configured_secret_replaces_the_key_file(open_world: OpenWorld) -> None:
    async with open_world(FEED_TOKEN_SECRET="s3cret-of-the-operator-" * 2) as world:
        await subscribe(world, PRIVATE, "/subscribe cs.LG")
        token = await feed_token(world, PRIVATE)
        assert (await world.get(f"/feed/{token}")).status == 200
        assert not (world.db_path.parent / "feed-secret").exists()
    async with open_world() as world:  # the key file instead: the old address is invalid
        assert await feed_token(world, PRIVATE) != token
        assert (await world.get(f"/feed/{token}")).status == 404
