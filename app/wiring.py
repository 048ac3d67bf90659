"""The composition root: concrete services (database, arXiv clients) for the core."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from openai import AsyncOpenAI

from adapters.pacing import SharedSlots
from app.instances import LEASE_BEATS, InstanceBeat
from app.model_http import DeadlineHttpClient
from app.settings import AppSettings
from bot.arxiv.announcements import AnnouncementSource, CachedAnnouncements
from bot.arxiv.api import ArxivApi
from bot.arxiv.transport import ArxivHttp
from bot.commands import CommandRouter
from bot.config import Settings
from bot.contract.adapter import Adapter
from bot.delivery.chat_events import ChatEvents
from bot.delivery.operator_alerts import OperatorAlerts
from bot.delivery.planner import SummaryPlanner
from bot.delivery.service import DeliveryService
from bot.feeds.tokens import load_or_create_secret
from bot.model.store import Store
from bot.services import Services, utc_now
from bot.summaries.embeddings import (
    Embedder,
    EmbeddingBackend,
    EndpointEmbeddings,
    LocalEmbeddings,
)
from bot.summaries.fulltext import FullTextSource
from bot.summaries.prompt import instructions
from bot.summaries.summarizer import Summarizer
from storage import is_postgres_url, open_store, sqlite_path
from storage.leadership import leadership_for


def make_http(settings: Settings) -> ArxivHttp:
    return ArxivHttp(
        interval=settings.arxiv_request_interval,
        retries=settings.arxiv_retries,
        retry_delay=settings.arxiv_retry_delay,
        timeout=settings.http_timeout,
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Everything the core needs, closed in reverse order on the way out."""
    # A lease outlives two missed heartbeats: only a dead instance's work is taken over.
    lease = timedelta(seconds=LEASE_BEATS * settings.heartbeat_seconds)
    store = await open_store(settings.database_url, lease=lease)
    http = make_http(settings)
    api = ArxivApi(http, settings.arxiv_api_url, timeout=settings.http_timeout)
    client = make_llm_client(settings)
    embedding_client = make_embedding_client(settings)
    source = AnnouncementSource(http, settings.arxiv_feed_url)
    try:
        yield Services(
            settings=settings,
            store=store,
            announcements=CachedAnnouncements(source),
            feed=source,
            papers=api,
            summarizer=make_summarizer(settings, store, http, client),
            feed_secret=feed_secret(settings),
            embedder=make_embedder(settings, store, embedding_client),
        )
    finally:
        if embedding_client is not None:
            await embedding_client.close()
        if client is not None:
            await client.close()
        api.close()
        await http.aclose()
        await store.close()


def feed_secret(settings: Settings) -> bytes:
    if settings.feed_token_secret is not None:
        return settings.feed_token_secret.get_secret_value().encode()
    # Beside an SQLite file; for PostgreSQL in the working directory's data/ (instances that
    # share a database must share FEED_TOKEN_SECRET instead).
    url = settings.database_url
    folder = Path("data") if is_postgres_url(url) else Path(sqlite_path(url)).parent
    return load_or_create_secret(folder / "feed-secret")


def summaries_configured(settings: Settings) -> bool:
    return settings.openai_api_key is not None and settings.summaries_enabled


def make_llm_client(settings: Settings) -> AsyncOpenAI | None:
    """None without an API key (or with summaries disabled): the bot then shows labelled
    abstract extracts instead of summaries."""
    if settings.openai_api_key is None or not summaries_configured(settings):
        return None
    return AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        http_client=DeadlineHttpClient(settings.llm_timeout),
    )


def make_embedding_client(settings: Settings) -> AsyncOpenAI | None:
    """The embeddings endpoint's client (``embedding_base_url``, else ``OPENAI_BASE_URL``);
    None without an API key or with another backend."""
    if settings.embedding_backend != "endpoint" or settings.openai_api_key is None:
        return None
    return AsyncOpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.embedding_base_url or settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        http_client=DeadlineHttpClient(settings.llm_timeout),
    )


def make_embedder(settings: Settings, store: Store, client: AsyncOpenAI | None) -> Embedder | None:
    """None: interests match by words (BM25), which needs nothing."""
    backend: EmbeddingBackend
    if settings.embedding_backend == "local":
        backend = LocalEmbeddings(settings.embedding_model)
    elif client is not None:
        backend = EndpointEmbeddings(client, settings.embedding_model)
    else:
        return None
    return Embedder(
        backend,
        store,
        clock=utc_now,
        batch=settings.embedding_batch,
        daily_calls=settings.llm_daily_calls,
        daily_tokens=settings.llm_daily_tokens,
    )


