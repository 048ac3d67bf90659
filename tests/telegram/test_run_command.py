"""``arxiv-bot run`` as an operator runs it: the installed console script in a subprocess,
configured by the environment, talking to the fake Bot API server (and the fake arXiv) over
real HTTP; stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bot.commands.router import INTERRUPTED_TEXT
from tests.delivery.processes import bot_env
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.fakes.fake_openai import FakeOpenAIThread
from tests.fakes.fake_telegram import FakeTelegram, FakeTelegramThread
from tests.telegram.support import ATTENTION, TODAY, USER, WAIT

_SCRIPT = Path(sys.executable).parent / "arxiv-bot"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]


def wait_for(
    tg: FakeTelegram, proc: subprocess.Popen[bytes], predicate: Callable[[], bool], log: Path
) -> None:
    """Until ``predicate`` holds for the fake; fails at once if the bot exits first."""

    async def waiting() -> None:
        async with asyncio.timeout(WAIT):
            await tg.wait_until(lambda: predicate() or proc.poll() is not None)

    asyncio.run(waiting())
    assert proc.poll() is None, f"arxiv-bot exited early:\n{log.read_text()[-3000:]}"
    assert predicate()


def start_run(env: dict[str, str], stderr: IO[bytes], cwd: Path) -> subprocess.Popen[bytes]:
    """``arxiv-bot --verbose run``, its log in ``stderr``."""
    return subprocess.Popen(
        [*COMMAND, "--verbose", "run"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        cwd=cwd,
    )


def test_arxiv_bot_run_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    stderr_path = tmp_path / "stderr.log"
    with FakeTelegramThread() as tg, FakeArxivThread(TODAY) as arxiv:
        env = bot_env(tmp_path / "data" / "bot.db", tg, arxiv)
        with stderr_path.open("wb") as stderr:
            proc = start_run(env, stderr, tmp_path)
            try:
                wait_for(tg, proc, lambda: bool(tg.calls_of("getUpdates")), stderr_path)
                assert tg.commands["all_private_chats"], "the menu is published on start"

                tg.send_text(USER, "/start")
                wait_for(tg, proc, lambda: bool(tg.sent_to(USER)), stderr_path)

                proc.send_signal(signal.SIGTERM)
                returncode = proc.wait(timeout=WAIT)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    log = stderr_path.read_text()
    assert returncode == 0, log[-3000:]
    [answer] = tg.sent_to(USER)
    assert "I follow arXiv for this chat" in answer.text
    assert not tg.rejections
    assert "signed in as @arxiv_test_bot" in log
    # Nothing went wrong on the Telegram side. (A delivery job still running at SIGTERM is
    # cancelled by the scheduler's shutdown and logged as an error: not Telegram's.)
    errors = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert not [e for e in errors if " telegram" in e or " adapters." in e], errors
    assert tg.token not in log
    assert tg.token.split(":", 1)[1] not in log
    assert not tg.pending_updates, "the last poll confirmed every update before exiting"


def test_a_command_cut_short_by_sigterm_is_answered_that_the_bot_is_restarting(
    tmp_path: Path,
) -> None:
    """A /summarize waits for the model when SIGTERM arrives: the shutdown cancels it within
    seconds, and whoever asked is told to send it again rather than left waiting."""
    stderr_path = tmp_path / "stderr.log"
    with (
        FakeTelegramThread() as tg,
        FakeArxivThread(TODAY, [ATTENTION]) as arxiv,
        FakeOpenAIThread() as llm,
    ):
        llm.hold()  # the model never answers: the command is in progress at SIGTERM
        env = bot_env(
            tmp_path / "data" / "bot.db",
            tg,
            arxiv,
            OPENAI_API_KEY="sk-test",
            OPENAI_BASE_URL=llm.base_url,
        )
        with stderr_path.open("wb") as stderr:
            proc = start_run(env, stderr, tmp_path)
            try:
                wait_for(tg, proc, lambda: bool(tg.calls_of("getUpdates")), stderr_path)
                tg.send_text(USER, f"/summarize {ATTENTION.arxiv_id}")

                async def model_called() -> None:
                    async with asyncio.timeout(WAIT):
                        await llm.wait_for_attempts(1)

                asyncio.run(model_called())
                proc.send_signal(signal.SIGTERM)
                returncode = proc.wait(timeout=WAIT)
            finally:
                llm.release()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    log = stderr_path.read_text()
    assert returncode == 0, log[-3000:]
    *_, last = tg.sent_to(USER)
    assert last.text == INTERRUPTED_TEXT, log[-3000:]
    assert not tg.rejections
    errors = [line for line in log.splitlines() if " ERROR " in line or " CRITICAL " in line]
    assert not [e for e in errors if " telegram" in e or " adapters." in e], errors
