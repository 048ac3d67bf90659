"""The bot's one HTTP port (``ARXIV_BOT_HTTP_PORT``): health, Prometheus metrics, and later the
feeds. Everything it answers is read from the store and counters; it never calls arXiv or the
model, so nothing a request sends can slow the bot down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import BaseRequest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot import __version__
from bot.errors import ConfigurationError
from bot.model.store import StoreError
from bot.model.summaries import usage_day
from bot.services import Services

log = logging.getLogger(__name__)

Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]

SERVER_NAME = "arxiv-digest-bot"
"""The ``Server`` header: no version, which would only help an attacker pick an exploit."""
READ_TIMEOUT = 10.0
MAX_CONNECTIONS = 256


def make_app(services: Services, extra_routes: list[Route] | None = None) -> web.Application:
    app = web.Application(middlewares=[_plain_errors])
    app.on_response_prepare.append(_server_header)
    registry = CollectorRegistry(auto_describe=False)
    snapshot = _Snapshot()
    registry.register(snapshot)

    async def healthz(_: web.Request) -> web.Response:
        problems = await health_problems(services)
        if problems:
            text = "".join(f"unhealthy: {line}\n" for line in problems)
            return web.Response(status=503, text=text, content_type="text/plain", charset="utf-8")
        return web.Response(text="ok\n", content_type="text/plain", charset="utf-8")

    async def metrics(_: web.Request) -> web.Response:
        snapshot.families = await metric_families(services)
        # No await between filling the snapshot and reading it: scrapes cannot mix.
        body = generate_latest(registry)
        return web.Response(
            body=body,
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Version": "0.0.4"},
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for method, path, handler in extra_routes or []:
        if method == "GET":  # and HEAD, which HTTP requires wherever GET is served
            app.router.add_get(path, handler)
        else:
            app.router.add_route(method, path, handler)
    return app


async def health_problems(services: Services) -> list[str]:
    """Why the bot does not work (empty when it does): the database, the scheduled jobs, and
    the chat platforms (see :mod:`bot.services.health`). An orchestrator restarts the bot on
    the 503 this turns into. A platform still unreachable after its first retries is an
    outage: its digests are not going out, even though the feeds and the other platform run."""
    problems: list[str] = []
    try:
        await services.store.check()
    except StoreError as exc:
        problems.append(str(exc))
    platforms = [p.describe() for p in services.platforms.values() if not p.healthy]
    return problems + services.health.problems() + platforms


async def _server_header(_: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME


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


class _Snapshot(Collector):
    """The registry's one collector: the families read from the store for this scrape (a
    collector's ``collect`` cannot await the store itself)."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        return list(self.families)


