"""A command that fails in a way it does not answer itself (the database gone, a service
answering nonsense) still answers: whoever asked is told, not left waiting in silence."""

from __future__ import annotations

import pytest

from tests.commands.support import PRIVATE, Bot, is_error, text


async def test_a_command_whose_database_broke_is_answered_with_an_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    await bot.services.store.close()  # the database is gone while the bot runs

    answer = await bot.send(PRIVATE, "/settings")

    assert is_error(answer)
    assert "try again later" in text(answer)
    assert "Traceback" not in text(answer)
    assert any("/settings failed" in r.getMessage() for r in caplog.records)


async def test_a_button_whose_work_broke_is_answered_with_an_apology(bot: Bot) -> None:
    await bot.services.store.close()

    answer = await bot.press(PRIVATE, "sum:2611.00001")

    assert is_error(answer)
