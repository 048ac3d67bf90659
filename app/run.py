"""``arxiv-bot run``: the long-running bot. Wires the platforms, the scheduler's jobs, the
instances' heartbeat and the HTTP port together, and takes them down within seconds of
SIGTERM, in an order that loses nothing."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

from adapters.http.feed_routes import FeedRoutes
from adapters.http.server import HttpServer, make_app
from app.instances import only_when_leading
from app.logs import setup_logging
from app.platform_starter import PlatformStarter
from app.scheduler import make_scheduler, run_soon
from app.settings import AppSettings
from app.wiring import (
    Component,
    build_adapters,
    make_delivery,
    make_instance_beat,
    make_planner,
    open_services,
)
from bot.config import ConfigError, Settings
from bot.contract.adapter import Adapter, LeaderUpdates
from bot.delivery.operator_alerts import OperatorAlerts
from bot.services import Services
from bot.services.health import PlatformStatus
from storage import single_instance

log = logging.getLogger("arxiv-bot")

TICK_SECONDS = 5.0
"""The scheduler's resolution: a digest leaves within this long of its due time."""
SUMMARY_RETRY_SECONDS = 600.0
REPLAN_SECONDS = 600.0
"""How often the leader plans summaries again without being told of a change (a command on
another instance saved a subscription)."""
ALERT_SECONDS = 2.0
"""At shutdown, how long telling the operators about chats that just became unusable may
take."""


async def run_bot(settings: AppSettings, *, verbose: bool = False) -> int:
    """The chat platforms whose tokens are set, the scheduler and the HTTP port, in one
    event loop, until SIGINT or SIGTERM."""
    setup_logging(logging.DEBUG if verbose else logging.INFO)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with single_instance(settings.database_url):
        async with open_services(settings) as services:
            # A database it cannot use must stop the bot here, not fail every round quietly.
            await services.store.check(thorough=True)
            alerts = OperatorAlerts(settings.operators)
            adapters = build_adapters(settings, services, alerts)
            if not adapters and settings.http_port is None:
                raise ConfigError(
                    "nothing to run: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN, or "
                    "ARXIV_BOT_HTTP_PORT for feeds alone (or try `arxiv-bot chat`)"
                )
            # A platform's digests go out once it is up (it may be unreachable at start).
            delivery = make_delivery(services, [])
            services.delivery = delivery
            planner = make_planner(services, delivery)

            async def replan() -> None:
                planner.refresh()

            # Instances sharing a database: every one delivers what it claims, the leader
            # also fetches, schedules, plans summaries, completes live digests and retries
            # summaries (app/instances.py).
            beat = make_instance_beat(settings, services.store)
            scheduler = make_scheduler(
                {
                    # The chats a round finds unusable: one message per operator at its end.
                    "delivery": (
                        alerts.around(lambda: delivery.tick(lead=beat.leads)),
                        TICK_SECONDS,
                    ),
                    "completions": (
                        only_when_leading(beat.leadership, delivery.complete),
                        TICK_SECONDS,
                    ),
                    # Subscriptions saved through other instances reach the leader's plan.
                    "summary-plan": (only_when_leading(beat.leadership, replan), REPLAN_SECONDS),
                    "summary-retries": (
                        only_when_leading(
                            beat.leadership,
                            lambda: services.summarizer.retry_failed(services.store.get_paper),
                        ),
                        SUMMARY_RETRY_SECONDS,
                    ),
                },
                services.health,
            )

            async def leadership_changed(leads: bool) -> None:
                if leads:  # a new leader fetches and schedules at once, not a round later
                    run_soon(scheduler, "delivery")
                    planner.start()  # and plans the summaries: one planner for all
                else:
                    await planner.stop()

            beat.watch(leadership_changed)

            async def work_waiting() -> None:
                """Digests no one holds (scheduled by the leader, or left by an instance
                that died) go out now, not at the next round."""
                now = services.clock()
                if await services.store.unclaimed_deliveries(now, delivery.senders):
                    run_soon(scheduler, "delivery")

            beat.after_each(work_waiting)
            for adapter in adapters:
                if isinstance(adapter, LeaderUpdates):  # Telegram's long polling
                    beat.watch(adapter.set_leading)

            def platform_up(adapter: Adapter) -> None:
                delivery.senders[adapter.platform] = adapter
                alerts.add(adapter)
                run_soon(scheduler, "delivery")

            components: list[Component] = [
                beat,
                *(
                    start_in_background(settings, services, adapter, platform_up)
                    for adapter in adapters
                ),
            ]
            if settings.http_port is not None:
                app = make_app(services, FeedRoutes(services).routes())
                components.append(
                    HttpServer(
                        app,
                        settings.http_host,
                        settings.http_port,
                        read_timeout=settings.http_read_timeout,
                        max_connections=settings.http_max_connections,
                    )
                )
            started: list[Component] = []
            try:
                for component in components:
                    await component.start()
                    started.append(component)
                scheduler.start()
                log.info("running; stop with Ctrl-C or SIGTERM")
                await stop.wait()
            finally:
                # Within seconds (Docker kills after ten), whatever the bot waits for. First,
                # and before the scheduler's shutdown cancels it: the fan-out in progress
                # stops after the messages in flight, with their progress recorded. Then the
                # jobs and the platforms' commands in progress are cancelled, and last the
                # model calls they were waiting for.
                await delivery.stop()
                await planner.stop()
                if scheduler.running:
                    scheduler.shutdown(wait=False)
                await alerts.close(ALERT_SECONDS)  # while the platforms are still up
                for component in reversed(started):
                    await component.stop()
                await services.summarizer.cancel()
    return 0


def start_in_background(
    settings: Settings,
    services: Services,
    adapter: Adapter,
    on_up: Callable[[Adapter], None],
) -> PlatformStarter:
    """The platform is retried until it answers; its status is shown by /healthz and
    /status, and ``on_up`` gives it its digests once it is up."""
    platform = adapter.platform
    status = services.platforms[platform] = PlatformStatus(platform, since=services.clock())
    return PlatformStarter(
        adapter,
        status,
        on_up=lambda: on_up(adapter),
        clock=services.clock,
        first_delay=settings.platform_retry_seconds,
        max_delay=settings.platform_retry_max_seconds,
    )