def _counter(
    name: str, help_text: str, samples: Iterable[tuple[list[str], float]], labels: list[str]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


def _gauge(
    name: str, help_text: str, samples: Iterable[tuple[list[str], float]], labels: list[str]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


async def metric_families(services: Services) -> list[Metric]:
    """Every metric, read at scrape time; prometheus_client writes them (full precision)."""
    store = services.store
    now = datetime.now(UTC)
    families: list[Metric] = [
        _gauge("arxiv_bot_info", "Build information.", [([__version__], 1)], ["version"]),
        _gauge(
            "arxiv_bot_uptime_seconds", "Seconds since start.",
            [([], (now - services.started_at).total_seconds())], [],
        ),
    ]  # fmt: skip
    delivery = services.delivery
    if delivery is not None:
        c = delivery.counters
        families += [
            _counter(
                "arxiv_bot_digests_total", "Digests by outcome since start.",
                [(["delivered"], c.delivered), (["failed"], c.failed),
                 (["skipped"], c.skipped)], ["outcome"],
            ),
            _counter(
                "arxiv_bot_digest_failures_total", "Failed digests by reason.",
                [([k], v) for k, v in sorted(c.failures_by_reason.items())], ["reason"],
            ),
            _counter("arxiv_bot_messages_total", "Digest messages sent.", [([], c.messages)], []),
        ]  # fmt: skip
    pending = await store.pending_deliveries(now, limit=1_000_000)
    usage = await store.llm_usage(usage_day(now))
    families += [
        _gauge("arxiv_bot_queue_depth", "Digests due and not yet sent.", [([], len(pending))], []),
        _gauge("arxiv_bot_llm_calls_today", "Model calls this UTC day.", [([], usage.calls)], []),
        _gauge(
            "arxiv_bot_llm_tokens_today", "Model tokens this UTC day.",
            [(["prompt"], usage.prompt_tokens), (["completion"], usage.completion_tokens)],
            ["kind"],
        ),
    ]  # fmt: skip
    numbers = await store.number_totals()
    families.append(
        _counter(
            "arxiv_bot_summary_numbers_total",
            "Numbers in stored summaries, checked against the paper: found, supported by it, "
            "corrected by the model's second call, marked as not found in it.",
            [(["found"], numbers.found), (["supported"], numbers.supported),
             (["corrected"], numbers.corrected), (["marked"], numbers.marked)],
            ["outcome"],
        )
    )  # fmt: skip
    instances = await services.instances()
    if instances:
        families += [
            _gauge(
                "arxiv_bot_instance_leader",
                "Each instance sharing the database (seen in the last two minutes): 1 for the "
                "one that leads (fetches, schedules, polls Telegram), 0 for the others.",
                [([i.id], int(i.leader)) for i in instances],
                ["instance"],
            ),
            _gauge(
                "arxiv_bot_instance_last_seen_timestamp_seconds",
                "Each instance's last heartbeat (every 10 s).",
                [([i.id], i.last_seen.timestamp()) for i in instances],
                ["instance"],
            ),
        ]
    families.append(
        _gauge(
            "arxiv_bot_instance",
            "The instance that answered this scrape.",
            [([store.instance_id], 1)],
            ["instance"],
        )
    )
    batch = await store.latest_batch()
    if batch is not None:
        families.append(
            _gauge(
                "arxiv_bot_last_fetch_timestamp_seconds",
                "When the latest announcement was fetched.",
                [([], batch.fetched_at.timestamp())],
                [],
            )
        )
    return families


class _Handler(web.RequestHandler):
    """aiohttp's connection handler, for what it answers itself (a malformed request, a line
    too long): no version in its ``Server`` header either, and one log line, not a traceback,
    for what any client on the internet can send."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        response = super().handle_error(request, status, exc, message)
        response.headers["Server"] = SERVER_NAME
        return response

    def log_exception(self, *args: Any, **kw: Any) -> None:
        error = kw.get("exc_info")
        if isinstance(error, HttpProcessingError):
            log.info("bad HTTP request: %s", " ".join(str(error).split())[:200])
        else:
            super().log_exception(*args, **kw)


class HttpServer:
    """The port, hardened for the open internet: a connection has ``read_timeout`` seconds to
    send its request (and may stay idle that long between requests), and at most
    ``max_connections`` are open; a new one beyond closes the oldest, so slow or half-open
    clients can neither exhaust the process's files nor starve /healthz."""

    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        *,
        read_timeout: float = READ_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        # At shutdown, requests in progress get two seconds (aiohttp's default is a minute).
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        self.host = host
        self.port = port
        self.read_timeout = read_timeout
        self.max_connections = max_connections
        self._listener: asyncio.Server | None = None

    async def start(self) -> None:
        await self._runner.setup()
        loop = asyncio.get_running_loop()
        try:
            self._listener = await loop.create_server(self._connection, self.host, self.port)
        except OSError as exc:  # a name that does not resolve, a port taken or forbidden
            await self._runner.cleanup()
            reason = exc.strerror or str(exc)
            raise ConfigurationError(
                f"cannot listen on {self.host}:{self.port} ({reason}): check "
                "ARXIV_BOT_HTTP_HOST and ARXIV_BOT_HTTP_PORT (is another program on that port?)"
            ) from None
        if self.port == 0:  # the system picked a free port: say which
            self.port = int(self._listener.sockets[0].getsockname()[1])
        log.info("HTTP on http://%s:%d (/healthz, /metrics)", self.host, self.port)

    def _connection(self) -> asyncio.Protocol:
        """A handler for each accepted connection; at the cap, the oldest open one goes."""
        server = self._runner.server
        assert server is not None
        open_ones = [
            handler
            for handler in server.connections
            if handler.transport is not None and not handler.transport.is_closing()
        ]
        if len(open_ones) >= self.max_connections:
            open_ones[0].force_close()
        # aiohttp's keep-alive timer also runs from the moment a connection opens until its
        # first request is complete: it is the header timeout too.
        return _Handler(
            server,
            loop=asyncio.get_running_loop(),
            keepalive_timeout=self.read_timeout,
            access_log=None,  # type: ignore[arg-type]  # documented: None turns it off
        )

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        await self._runner.cleanup()
