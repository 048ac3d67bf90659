"""Settings: environment variables over an optional config file over defaults.

The config file is TOML (``--config PATH`` or ``ARXIV_BOT_CONFIG``) with the field names below
as keys, or the legacy script's ``config.json``, mapped so that migrating users keep their
categories, keywords, excludes, limits and summary settings. Everything is validated once, at
start, and a bad value is reported with the key that holds it.

Environment names: every endpoint and secret has the name the operator expects
(``ARXIV_FEED_URL``, ``OPENAI_API_KEY``, ``DATABASE_URL``...); every other setting is
``ARXIV_BOT_<FIELD>`` (``ARXIV_BOT_CATEGORIES=cs.AI,cs.LG``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.arxiv import taxonomy
from bot.errors import ConfigurationError
from bot.model.profile import Profile
from bot.model.subscriptions import InterestsError, normalize_interests
from bot.ranking.authors import AuthorNameError, normalize_followed
from bot.ranking.keywords import KeywordError, normalize_keywords

DEFAULT_CATEGORIES = ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
CONFIG_ENV = "ARXIV_BOT_CONFIG"
SECRET_ENV = (
    "OPENAI_API_KEY",
    "TELEGRAM_BOT_TOKEN",
    "DISCORD_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "FEED_TOKEN_SECRET",
)
"""Variables whose values are secrets, known before the settings are read (a setting that
fails to validate must not leak the others in its error)."""

_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("_FILE_DATA", default=None)


class ConfigError(ConfigurationError, ValueError):
    """A configuration problem, phrased for the operator (one line per bad key)."""


def env_alias(name: str, field_name: str) -> Any:
    """Accept the field name (config file) and the conventional variable name (environment)."""
    return AliasChoices(field_name, name)


def _split_list(value: Any, *, on_spaces: bool) -> Any:
    """A list setting as the environment gives it: a JSON list, or items separated by commas
    (and by whitespace too where no item can contain a space: ids, categories)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON list ({exc.msg}); or write a comma list") from exc
    parts = text.replace(",", " ").split() if on_spaces else text.split(",")
    return [part.strip() for part in parts if part.strip()]


def _words(value: Any) -> Any:
    """Items that never hold a space: commas or whitespace separate them."""
    return _split_list(value, on_spaces=True)


def _phrases(value: Any) -> Any:
    """Items that may be phrases (keywords): only commas separate them."""
    return _split_list(value, on_spaces=False)


WordList = Annotated[list[str], NoDecode, BeforeValidator(_words)]
PhraseList = Annotated[list[str], NoDecode, BeforeValidator(_phrases)]


def _whole_numbers(value: Any) -> Any:
    """:func:`_words`, refusing JSON's true and false (which would read as 1 and 0)."""
    items = _words(value)
    if isinstance(items, list) and any(isinstance(item, bool) for item in items):
        raise ValueError("expected whole numbers, not true or false")
    return items


IntList = Annotated[list[int], NoDecode, BeforeValidator(_whole_numbers)]
SnowflakeList = Annotated[
    list[Annotated[int, Field(gt=0, lt=2**64)]], NoDecode, BeforeValidator(_whole_numbers)
]
"""Discord ids (servers, users): positive 64-bit numbers."""
_OPERATOR_ID = re.compile(r"[\w.@-]+")
_NUMERIC_IDS = ("telegram", "discord")


