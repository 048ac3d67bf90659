"""The HTTP port on the open internet: slow or half-open clients cannot hold it, and the
``Server`` header names no version."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession

from adapters.http.feed_routes import FeedRoutes
from adapters.http.server import HttpServer, make_app
from bot.errors import ConfigurationError
from tests.feeds.conftest import World, raw_request

WAIT = 10.0
SLOW = 200
HALF_A_REQUEST = b"GET /rss HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def open_slow(port: int, count: int) -> list[Connection]:
    """``count`` connections that each send half a request and then nothing."""
    slow: list[Connection] = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HALF_A_REQUEST)
        await writer.drain()
        slow.append((reader, writer))
    return slow


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    return await reader.read() == b""  # EOF, and no answer to half a request


async def close_all(slow: list[Connection]) -> None:
    for _, writer in slow:
        writer.close()
    for _, writer in slow:
        with contextlib.suppress(ConnectionError):  # the server closed it first
            await writer.wait_closed()


@pytest.fixture
async def hardened(world: World) -> AsyncIterator[HttpServer]:
    """The port as ``arxiv-bot run`` opens it, with a short read timeout and a small cap."""
    app = make_app(world.services, FeedRoutes(world.services).routes())
    server = HttpServer(app, "127.0.0.1", 0, read_timeout=0.5, max_connections=50)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_half_open_requests_neither_starve_healthz_nor_stay_open(
    hardened: HttpServer,
) -> None:
    slow = await open_slow(hardened.port, SLOW)
    try:
        async with (
            ClientSession(f"http://127.0.0.1:{hardened.port}") as client,
            asyncio.timeout(2.0),
            client.get("/healthz") as health,
        ):
            assert health.status == 200
            assert await health.text() == "ok\n"
        # Every slow one is closed: the oldest to make room, the rest after the timeout.
        async with asyncio.timeout(WAIT):
            closed = await asyncio.gather(*(closed_by_server(reader) for reader, _ in slow))
        assert all(closed)
    finally:
        await close_all(slow)


async def test_beyond_the_cap_the_oldest_connections_make_room(world: World) -> None:
    app = make_app(world.services, FeedRoutes(world.services).routes())
    # A read timeout far beyond the test: only the cap can close these.
    server = HttpServer(app, "127.0.0.1", 0, read_timeout=3600, max_connections=20)
    await server.start()
    slow: list[Connection] = []
    try:
        slow = await open_slow(server.port, 30)
        async with asyncio.timeout(WAIT):
            oldest = await asyncio.gather(*(closed_by_server(r) for r, _ in slow[:10]))
        assert all(oldest)
        answer = await raw_request(server.port, b"GET /healthz HTTP/1.1")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        await close_all(slow)
        await server.stop()


@pytest.mark.parametrize(
    "head",
    [
        b"GET /healthz HTTP/1.1",
        b"GET /rss/cs.nope HTTP/1.1",
        b"GET /nothing-here HTTP/1.1",
        b"GET /\x01 HTTP/1.1",  # malformed: aiohttp answers 400 itself
    ],
)
async def test_the_server_header_names_no_version(world: World, head: bytes) -> None:
    answer = await raw_request(world.port, head)
    headers = answer.split(b"\r\n\r\n", 1)[0].decode().lower().splitlines()
    assert "server: arxiv-digest-bot" in headers
    assert not any("aiohttp" in line or "python" in line for line in headers)


async def test_a_port_that_cannot_be_had_is_a_clear_error(world: World) -> None:
    """A port another program holds, or a host name that does not resolve, ended 'arxiv-bot
    run' in 'unexpected error: gaierror'; the operator is told which settings to check."""
    first = HttpServer(make_app(world.services), "127.0.0.1", 0)
    await first.start()
    try:
        taken = HttpServer(make_app(world.services), "127.0.0.1", first.port)
        with pytest.raises(ConfigurationError, match=r"ARXIV_BOT_HTTP_PORT"):
            await taken.start()
        unknown = HttpServer(make_app(world.services), "no-such-host.invalid", 0)
        with pytest.raises(ConfigurationError, match=r"cannot listen on no-such-host\.invalid"):
            await unknown.start()
    finally:
        await first.stop()