def make_summarizer(
    settings: Settings, store: Store, http: ArxivHttp, client: AsyncOpenAI | None
) -> Summarizer:
    return Summarizer(
        store=store,
        fulltext=FullTextSource(http, settings.arxiv_html_url, settings.arxiv_pdf_url),
        client=client,
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        max_tokens_param=settings.llm_max_tokens_param,
        workers=settings.summary_workers,
        input_chars=settings.summary_input_chars,
        instruction_text=instructions(settings.summary_prompt_file),
        terms_in_english=settings.summary_terms_in_english,
        daily_calls=settings.llm_daily_calls,
        daily_tokens=settings.llm_daily_tokens,
        per_user_per_day=settings.summaries_per_user_per_day,
        clock=utc_now,
    )


@runtime_checkable
class Component(Protocol):
    """Something ``arxiv-bot run`` starts and stops (adapters, the HTTP port)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def shared_slots(services: Services) -> SharedSlots | None:
    """The platforms' limits are the bot's: instances that share a database (PostgreSQL)
    reserve their sends in it; a single instance paces in memory."""
    store = services.store
    return store if isinstance(store, SharedSlots) else None


def webhook_secret(settings: AppSettings) -> str:
    """``TELEGRAM_WEBHOOK_SECRET``; unset, a new one at each start, or for instances sharing
    a database (and the webhook) one they all derive from the token."""
    from adapters.telegram.adapter import new_webhook_secret, shared_webhook_secret

    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    if settings.telegram_bot_token is not None and is_postgres_url(settings.database_url):
        return shared_webhook_secret(settings.telegram_bot_token.get_secret_value())
    return new_webhook_secret()


def build_adapters(
    settings: AppSettings, services: Services, alerts: OperatorAlerts | None = None
) -> list[Adapter]:
    """The chat platforms whose tokens are set; an adapter without a token is not started.
    ``alerts`` hears of chats that become unusable (the operators are told)."""
    router = CommandRouter(services)
    events = ChatEvents(services.store, alerts)
    adapters: list[Adapter] = []
    if settings.telegram_bot_token is not None:
        from adapters.telegram import TelegramAdapter, WebhookConfig

        webhook = None
        if settings.telegram_webhook_url:
            webhook = WebhookConfig(
                url=settings.telegram_webhook_url,
                secret=webhook_secret(settings),
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
            )
        adapters.append(
            TelegramAdapter(
                token=settings.telegram_bot_token.get_secret_value(),
                router=router,
                events=events,
                api_url=settings.telegram_api_url,
                webhook=webhook,
                admin_cache_seconds=settings.admin_cache_seconds,
                # Instances sharing a database: one polls (the leader), the others send.
                poll_when_leading=is_postgres_url(settings.database_url),
                shared=shared_slots(services),
            )
        )
    if settings.discord_bot_token is not None:
        from adapters.discord import DiscordAdapter

        adapters.append(
            DiscordAdapter(
                token=settings.discord_bot_token.get_secret_value(),
                router=router,
                events=events,
                api_url=settings.discord_api_url,
                gateway_url=settings.discord_gateway_url,
                guild_ids=settings.discord_guild_ids,
                sync_commands=settings.discord_sync_commands,
                shard_count=settings.discord_shard_count,
                shard_ids=settings.discord_shard_ids,
                shared=shared_slots(services),
            )
        )
    return adapters


def make_delivery(services: Services, adapters: Sequence[Adapter]) -> DeliveryService:
    return DeliveryService(
        settings=services.settings,
        store=services.store,
        announcements=services.feed or services.announcements,
        summarizer=services.summarizer,
        senders={a.platform: a for a in adapters},
        clock=services.clock,
        embedder=services.embedder,
    )


def make_planner(services: Services, delivery: DeliveryService) -> SummaryPlanner:
    """Summaries made ahead of the digests: replanned when a batch is stored, a command
    saves a subscription or a /digest waits for summaries (completed in place, as the
    digests are); ``arxiv-bot run`` starts and stops it."""
    planner = SummaryPlanner(
        settings=services.settings,
        store=services.store,
        summarizer=services.summarizer,
        clock=services.clock,
        embedder=services.embedder,
        give_way=delivery.not_ranking,
    )
    delivery.batch_stored = planner.replan

    def subscriptions_changed() -> None:
        delivery.subscriptions_changed()
        planner.replan()

    services.replan = subscriptions_changed
    services.live = delivery.live
    return planner


def make_instance_beat(settings: Settings, store: Store) -> InstanceBeat:
    """This instance's heartbeat and leadership on ``DATABASE_URL`` (on SQLite it leads)."""
    leadership = leadership_for(settings.database_url, instance=store.instance_id)
    return InstanceBeat(store, leadership, interval=settings.heartbeat_seconds)
