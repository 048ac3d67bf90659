"""``arxiv-bot run`` as a real process for the single-instance and crash tests: its
environment points it at the local fakes (Telegram, arXiv) and a database in ``tmp_path``;
no API key, so summaries are abstract extracts."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from bot.model.subscriptions import Subscription
from storage import SqliteStore
from tests.environment import clean_environ
from tests.fakes.fake_arxiv import FakeArxiv
from tests.fakes.fake_telegram import FakeTelegram

ARXIV_BOT = Path(sys.executable).with_name("arxiv-bot")


def bot_env(db_path: Path, tg: FakeTelegram, arxiv: FakeArxiv, **extra: str) -> dict[str, str]:
    env = clean_environ()
    env.update(
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_API_URL=tg.api_base,
        DATABASE_URL=f"sqlite:///{db_path}",
        ARXIV_FEED_URL=arxiv.feed_url_template,
        ARXIV_API_URL=arxiv.api_url,
        ARXIV_PDF_URL=arxiv.pdf_url_template,
        ARXIV_HTML_URL=arxiv.html_url_template,
        ARXIV_BOT_ARXIV_REQUEST_INTERVAL="0",
        ARXIV_BOT_ARXIV_RETRIES="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class BotProcess:
    """One ``arxiv-bot run``; its stderr goes to a log file (shown when a test fails)."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                str(ARXIV_BOT),
                "run",
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait(self, seconds: float = 20.0) -> int:
        assert self.proc is not None
        async with asyncio.timeout(seconds):
            return await self.proc.wait()

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as in a power cut or the OOM killer."""
        assert self.proc is not None
        self.proc.kill()
        await self.wait()

    async def stop(self, seconds: float = 20.0) -> int:
        """SIGTERM, as ``docker stop`` sends it; returns the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.wait(seconds)

    async def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def due_subscriptions(db_path: Path, chat_ids: list[str], now: datetime) -> None:
    """Private chats following cs.LG whose digest became due a minute before ``now``."""
    store = await SqliteStore.open(db_path)
    try:
        due = now - timedelta(minutes=1)
        for chat_id in chat_ids:
            await store.save_subscription(
                Subscription(
                    platform="telegram",
                    chat_id=chat_id,
                    chat_kind="private",
                    created_by=chat_id,
                    categories=("cs.LG",),
                    keywords=("LLM",),
                    delivery_time=due.strftime("%H:%M"),
                    timezone="UTC",
                    next_due_at=due,
                )
            )
    finally:
        await store.close()
