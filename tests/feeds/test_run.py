"""``arxiv-bot run`` with only ``ARXIV_BOT_HTTP_PORT`` set (no chat platform): the legacy
service's job. It fetches the latest announcement on start, serves the feeds from what it
stored, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from app.wiring import open_services
from bot.commands import CommandRouter
from bot.config import load_settings
from tests.environment import clean_environ
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.feeds.support import (
    COMMAND,
    DAY1,
    DAY1_DEFAULT_IDS,
    DAY1_PAPERS,
    OPERATOR_ENV,
    PRIVATE,
    PUBLIC_URL,
    entry_ids,
    free_port,
    parse_feed,
    reply_links,
)

START_TIMEOUT = 10.0
POLL_INTERVAL = 0.1  # between attempts to reach another process; bounded by START_TIMEOUT


async def chat_feed_token(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A chat set up before the service starts (as a chat platform would have done)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    async with open_services(load_settings()) as services:
        router = CommandRouter(services)
        for command in ("/subscribe cs.CV", "/keywords add vision"):
            answer = await router.handle_text(PRIVATE, command)
            assert answer is not None
            assert answer.tone != "error"
        answer = await router.handle_text(PRIVATE, "/feed")
        assert answer is not None
        url = reply_links(answer)[0]
    assert url.startswith(f"{PUBLIC_URL}feed/")
    return url.rsplit("/", 1)[1]


async def get_when_up(
    session: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process, ready: str
) -> bytes:
    """GET ``url`` until its body contains ``ready``, at most ``START_TIMEOUT`` seconds."""
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    while True:
        assert proc.returncode is None, "arxiv-bot run exited early"
        try:
            async with session.get(url) as response:
                body = await response.read()
                if response.status == 200 and ready.encode() in body:
                    return body
        except aiohttp.ClientConnectionError:
            pass  # not listening yet
        assert asyncio.get_running_loop().time() < deadline, f"{url} not ready"
        await asyncio.sleep(POLL_INTERVAL)


async def test_feeds_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    with FakeArxivThread(DAY1_PAPERS, announce_date=DAY1) as fake:
        base = fake.base_url
        env = {
            **OPERATOR_ENV,
            "ARXIV_FEED_URL": fake.feed_url_template,
            "ARXIV_API_URL": f"{base}/api/query",
            "ARXIV_PDF_URL": f"{base}/pdf/{{id}}",
            "ARXIV_HTML_URL": f"{base}/html/{{id}}",
            "ARXIV_BOT_ARXIV_REQUEST_INTERVAL": "0",
            "ARXIV_BOT_ARXIV_RETRY_DELAY": "0.01",
            "DATABASE_URL": f"sqlite:///{tmp_path}/data/bot.db",
            "PUBLIC_URL": PUBLIC_URL,
        }
        token = await chat_feed_token(env, monkeypatch)
        proc = await asyncio.create_subprocess_exec(
            *COMMAND, "-v", "run",
            env=clean_environ(**env, ARXIV_BOT_HTTP_PORT=str(port)),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
                await get_when_up(session, "/healthz", proc, "ok")
                body = await get_when_up(session, "/rss", proc, "<item>")
                assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.LG+cs.CL+cs.CV"]
                parsed = parse_feed(body, "rss")
                assert entry_ids(parsed) == [f"arXiv:{i}" for i in DAY1_DEFAULT_IDS]
                async with session.get("/atom/cs.CL") as response:
                    assert response.status == 200
                    atom = parse_feed(await response.read(), "atom")
                    assert entry_ids(atom) == ["arXiv:2611.00002"]
                async with session.get(f"/feed/{token}?format=atom") as response:
                    assert response.status == 200
                    private = parse_feed(await response.read(), "atom")
                    assert entry_ids(private) == ["arXiv:2611.00008"]
                async with session.get("/rss/cs.nope") as response:
                    assert response.status == 404
                assert len(fake.requests) == 1  # feeds read only what was stored
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), START_TIMEOUT)
    log = err.decode("utf-8", "replace")
    assert proc.returncode == 0, log
    assert "stored the 2026-11-24 announcement" in log
    assert "Traceback" not in log
    assert token not in log  # never logged, even at -v
    assert out == b""
