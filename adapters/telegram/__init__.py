"""Telegram adapter (python-telegram-bot)."""

from adapters.telegram.adapter import TelegramAdapter, TelegramLimits, WebhookConfig

__all__ = ["TelegramAdapter", "TelegramLimits", "WebhookConfig"]
