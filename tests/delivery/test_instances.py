"""Several instances on one PostgreSQL database (issue #16): each runs the real pipeline on
its own store (its own connections and instance id), as separate ``arxiv-bot run`` processes
would, and the test adapter plays the one platform they all send to."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from adapters.http.server import HttpServer, make_app
from app.instances import InstanceBeat, only_when_leading
from bot.commands import CommandRouter
from storage.leadership import AdvisoryLeadership
from storage.sqlite import LEASE
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    settings,
    subscription,
    utc,
)
from tests.delivery.test_delivery import WAIT, WIDE, complete, exactly_once
from tests.delivery.test_operations import OPERATOR, samples
from tests.fakes.fake_arxiv import FakeArxiv
from tests.harness import text

pytestmark = pytest.mark.postgres

KEY = "daily:2026-11-24"


@pytest.fixture
async def instances(
    postgres_url: str, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> AsyncIterator[list[World]]:
    worlds = [await World(postgres_url, arxiv, clock, sender).open() for _ in range(3)]
    try:
        yield worlds
    finally:
        for world in worlds:
            await world.close()


async def test_instances_ticking_together_send_each_digest_once(
    instances: list[World], sender: RecordingSender
) -> None:
    first, *others = instances
    chats = [f"chat-{n}" for n in range(12)]
    for chat in chats:
        await first.subscribe(subscription(chat, categories=WIDE))
    first.clock.set(announced(TUESDAY))
    await asyncio.gather(*(w.tick() for w in instances))
    first.clock.set(utc(TUESDAY, "08:00"))
    slow = sender.block("chat-0")  # one chat answers slowly: its digest stays in progress

    fan_out = asyncio.create_task(first.tick())
    async with asyncio.timeout(WAIT):
        await sender.entered.wait()
        # The others tick meanwhile, together: they find the slow digest held.
        await asyncio.gather(*(w.tick() for w in others))
        slow.set()
        await fan_out
    await asyncio.gather(*(w.tick() for w in instances))  # nothing left for anyone

    for chat in chats:
        exactly_once(sender, chat, KEY)
    assert sender.duplicates() == 0
    assert sender.attempts["chat-0"] == 1
    assert sum(w.service.counters.delivered for w in instances) == len(chats)
    assert {(r["state"], r["messages_sent"]) for r in first.ledger()} == {("done", 6)}


async def test_a_killed_instances_digests_are_resumed_by_another_at_the_first_unsent_message(
    instances: list[World], sender: RecordingSender
) -> None:
    killed, survivor, _ = instances
    killed.parallel = survivor.parallel = 1
    await killed.restart()
    for chat in ("a", "b", "c"):
        await killed.subscribe(subscription(chat, categories=WIDE))
    await killed.at(announced(TUESDAY))
    # Six messages each: the ninth is delivered, then the instance dies before recording
    # it (SIGKILL: no clean stop, its claims stay): one digest done, one at two messages.
    sender.crash_after(8)
    killed.clock.set(utc(TUESDAY, "08:00"))
    fan_out = asyncio.create_task(killed.tick())
    async with asyncio.timeout(WAIT):
        await sender.crashed.wait()
    fan_out.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await fan_out
    sender.revive()
    assert len(sender.sent) == 9

    # While its lease runs, the rows are still the dead instance's: nobody sends them twice.
    killed.clock.advance(seconds=LEASE.total_seconds() - 1)
    await survivor.tick(lead=False)
    assert len(sender.sent) == 9
    killed.clock.advance(seconds=1)
    await survivor.tick(lead=False)

    for chat in ("a", "b", "c"):
        complete(sender, chat, KEY)
    assert len(sender.sent) == 18 + 1
    assert sender.duplicates() == 1  # the message in flight when it died
    resumed = [s for s in sender.sent[9:] if s.skip]
    assert [s.index for s in resumed] == [2, 3, 4, 5]
    assert survivor.service.counters.delivered == 2
    assert {(r["state"], r["messages_sent"]) for r in survivor.ledger()} == {("done", 6)}


async def test_only_the_leader_fetches_and_schedules_and_another_takes_over_when_it_dies(
    instances: list[World], postgres_url: str, arxiv: FakeArxiv, sender: RecordingSender
) -> None:
    beats = [
        InstanceBeat(w.store, AdvisoryLeadership(postgres_url, instance=w.store.instance_id))
        for w in instances
    ]
    told: list[tuple[int, bool]] = []
    for n, beat in enumerate(beats):
        beat.watch(functools.partial(record, told, n))
    retries = [0, 0, 0]

    async def retry(n: int) -> None:
        retries[n] += 1

    jobs = [
        only_when_leading(b.leadership, functools.partial(retry, n)) for n, b in enumerate(beats)
    ]
    leader, *others = instances
    try:
        for beat in beats:
            await beat.beat()
        assert [b.leads for b in beats] == [True, False, False]
        assert told == [(0, True)]
        await leader.subscribe(subscription("a", categories=WIDE))
        leader.clock.set(announced(TUESDAY))

        for world, beat, job in zip(instances, beats, jobs, strict=True):
            await world.tick(lead=beat.leads)  # as `arxiv-bot run` schedules its round
            await job()
        assert len(leader.feed_requests()) == 1  # one fetch for all
        assert retries == [1, 0, 0]
        listed = await leader.store.instances(utc(TUESDAY))
        assert {i.id: i.leader for i in listed} == {
            w.store.instance_id: w is leader for w in instances
        }

        await beats[0].leadership.close()  # the leader dies: its session ends with it
        for beat in beats[1:]:
            await beat.beat()
        assert [b.leads for b in beats[1:]] == [True, False]
        assert told == [(0, True), (1, True)]
        leader.clock.set(utc(TUESDAY, "08:00"))
        await others[0].tick(lead=beats[1].leads)
        exactly_once(sender, "a", KEY)  # scheduled and sent by the new leader
    finally:
        for beat in beats:
            await beat.stop()


async def record(told: list[tuple[int, bool]], n: int, leads: bool) -> None:
    told.append((n, leads))


async def test_status_and_metrics_show_each_instance_and_which_one_leads(
    instances: list[World], postgres_url: str
) -> None:
    leader, follower, gone = instances
    beats = [
        InstanceBeat(w.store, AdvisoryLeadership(postgres_url, instance=w.store.instance_id))
        for w in instances
    ]
    try:
        for beat in beats:
            await beat.beat()
        leader.clock.advance(minutes=3)  # the third stops beating (it died)...
        for beat in beats[:2]:
            await beat.beat()
        leader.clock.advance(seconds=4)

        follower.settings = settings(operators=["test:op"])
        services = follower.services()
        answer = await CommandRouter(services).handle_text(OPERATOR, "/status")
        assert answer is not None
        shown = text(answer)
        me, other = follower.store.instance_id, leader.store.instance_id
        assert "Instances (2)" in shown
        assert f"{other} (leader): up 0h 3m, seen 4 s ago" in shown
        assert f"{me}, this one: up 0h 3m, seen 4 s ago" in shown
        assert gone.store.instance_id not in shown  # ...and is no longer listed

        server = HttpServer(make_app(services), "127.0.0.1", 0)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                metrics = (await client.get("/metrics")).text
        finally:
            await server.stop()
        values = samples(metrics)
        assert values["arxiv_bot_instance_leader", (("instance", other),)] == 1
        assert values["arxiv_bot_instance_leader", (("instance", me),)] == 0
        assert ("arxiv_bot_instance_leader", (("instance", gone.store.instance_id),)) not in values
        assert values["arxiv_bot_instance", (("instance", me),)] == 1
        seen = values["arxiv_bot_instance_last_seen_timestamp_seconds", (("instance", me),)]
        assert seen == (leader.clock() - timedelta(seconds=4)).timestamp()
    finally:
        for beat in beats:
            await beat.stop()


async def test_instances_take_shares_of_a_fan_out_and_a_slow_one_holds_up_only_its_own(
    postgres_url: str, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender
) -> None:
    worlds = [
        await World(postgres_url, arxiv, clock, sender, claim_batch=2).open() for _ in range(3)
    ]
    slow, *others = worlds
    try:
        chats = [f"chat-{n:02d}" for n in range(12)]
        for chat in chats:
            await slow.subscribe(subscription(chat, categories=WIDE))
        await slow.at(announced(TUESDAY))
        clock.set(utc(TUESDAY, "08:00"))
        gate = sender.block("chat-00")  # its first share: chat-00 and chat-01
        fan_out = asyncio.create_task(slow.tick())
        async with asyncio.timeout(WAIT):
            await sender.entered.wait()
            await asyncio.gather(*(w.tick(lead=False) for w in others))
            assert sender.chats() == set(chats) - {"chat-00"}  # the others did the rest
            gate.set()
            await fan_out

        for chat in chats:
            exactly_once(sender, chat, KEY)
        shares = [w.service.counters.delivered for w in worlds]
        assert shares[0] == 2
        assert sum(shares) == 12
        assert {(r["state"], r["messages_sent"]) for r in slow.ledger()} == {("done", 6)}
    finally:
        for world in worlds:
            await world.close()
