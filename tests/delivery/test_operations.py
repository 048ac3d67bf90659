"""Operating the bot: /status for operators, /healthz and /metrics on the HTTP port, and the
scheduler that runs the delivery rounds."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from prometheus_client.parser import text_string_to_metric_families

from adapters.http.server import HttpServer, make_app
from adapters.telegram import TelegramAdapter
from app.instances import InstanceBeat
from app.logs import setup_logging
from app.platform_starter import PlatformStarter
from app.scheduler import make_scheduler
from bot import __version__
from bot.commands import CommandRouter
from bot.contract.chats import ChatRef, CommandContext
from bot.contract.messages import error
from bot.delivery.chat_events import ChatEvents
from bot.services.health import UNHEALTHY_AFTER, Health, PlatformStatus
from storage.leadership import SoleLeadership
from tests.delivery.recording_sender import RecordingSender
from tests.delivery.support import (
    TUESDAY,
    Clock,
    World,
    announced,
    paper,
    settings,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_openai import FakeOpenAI, correcting_responder
from tests.fakes.fake_telegram import FakeTelegram
from tests.harness import text
from tests.summaries.support import as_paper

WAIT = 10.0
OPERATOR = CommandContext(ChatRef("test", "op", "private"), "op", is_admin=True)


@pytest.fixture
async def busy_world(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> AsyncIterator[World]:
    """Tuesday 12:00: one digest done, one failed (the chat blocked the bot), one waiting
    for a retry; summaries made by the model."""
    config = settings(operators=["test:op", "telegram:42"], summary_workers=4)
    world = await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()
    try:
        await world.subscribe(subscription("a"))
        await world.subscribe(subscription("blocked"))
        await world.subscribe(subscription("retrying"))
        sender.fail("blocked", "gone")
        sender.fail("retrying", "transient", at=1)
        await world.at(announced(TUESDAY))
        await world.at(utc(TUESDAY, "08:00"))
        world.clock.set(utc(TUESDAY, "08:01"))  # before the retry
        yield world
    finally:
        await world.close()


async def test_status_shows_operators_how_delivery_is_going(busy_world: World) -> None:
    services = busy_world.services()
    services.started_at = utc(TUESDAY, "06:55")
    router = CommandRouter(services)
    answer = await router.handle_text(OPERATOR, "/status")
    assert answer is not None
    assert answer.tone != "error"
    assert answer.private
    shown = text(answer)
    assert f"Version {__version__}, up 1h 6m" in shown
    assert "Latest announcement 2026-11-24: 4 papers, fetched 2026-11-24T01:00+00:00" in shown
    assert f"Last fetch attempt: {announced(TUESDAY).isoformat()}" in shown
    assert "Digests for it: 0 due, 1 in progress, 1 done, 1 failed, 0 skipped" in shown
    assert "test:blocked: gone: gone (test platform)" in shown
    usage = await busy_world.store.llm_usage(TUESDAY)
    assert usage.calls == 2  # the two LLM papers in cs.LG, once each for three chats
    assert (
        f"Model today: 2 calls, {usage.prompt_tokens} prompt + {usage.completion_tokens} "
        "completion tokens" in shown
    )
    assert usage.prompt_tokens > 0


@pytest.mark.parametrize(
    "who",
    [
        CommandContext(ChatRef("test", "someone", "private"), "someone", is_admin=True),
        CommandContext(ChatRef("telegram", "op", "private"), "op", is_admin=True),
        CommandContext(ChatRef("test", "-100", "group"), "42", is_admin=True),
    ],
)
async def test_status_is_refused_to_everyone_else(busy_world: World, who: CommandContext) -> None:
    router = CommandRouter(busy_world.services())
    answer = await router.handle_text(who, "/status")
    assert answer is not None
    assert answer.tone == "error"
    assert text(answer) == "/status is for the bot's operators."


async def test_status_before_the_first_fetch(world: World) -> None:
    world.settings = settings(operators=["test:op"])
    router = CommandRouter(world.services())
    answer = await router.handle_text(OPERATOR, "/status")
    assert answer is not None
    assert "No announcement fetched yet" in text(answer)
    assert "Last fetch attempt: never" in text(answer)


METRICS = (
    "arxiv_bot_info",
    "arxiv_bot_uptime_seconds",
    "arxiv_bot_digests_total",
    "arxiv_bot_digest_failures_total",
    "arxiv_bot_messages_total",
    "arxiv_bot_queue_depth",
    "arxiv_bot_llm_calls_today",
    "arxiv_bot_llm_tokens_today",
    "arxiv_bot_last_fetch_timestamp_seconds",
)


async def test_healthz_and_metrics_on_the_http_port(busy_world: World) -> None:
    server = HttpServer(make_app(busy_world.services()), "127.0.0.1", 0)
    await server.start()
    try:
        assert server.port != 0
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            health = await client.get("/healthz")
            metrics = await client.get("/metrics")
    finally:
        await server.stop()
    assert (health.status_code, health.text) == (200, "ok\n")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    for name in METRICS:
        assert f"# TYPE {name} " in metrics.text, name
        assert any(line.startswith(name) for line in lines), name
    values = samples(metrics.text)
    assert values["arxiv_bot_info", (("version", __version__),)] == 1
    assert values["arxiv_bot_digests_total", (("outcome", "delivered"),)] == 1
    assert values["arxiv_bot_digests_total", (("outcome", "failed"),)] == 1
    assert values["arxiv_bot_digest_failures_total", (("reason", "gone"),)] == 1
    assert values["arxiv_bot_messages_total", ()] == 3  # "a": a header and two cards
    assert values["arxiv_bot_queue_depth", ()] == 1  # "retrying"
    fetched = announced(TUESDAY).timestamp()
    assert values["arxiv_bot_last_fetch_timestamp_seconds", ()] == fetched


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, read by Prometheus's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_keep_full_precision(busy_world: World) -> None:
    """Six significant digits put the last fetch up to ~5,000 s off, and counters past a
    million lost their last digits."""
    services = busy_world.services()
    assert services.delivery is not None
    services.delivery.counters.messages = 1_234_567_891
    fetched_at = utc(TUESDAY, "01:00") + timedelta(seconds=4321.25)
    batch = await busy_world.store.latest_batch()
    assert batch is not None
    await busy_world.store.save_batch(
        batch.day + timedelta(days=1), list(batch.categories), [], fetched_at
    )
    server = HttpServer(make_app(services), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            metrics = await client.get("/metrics")
    finally:
        await server.stop()
    values = samples(metrics.text)
    assert values["arxiv_bot_messages_total", ()] == 1_234_567_891
    assert values["arxiv_bot_last_fetch_timestamp_seconds", ()] == fetched_at.timestamp()
    assert "# TYPE arxiv_bot_messages_total counter" in metrics.text


async def test_the_scheduler_runs_rounds_at_once_and_survives_a_failing_one() -> None:
    rounds = 0
    second = asyncio.Event()

    async def delivery_round() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise RuntimeError("a round failed")
        second.set()

    scheduler = make_scheduler({"delivery": (delivery_round, 0.05)})
    scheduler.start()
    try:
        job = scheduler.get_job("delivery")
        assert job is not None
        # A busy loop must not make APScheduler drop rounds (its default grace is 1 s).
        assert job.misfire_grace_time is None
        assert job.coalesce is True
        assert job.max_instances == 1
        assert str(scheduler.timezone) == "UTC"
        async with asyncio.timeout(WAIT):
            await second.wait()
    finally:
        scheduler.shutdown(wait=False)
    assert rounds >= 2


async def test_a_round_outlasting_its_interval_leaves_the_log_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A fan-out outlasts the 5-second delivery tick: APScheduler skips the starts meanwhile
    (by design) and would say so in a WARNING every tick, and "Running job" at INFO."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging(logging.INFO)
    root.addHandler(caplog.handler)
    skipped = asyncio.Event()
    release = asyncio.Event()

    async def long_round() -> None:
        await release.wait()

    scheduler = make_scheduler({"delivery": (long_round, 0.05)})
    scheduler.add_listener(lambda _event: skipped.set(), EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    try:
        async with asyncio.timeout(WAIT):
            await skipped.wait()
    finally:
        release.set()
        scheduler.shutdown(wait=False)
        root.handlers[:] = handlers
        root.setLevel(level)
    assert [r for r in caplog.records if r.name.startswith("apscheduler")] == []


async def healthz_until(client: httpx.AsyncClient, status: int) -> httpx.Response:
    """GET /healthz until it answers ``status`` (at most ``WAIT`` seconds)."""
    async with asyncio.timeout(WAIT):
        while True:
            answer = await client.get("/healthz")
            if answer.status_code == status:
                return answer
            await asyncio.sleep(0.02)  # polling another task's progress, bounded above


async def test_healthz_is_503_while_scheduled_rounds_fail_and_ok_once_one_succeeds(
    busy_world: World,
) -> None:
    services = busy_world.services()
    failing = True

    async def delivery_round() -> None:
        if failing:
            raise RuntimeError("database disk image is malformed")

    scheduler = make_scheduler({"delivery": (delivery_round, 0.05)}, services.health)
    server = HttpServer(make_app(services), "127.0.0.1", 0)
    await server.start()
    scheduler.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/healthz")).status_code == 200  # no round failed yet
            sick = await healthz_until(client, 503)
            assert sick.text.startswith("unhealthy: scheduled job delivery failed ")
            assert "times in a row: database disk image is malformed" in sick.text
            failing = False
            well = await healthz_until(client, 200)
            assert well.text == "ok\n"
    finally:
        scheduler.shutdown(wait=False)
        await server.stop()


async def test_healthz_is_503_when_the_scheduler_stops_running_rounds(busy_world: World) -> None:
    now = [1000.0]
    services = busy_world.services()
    services.health = Health(clock=lambda: now[0])
    services.health.register("delivery", 60.0)
    server = HttpServer(make_app(services), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            now[0] += 170  # two missed rounds: late, but not yet dead
            assert (await client.get("/healthz")).status_code == 200
            now[0] += 20
            stale = await client.get("/healthz")
            services.health.started("delivery")
            now[0] += 3600  # a long round in progress is not a stalled scheduler
            running = await client.get("/healthz")
    finally:
        await server.stop()
    assert stale.status_code == 503
    assert stale.text == (
        "unhealthy: scheduled job delivery has not run for 190 s (every 60 s expected)\n"
    )
    assert running.status_code == 200


async def healthz_after(world: World, change: Callable[[], None]) -> httpx.Response:
    """/healthz, once ok, after ``change`` to the database file while the bot runs."""
    server = HttpServer(make_app(world.services()), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/healthz")).status_code == 200
            change()
            return await client.get("/healthz")
    finally:
        await server.stop()


async def test_healthz_is_503_when_the_database_is_deleted_while_running(
    busy_world: World, db_path: Path
) -> None:
    gone = await healthz_after(busy_world, lambda: os.unlink(db_path))
    assert gone.status_code == 503
    assert gone.text == (
        f"unhealthy: the database {db_path} was deleted or replaced while the bot ran, so "
        "what it records now is lost: restore the file (or let a restart create an empty "
        "one) and restart the bot\n"
    )


async def test_healthz_is_503_when_the_database_is_truncated_while_running(
    busy_world: World, db_path: Path
) -> None:
    """The same file, emptied in place: reads and writes still succeed (into the -wal file,
    lost at the next checkpoint), so only its size tells."""
    emptied = await healthz_after(busy_world, lambda: os.truncate(db_path, 0))
    assert emptied.status_code == 503
    assert f"unhealthy: the database {db_path} was truncated or overwritten" in emptied.text


async def test_a_platform_down_at_start_shows_in_status_and_healthz_until_it_is_back(
    busy_world: World,
) -> None:
    """Telegram unreachable at start (a proxy's 502): retried in the background; after the
    first retries /status names it and /healthz answers 503 with the reason; once it answers
    it runs, and both say so."""
    services = busy_world.services()
    router = CommandRouter(services)
    async with FakeTelegram() as tg:
        tg.fail_next("getMe", 502, body=b"<html>502 Bad Gateway</html>", times=1000)
        adapter = TelegramAdapter(
            token=tg.token, router=router, events=ChatEvents(busy_world.store),
            api_url=tg.api_base,
        )  # fmt: skip
        status = services.platforms["telegram"] = PlatformStatus("telegram", busy_world.clock())
        starter = PlatformStarter(
            adapter, status, on_up=lambda: None, clock=busy_world.clock,
            first_delay=0.05, max_delay=0.2,
        )  # fmt: skip
        server = HttpServer(make_app(services), "127.0.0.1", 0)
        await server.start()
        await starter.start()
        try:
            async with asyncio.timeout(WAIT):
                # The fourth attempt comes after the third failure was recorded.
                await tg.wait_until(lambda: len(tg.rejections) >= UNHEALTHY_AFTER + 1)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
                down = await http.get("/healthz")
                assert down.status_code == 503
                assert "Telegram: unreachable since 2026-11-24 08:01 UTC" in down.text
                assert "Bad Gateway" in down.text
                report = text(await router.handle_text(OPERATOR, "/status") or error("none"))
                assert "Telegram: unreachable since 2026-11-24 08:01 UTC" in report

                tg.clear_failures()
                async with asyncio.timeout(WAIT):
                    await tg.wait_for_call("getUpdates")
                up = await http.get("/healthz")
                assert (up.status_code, up.text) == (200, "ok\n")
                report = text(await router.handle_text(OPERATOR, "/status") or error("none"))
                assert "Telegram: running since 2026-11-24 08:01 UTC" in report
        finally:
            await starter.stop()
            await server.stop()
    assert status.state == "up"
    assert not adapter.app.running


async def test_status_and_metrics_add_up_the_numbers_checked(
    db_path: Path, arxiv: FakeArxiv, clock: Clock, sender: RecordingSender, llm: FakeOpenAI
) -> None:
    """Three summaries of abstracts that say "accuracy rises by 2.1 points on 3 tasks": one
    right, one corrected by the second call, one the model leaves wrong (marked)."""
    config = settings(operators=["test:op"])
    world = await World(db_path, arxiv, clock, sender, llm=llm, config=config).open()
    try:
        abstract = "Accuracy rises by 2.1 points on 3 tasks."
        right = "TL;DR: Accuracy rises by 2.1 points on 3 tasks."
        wrong = right.replace("2.1", "3.4")
        scripts = [(right, None), (wrong, right), (wrong, None)]
        summarizer = world.services().summarizer
        for n, (answer, corrected) in enumerate(scripts, 1):
            llm.responder = correcting_responder(answer, corrected)
            await summarizer.summary(as_paper(paper(TUESDAY, n, f"Paper {n}", abstract)), "en")
        assert len(llm.calls) == 5  # no correction call for the right one

        services = world.services()
        answer = await CommandRouter(services).handle_text(OPERATOR, "/status")
        assert answer is not None
        assert (
            "Numbers in summaries: 6 found, 5 supported by the paper, 1 corrected by the "
            "model, 1 marked as not found in the paper" in text(answer)
        )
        server = HttpServer(make_app(services), "127.0.0.1", 0)
        await server.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
                metrics = await client.get("/metrics")
        finally:
            await server.stop()
        values = samples(metrics.text)
        counts = {
            outcome: values["arxiv_bot_summary_numbers_total", (("outcome", outcome),)]
            for outcome in ("found", "supported", "corrected", "marked")
        }
        assert counts == {"found": 6, "supported": 5, "corrected": 1, "marked": 1}
        assert "# TYPE arxiv_bot_summary_numbers_total counter" in metrics.text
    finally:
        await world.close()


async def test_status_shows_the_one_instance_of_sqlite_leading(world: World) -> None:
    beat = InstanceBeat(world.store, SoleLeadership())
    await beat.start()
    try:
        world.settings = settings(operators=["test:op"])
        answer = await CommandRouter(world.services()).handle_text(OPERATOR, "/status")
    finally:
        await beat.stop()
    assert answer is not None
    assert f"{world.store.instance_id} (leader), this one: up 0h 0m, seen 0 s ago" in text(answer)
    assert "Instances (1)" in text(answer)
