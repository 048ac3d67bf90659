"""Shared fixtures. Every server a test talks to is a local fake on 127.0.0.1."""

from __future__ import annotations

import os
from datetime import date

import pytest

from bot.model.papers import AnnounceType, Paper
from tests.environment import is_bot_setting

pytest_plugins = ["tests.postgres"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting of the developer's environment reaches a test (see tests/environment.py)."""
    for name in list(os.environ):
        if is_bot_setting(name):
            monkeypatch.delenv(name)


def make_paper(
    arxiv_id: str = "2611.00001",
    title: str = "A paper",
    abstract: str = "An abstract.",
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    announce_type: AnnounceType = "new",
    version: int = 1,
    authors: tuple[str, ...] = ("Ada Lovelace",),
) -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=categories,
        announce_type=announce_type,
        published=date(2026, 11, 24),
    )
