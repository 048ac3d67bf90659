"""Command flows end to end on PostgreSQL: the same tests as on SQLite (imported from their
modules), with ``DATABASE_URL`` naming a schema of their own on the test server."""

from __future__ import annotations

import pytest

from tests.commands.test_persistence_and_concurrency import (
    test_concurrent_changes_to_one_chat_are_all_kept,
    test_many_chats_at_once_do_not_interfere,
    test_settings_survive_a_restart,
)
from tests.commands.test_subscription_commands import (
    test_keywords_add_remove_set_clear,
    test_subscribe_categories,
    test_unsubscribe,
)

pytestmark = pytest.mark.postgres

__all__ = [
    "test_concurrent_changes_to_one_chat_are_all_kept",
    "test_keywords_add_remove_set_clear",
    "test_many_chats_at_once_do_not_interfere",
    "test_settings_survive_a_restart",
    "test_subscribe_categories",
    "test_unsubscribe",
]


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url
