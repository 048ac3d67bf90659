"""Delivery rounds end to end on PostgreSQL: the same tests as on SQLite (imported from
test_delivery.py), with the pipeline's store on a schema of their own on the test server."""

from __future__ import annotations

import pytest

from tests.delivery.test_delivery import (
    test_a_crash_mid_fan_out_resumes_at_the_first_unsent_message,
    test_one_digest_per_subscription_per_announcement_day_through_ticks_and_restarts,
    test_one_round_sends_a_whole_fan_out_a_share_at_a_time,
    test_rate_limited_and_transient_failures_resume_at_retry_at,
    test_weekly_gets_one_digest_with_the_weeks_best,
)

pytestmark = pytest.mark.postgres

__all__ = [
    "test_a_crash_mid_fan_out_resumes_at_the_first_unsent_message",
    "test_one_digest_per_subscription_per_announcement_day_through_ticks_and_restarts",
    "test_one_round_sends_a_whole_fan_out_a_share_at_a_time",
    "test_rate_limited_and_transient_failures_resume_at_retry_at",
    "test_weekly_gets_one_digest_with_the_weeks_best",
]


@pytest.fixture
def db_path(postgres_url: str) -> str:
    """World opens PostgreSQL when given a URL instead of a file."""
    return postgres_url
