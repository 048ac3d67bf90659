"""adapters/pacing.py's SharedWindow over the PostgreSQL store: instances take turns of one
limit, and the sends of all of them together keep its spacing, however slow the database."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from adapters.pacing import SharedWindow
from storage import PostgresStore
from storage.postgres import TURN_TOLERANCE

pytestmark = pytest.mark.postgres

PERIOD = 0.03
WAIT = 20.0


async def test_two_instances_sending_at_once_keep_one_spacing(
    instances: list[PostgresStore],
) -> None:
    windows = [SharedWindow(store, "telegram:all", 1, PERIOD) for store in instances[:2]]
    sent: list[tuple[float, int]] = []

    async def send(which: int) -> None:
        await windows[which].acquire()
        sent.append((time.monotonic(), which))

    async with asyncio.timeout(WAIT):
        await asyncio.gather(*(send(n % 2) for n in range(40)))

    moments = sorted(t for t, _ in sent)
    assert len(moments) == 40
    assert {w for _, w in sent} == {0, 1}
    # Turns are a spacing apart on the database's clock (less the tolerance of a late one);
    # a send is seen here when its answer has arrived and its task has run, which a busy
    # machine may delay now and then. Two windows pacing alone would send in pairs: half
    # the gaps near zero, and the forty sends over twenty spacings.
    gaps = sorted(b - a for a, b in itertools.pairwise(moments))
    assert statistics.median(gaps) >= PERIOD - TURN_TOLERANCE
    assert moments[-1] - moments[0] >= 39 * PERIOD - 5 * PERIOD


async def test_a_pause_holds_the_other_instance_too(instances: list[PostgresStore]) -> None:
    first, second = (SharedWindow(store, "discord:all", 1, PERIOD) for store in instances[:2])
    await first.acquire()
    first.pause(0.5)  # a 429 answered to the first instance
    async with asyncio.timeout(WAIT):
        # Recorded for everyone in the background: polled, within the timeout.
        while await second.turn() <= 0.3:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await second.acquire()
    assert time.monotonic() - started >= 0.25


class SlowLink:
    """A TCP proxy to the PostgreSQL server whose answers take ``delay`` seconds on their
    way back: a busy database or a long network, as the bot sees them."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.delay = 0.0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> int:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer, slow=False)),
            asyncio.create_task(self._pipe(up_reader, writer, slow=True)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, slow: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if slow and self.delay:
                    await asyncio.sleep(self.delay)  # the link's latency itself
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


async def test_answers_turning_slow_still_let_every_send_go(postgres_url: str) -> None:
    """After quick answers, slow ones (a busy database, a long network): sends slow down
    with them but never stop."""
    parts = urlsplit(postgres_url)
    link = SlowLink(parts.hostname or "127.0.0.1", parts.port or 5432)
    async with link as port:
        url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))
        store = await PostgresStore.open(url, instance="slow")
        try:
            window = SharedWindow(store, "telegram:all", 1, PERIOD)
            async with asyncio.timeout(WAIT):
                await asyncio.gather(*(window.acquire() for _ in range(10)))
                link.delay = 0.4  # each answer: more than ten turns
                await asyncio.gather(*(window.acquire() for _ in range(6)))
        finally:
            link.delay = 0.0
            await store.close()
