"""The settings of a whole bot: the core's, plus each platform's (declared beside its
adapter), loaded together from the environment and the config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.discord.settings import DiscordSettings
from adapters.telegram.settings import TelegramSettings
from bot.config import Settings, load_settings


class AppSettings(TelegramSettings, DiscordSettings, Settings):
    """Everything ``arxiv-bot`` reads; the core sees it as its :class:`Settings`."""


def load_app_settings(config_path: str | Path | None = None, **overrides: Any) -> AppSettings:
    settings = load_settings(config_path, model=AppSettings, **overrides)
    assert isinstance(settings, AppSettings)
    return settings