class Settings(BaseSettings):
    """Operator settings. Chats override the digest defaults for themselves."""

    model_config = SettingsConfigDict(
        env_prefix="ARXIV_BOT_",
        extra="forbid",
        populate_by_name=True,
        validate_default=True,
        allow_inf_nan=False,  # "1e999" reads as infinity: no timeout, no score passes
    )

    # --- digest defaults -----------------------------------------------------------------
    categories: WordList = Field(default_factory=lambda: list(DEFAULT_CATEGORIES))
    keywords: PhraseList = Field(default_factory=list)
    exclude_keywords: PhraseList = Field(default_factory=list)
    authors: PhraseList = Field(default_factory=list)
    """Followed authors (``Yann LeCun``, ``Li!`` for every Li): their papers of the
    categories are always in the digest. In the environment a JSON list keeps the
    ``LeCun, Yann`` form whole."""
    max_papers: int = Field(30, ge=1, le=200)
    chat_max_papers: int = Field(10, ge=1, le=50)
    """Papers per chat digest (a chat reads fewer than a README)."""
    min_score: float = Field(0.0, ge=0)
    include_cross: bool = False
    scoring: Literal["words", "substring"] = "words"
    """``words``: whole words, phrases and plurals; ``substring``: the legacy script's numbers."""
    interests: str = ""
    """The default reader's interests in words (CLI digests, public feeds): papers close to
    them rank higher."""

    # --- delivery defaults ---------------------------------------------------------------
    delivery_time: str = "08:00"
    timezone: str = "UTC"
    delivery_in_flight: int = Field(1, ge=1, le=64)
    """Messages sent but not yet recorded in the ledger at once, across all chats: at most
    this many can be sent twice after a crash. Raise it on high-latency links for speed."""
    delivery_grace_hours: float | None = Field(None, gt=0)
    """How late a missed digest may still go out (after a restart); unset: until the end of
    the subscriber's local day. Later than that it is skipped, never sent days late."""

    # --- summaries -------------------------------------------------------------------------
    summaries_enabled: bool = True
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=env_alias("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=env_alias("OPENAI_BASE_URL", "openai_base_url")
    )
    llm_model: str = "gpt-4o-mini"
    embedding_backend: Literal["endpoint", "local", "off"] = "endpoint"
    """How papers are compared with interests by meaning: an OpenAI-compatible
    ``/v1/embeddings`` (with ``OPENAI_API_KEY``), a local sentence-transformers model (the
    ``local-embeddings`` extra), or neither; without one, interests match by words (BM25)."""
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    """Defaults to ``OPENAI_BASE_URL``."""
    embedding_batch: int = Field(128, ge=1, le=2048)
    """Texts per embeddings request."""
    llm_temperature: float = Field(0.3, ge=0, le=2)
    summary_language: str = "en"
    summary_prompt_file: Path | None = None
    max_papers_to_summarize: int = Field(15, ge=0, le=200)
    summary_workers: int = Field(3, ge=1, le=64)
    """Model calls in flight at once (the legacy ``max_workers``)."""
    summary_terms_in_english: bool = True
    """Keep technical terms in English in other languages (the legacy Chinese style)."""
    summary_input_chars: int = Field(60_000, ge=2_000)
    """Budget for the paper text sent to the model (about 4 characters per token)."""
    summary_deadline: float = Field(300.0, gt=0)
    """Seconds a digest waits for summaries before it goes out with abstract TL;DRs."""
    llm_timeout: float = Field(120.0, gt=0)
    llm_retries: int = Field(3, ge=0, le=10)
    llm_max_tokens: int = Field(1500, ge=100)
    llm_max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """OpenAI's newest models want ``max_completion_tokens``; most compatible servers the other."""
    llm_daily_calls: int = Field(1000, ge=0)
    llm_daily_tokens: int = Field(5_000_000, ge=0)
    """Hard caps per UTC day; new summaries wait for the next day once one is reached."""
    summaries_per_user_per_day: int = Field(20, ge=0)
    expensive_per_user_per_minute: int = Field(6, ge=1, le=10_000)
    """/digest, /summarize and summary buttons one person may start per minute; a chat runs
    the same one once at a time (floods must not slow everyone else's answers)."""
    """On-demand summaries one person may cause per day (cached ones are free)."""

    # --- arXiv endpoints and politeness ----------------------------------------------------
    arxiv_feed_url: str = Field(
        "https://rss.arxiv.org/rss/{categories}",
        validation_alias=env_alias("ARXIV_FEED_URL", "arxiv_feed_url"),
    )
    arxiv_api_url: str = Field(
        "https://export.arxiv.org/api/query",
        validation_alias=env_alias("ARXIV_API_URL", "arxiv_api_url"),
    )
    arxiv_pdf_url: str = Field(
        "https://arxiv.org/pdf/{id}", validation_alias=env_alias("ARXIV_PDF_URL", "arxiv_pdf_url")
    )
    arxiv_html_url: str = Field(
        "https://arxiv.org/html/{id}",
        validation_alias=env_alias("ARXIV_HTML_URL", "arxiv_html_url"),
    )
    arxiv_request_interval: float = Field(3.0, ge=0)
    """arXiv asks for one request every 3 seconds, over a single connection."""
    arxiv_retries: int = Field(4, ge=0, le=20)
    arxiv_retry_delay: float = Field(5.0, ge=0)
    """First back-off delay; doubled on every retry, capped at 120 s."""
    http_timeout: float = Field(30.0, gt=0)

    platform_retry_seconds: float = Field(5.0, gt=0)
    """First pause before a chat platform unreachable at start is tried again; the pauses
    double (with jitter) up to ``platform_retry_max_seconds``."""
    platform_retry_max_seconds: float = Field(300.0, gt=0)
    heartbeat_seconds: float = Field(10.0, ge=0.1, le=60)
    """Instances sharing a database: how often each tries to lead and beats. A dead
    leader is replaced within this; a dead instance's digests and summaries are taken over
    once its leases (three beats) run out."""
    # --- operations --------------------------------------------------------------------------
    operators: WordList = Field(default_factory=list)
    """Who may use /status: ``platform:user_id`` entries (``telegram:12345,discord:678``)."""
    http_port: int | None = Field(None, ge=1, le=65535)
    """Opens /healthz, /metrics (and the feeds) on this port; off when unset."""
    http_host: str = "127.0.0.1"
    http_read_timeout: float = Field(10.0, gt=0, le=3600)
    """Seconds a connection may take to send a request (and may stay idle between two):
    slower ones are closed, so half-open requests cannot pile up."""
    http_max_connections: int = Field(256, ge=1, le=10_000)
    """Open connections at most; a new one beyond closes the oldest."""
    public_url: str | None = Field(None, validation_alias=env_alias("PUBLIC_URL", "public_url"))
    """Where the HTTP port is reachable from outside (``https://bot.example.org``): /feed
    answers with URLs under it."""
    feed_token_secret: SecretStr | None = Field(
        None, validation_alias=env_alias("FEED_TOKEN_SECRET", "feed_token_secret")
    )
    """Key of private feed tokens; unset: a key file next to the database."""

    # --- storage ---------------------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///data/arxiv-bot.db", validation_alias=env_alias("DATABASE_URL", "database_url")
    )

    def secret_values(self) -> list[str]:
        """Every secret (every ``SecretStr`` setting, the platforms' included, and the
        database password), so logging can redact it wherever it shows up."""
        fields = (getattr(self, name) for name in type(self).model_fields)
        values = [v.get_secret_value() for v in fields if isinstance(v, SecretStr) and v]
        password = urlsplit(self.database_url).password
        if password:
            values.append(unquote(password))
            values.append(password)
        return values

    @field_validator("database_url")
    @classmethod
    def _readable_url(cls, value: str) -> str:
        """A URL that cannot be read (an unclosed ``[`` of an IPv6 host, a port that is not
        a number) is named here, once, not met later as a crash wherever it is read."""
        try:
            parts = urlsplit(value)
            _ = parts.port, parts.hostname, parts.password
        except ValueError as exc:
            raise ValueError(
                f"not a database URL ({exc}); write sqlite:///path, or a postgresql:// URL "
                "with its host, port and database"
            ) from None
        return value

    @field_validator("operators")
    @classmethod
    def _platform_user_ids(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for raw in value:
            platform, sep, user = (part.strip() for part in raw.partition(":"))
            platform = platform.lower()
            numeric = platform not in _NUMERIC_IDS or (user.isascii() and user.isdecimal())
            if not (sep and platform.isalpha() and _OPERATOR_ID.fullmatch(user) and numeric):
                raise ValueError(
                    f"{raw!r} is not platform:user_id, e.g. telegram:123 (Telegram and "
                    "Discord ids are numbers; separate entries with commas or spaces)"
                )
            entry = f"{platform}:{user}"
            if entry not in out:
                out.append(entry)
        return out

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for raw in value:
            cid = taxonomy.canonical(raw)
            if cid is None:
                hint = taxonomy.suggest(raw)
                tip = f" (did you mean {', '.join(hint)}?)" if hint else ""
                raise ValueError(f"unknown arXiv category {raw!r}{tip}")
            if cid not in out:
                out.append(cid)
        if not out:
            raise ValueError("at least one category is needed")
        return out

    @field_validator("keywords", "exclude_keywords")
    @classmethod
    def _clean_keywords(cls, value: list[str]) -> list[str]:
        try:
            return normalize_keywords(value)
        except KeywordError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("interests")
    @classmethod
    def _clean_interests(cls, value: str) -> str:
        try:
            return normalize_interests(value)
        except InterestsError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("authors")
    @classmethod
    def _followed_authors(cls, value: list[str]) -> list[str]:
        try:
            return normalize_followed(value)
        except AuthorNameError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("delivery_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not a time of day like 08:30")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @field_validator("summary_prompt_file")
    @classmethod
    def _readable_prompt(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"prompt file {str(value)!r} does not exist")
        return value

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone like Europe/Berlin") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = InitSettingsSource(settings_cls, init_kwargs=_FILE_DATA.get() or {})
        return (init_settings, env_settings, file_source)


def legacy_to_settings(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Map the legacy script's ``config.json`` onto our setting names."""
    known = {"categories", "keywords", "exclude_keywords", "max_papers", "min_score"}
    out: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    summary = data.get("ai_summary") or {}
    if not isinstance(summary, dict):
        raise ConfigError('ai_summary: expected an object of settings, e.g. {"enabled": true}')
    for name in ("base_url", "model", "prompt_file", "api_key_env"):
        if summary.get(name) is not None and not isinstance(summary[name], str):
            raise ConfigError(f"ai_summary.{name}: expected text, not {summary[name]!r}")
    if "enabled" in summary:
        out["summaries_enabled"] = bool(summary["enabled"])
    if summary.get("base_url"):
        out["openai_base_url"] = summary["base_url"]
    if summary.get("model"):
        out["llm_model"] = summary["model"]
    if summary.get("prompt_file"):
        out["summary_prompt_file"] = str(base_dir / summary["prompt_file"])
    if "max_papers_to_summarize" in summary:
        out["max_papers_to_summarize"] = summary["max_papers_to_summarize"]
    if "max_workers" in summary:
        out["summary_workers"] = summary["max_workers"]
    key_env = summary.get("api_key_env")
    if key_env and os.environ.get(key_env) and not os.environ.get("OPENAI_API_KEY"):
        out["openai_api_key"] = os.environ[key_env]
    if "max_tokens" in summary:
        out["llm_max_tokens"] = summary["max_tokens"]
    if "temperature" in summary:
        out["llm_temperature"] = summary["temperature"]
    return out


def read_config_file(path: Path) -> dict[str, Any]:
    """A TOML file, or the legacy JSON (recognised by its ``.json`` suffix)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a config file (it is not UTF-8 text)") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a JSON object")
        return legacy_to_settings(data, path.parent)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load_settings(
    config_path: str | Path | None = None, *, model: type[Settings] = Settings, **overrides: Any
) -> Settings:
    """Build and validate the settings; raise :class:`ConfigError` naming every bad key.

    ``model`` is the composition root's settings class, which adds each platform's settings
    (declared beside its adapter) to the core's."""
    path = config_path or os.environ.get(CONFIG_ENV)
    file_data = read_config_file(Path(path)) if path else {}
    token = _FILE_DATA.set(file_data)
    try:
        return model(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"]) or "settings"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {msg}")
        source = f" (from {path} and the environment)" if path else ""
        raise ConfigError(
            "invalid configuration" + source + ":\n  " + "\n  ".join(lines)
        ) from None
    finally:
        _FILE_DATA.reset(token)


def profile_from_settings(settings: Settings) -> Profile:
    """The operator's default profile (CLI digests, public feeds, new subscriptions)."""
    return Profile(
        categories=tuple(settings.categories),
        keywords=tuple(settings.keywords),
        exclude=tuple(settings.exclude_keywords),
        authors=tuple(settings.authors),
        max_papers=settings.max_papers,
        min_score=settings.min_score,
        include_cross=settings.include_cross,
        interests=settings.interests,
    )
