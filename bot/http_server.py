"""The bot's one HTTP port (``ARXIV_BOT_HTTP_PORT``): health, Prometheus metrics, and later the
feeds. Everything it answers is read from the store and counters; it never calls arXiv or the
model, so nothing a request sends can slow the bot down."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from bot import __version__
from bot.services import Services
from bot.summaries import usage_day

log = logging.getLogger(__name__)

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


def make_app(services: Services, extra_routes: list[Route] | None = None) -> web.Application:
    app = web.Application(middlewares=[_plain_errors])

    async def healthz(_: web.Request) -> web.Response:
        # A chat platform still unreachable after its first retries is an outage: its
        # digests are not going out, so the bot is not healthy (503, with the reason), even
        # though the feeds and the other platform keep running.
        down = [p.describe() for p in services.platforms.values() if not p.healthy]
        if down:
            text = "".join(f"{line}\n" for line in down)
            return web.Response(status=503, text=text, content_type="text/plain", charset="utf-8")
        return web.Response(text="ok\n", content_type="text/plain", charset="utf-8")

    async def metrics(_: web.Request) -> web.Response:
        text = await prometheus_text(services)
        return web.Response(
            text=text, content_type="text/plain", charset="utf-8", headers={"X-Version": "0.0.4"}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for method, path, handler in extra_routes or []:
        if method == "GET":  # and HEAD, which HTTP requires wherever GET is served
            app.router.add_get(path, handler)
        else:
            app.router.add_route(method, path, handler)
    return app


@web.middleware
async def _plain_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """No stack trace ever reaches a client: one plain line instead."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("HTTP %s %s failed", request.method, request.path)
        return web.Response(status=500, text="internal error\n", content_type="text/plain")


async def prometheus_text(services: Services) -> str:
    store = services.store
    now = datetime.now(UTC)
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{labels} {value:g}")

    metric("arxiv_bot_info", "gauge", "Build information.", [(f'{{version="{__version__}"}}', 1)])
    metric(
        "arxiv_bot_uptime_seconds", "gauge", "Seconds since start.",
        [("", (now - services.started_at).total_seconds())],
    )  # fmt: skip
    delivery = services.delivery
    if delivery is not None:
        c = delivery.counters
        metric(
            "arxiv_bot_digests_total", "counter", "Digests by outcome since start.",
            [('{outcome="delivered"}', c.delivered), ('{outcome="failed"}', c.failed),
             ('{outcome="skipped"}', c.skipped)],
        )  # fmt: skip
        metric(
            "arxiv_bot_digest_failures_total", "counter", "Failed digests by reason.",
            [(f'{{reason="{k}"}}', v) for k, v in sorted(c.failures_by_reason.items())],
        )  # fmt: skip
        metric("arxiv_bot_messages_total", "counter", "Digest messages sent.", [("", c.messages)])
    pending = await store.pending_deliveries(now, limit=1_000_000)
    metric("arxiv_bot_queue_depth", "gauge", "Digests due and not yet sent.", [("", len(pending))])
    usage = await store.llm_usage(usage_day(now))
    metric("arxiv_bot_llm_calls_today", "gauge", "Model calls this UTC day.", [("", usage.calls)])
    metric(
        "arxiv_bot_llm_tokens_today", "gauge", "Model tokens this UTC day.",
        [('{kind="prompt"}', usage.prompt_tokens),
         ('{kind="completion"}', usage.completion_tokens)],
    )  # fmt: skip
    batch = await store.latest_batch()
    if batch is not None:
        metric(
            "arxiv_bot_last_fetch_timestamp_seconds", "gauge",
            "When the latest announcement was fetched.", [("", batch.fetched_at.timestamp())],
        )  # fmt: skip
    return "\n".join(lines) + "\n"


class HttpServer:
    def __init__(self, app: web.Application, host: str, port: int) -> None:
        # At shutdown, requests in progress get two seconds (aiohttp's default is a minute).
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        self.host = host
        self.port = port

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # the system picked a free port: say which
            self.port = int(self._runner.addresses[0][1])
        log.info("HTTP on http://%s:%d (/healthz, /metrics)", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
