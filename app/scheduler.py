"""The one scheduler of the process (APScheduler 3, in the shared event loop).

A single job every minute runs the delivery round (fetch when an announcement is due,
schedule due subscriptions, deliver); subscriptions are found by a query, not one job each.
Another job retries failed summaries. APScheduler's default misfire grace of one second would
silently skip a round when the loop is busy, so rounds may start late and coalesce instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.health import Health

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def make_scheduler(
    jobs: dict[str, tuple[Callable[[], Awaitable[object]], float]],
    health: Health | None = None,
) -> AsyncIOScheduler:
    """``jobs`` maps a name to (coroutine function, interval in seconds). Each job also runs
    once right at start (to catch up after downtime). Each round's outcome goes to
    ``health`` (what /healthz reports)."""
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    record = health or Health()
    for name, (func, seconds) in jobs.items():
        record.register(name, seconds)
        scheduler.add_job(
            _logged(name, func, record),
            "interval",
            seconds=seconds,
            id=name,
            name=name,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
    return scheduler


def _logged(
    name: str, func: Callable[[], Awaitable[object]], health: Health
) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        health.started(name)
        try:
            await func()
        except asyncio.CancelledError:  # shutdown: the ledger lets the next start resume
            health.interrupted(name)
            log.info("scheduled job %s interrupted by shutdown", name)
        except Exception as exc:  # a failed round must not stop the next one
            health.failed(name, exc)
            log.exception("scheduled job %s failed", name)
        else:
            health.succeeded(name)

    return job


def run_soon(scheduler: AsyncIOScheduler, name: str) -> None:
    """Run job ``name`` now rather than at its next interval (a platform that just came up
    should not wait a minute for its digests)."""
    if scheduler.running:
        scheduler.modify_job(name, next_run_time=datetime.now(UTC))
