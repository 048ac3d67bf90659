"""The console adapter: in process with StringIO, and end to end as ``arxiv-bot chat`` with
commands piped into stdin."""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter, render
from bot.contract.messages import Button, Collapsible, error, para, reply
from bot.rendering.text import INDENT
from storage.migrations import SCHEMA_VERSION
from tests.commands.support import ATTENTION, LLM_INFERENCE, MOE_LLM, TODAY, Bot
from tests.environment import clean_environ
from tests.fakes.fake_arxiv import FakeArxivThread

USER = "tester"
ARXIV_BOT = Path(sys.executable).with_name("arxiv-bot")


async def chat(bot: Bot, *lines: str) -> str:
    """Pipe ``lines`` into a console session until end of input; return what it printed."""
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in lines))
    await ConsoleAdapter(bot.router, stdin=stdin, stdout=out, user=USER).run()
    return out.getvalue()


class Session:
    """One console session typed into line by line, reading each answer before the next."""

    def __init__(self, bot: Bot) -> None:
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(bot.router, stdin=io.StringIO(), stdout=self.out, user=USER)

    async def type(self, line: str) -> str:
        start = len(self.out.getvalue())
        await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]


async def console_subscription(bot: Bot) -> tuple[str, ...] | None:
    sub = await bot.services.store.get_subscription("console", USER)
    return sub.categories if sub else None


def number_of(output: str, label: str) -> str:
    """The number ``output`` gives the first button labelled ``label``."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?:\s|$)", output)
    assert found, f"no button {label!r} in:\n{output}"
    return found[0]


# --- rendering ----------------------------------------------------------------------------


def test_render_numbers_buttons_indents_folds_and_marks_errors() -> None:
    answer = reply(
        "Pick one:",
        Collapsible((para("Details"),), (para("hidden line"),)),
        buttons=((Button("Yes", "all:cs"), Button("No", "pick:cs")), (Button("More", "sub:x"),)),
    )
    shown, buttons = render(answer)

    assert shown.splitlines() == [
        "Pick one:",
        "Details",
        f"{INDENT}hidden line",
        "[1] Yes  [2] No  [3] More",
    ]
    assert [b.action for b in buttons] == ["all:cs", "pick:cs", "sub:x"]

    failed, none = render(error("Nope."))
    assert failed.splitlines() == ["(!)", "Nope."]
    assert none == []


def test_render_keeps_escape_sequences_out_of_the_terminal() -> None:
    shown, _ = render(reply("evil \x1b[2J\x1b]0;title\x07 text\x9b"))

    assert shown == "evil [2J]0;title text"


# --- in process ---------------------------------------------------------------------------


async def test_typing_a_number_presses_the_button(bot: Bot) -> None:
    session = Session(bot)
    shown = await session.type("/subscribe cs")
    assert "[1] Yes, all of cs  [2] Pick from cs" in shown
    assert await console_subscription(bot) is None

    await session.type("1")

    assert await console_subscription(bot) == ("cs",)


async def test_the_picker_by_numbers(bot: Bot) -> None:
    session = Session(bot)
    archives = await session.type("/subscribe")
    listing = await session.type(number_of(archives, "cs"))
    assert "  - cs.AI (Artificial Intelligence)" in listing.splitlines()

    done = await session.type(number_of(listing, "cs.AI"))

    assert await console_subscription(bot) == ("cs.AI",)
    assert "Subscribed to cs.AI (Artificial Intelligence)." in done


async def test_a_paper_card_with_its_folded_abstract(bot: Bot) -> None:
    output = await chat(bot, "/summarize 2512.03394")
    lines = output.splitlines()

    assert f"{ATTENTION.title} <https://arxiv.org/abs/2512.03394>" in lines
    assert "Grace Hopper, 张伟" in lines
    assert any(line.startswith(INDENT) and line.strip() == ATTENTION.abstract for line in lines), (
        output
    )


async def test_digest_cards_are_numbered_and_pressable(bot: Bot) -> None:
    session = Session(bot)
    await session.type("/subscribe cs.AI cs.LG")
    await session.type('/keywords add LLM "mixture of experts"')
    digest = await session.type("/digest")
    assert digest.index(MOE_LLM.title) < digest.index(LLM_INFERENCE.title)
    second_card = digest[digest.index(LLM_INFERENCE.title) :]

    pressed = await session.type(number_of(second_card, "Summary"))

    assert pressed.startswith(LLM_INFERENCE.title)
    assert any(line.strip() == LLM_INFERENCE.abstract for line in pressed.splitlines())


async def test_errors_are_marked(bot: Bot) -> None:
    output = await chat(bot, "/time 25:00")

    assert output.splitlines()[:2] == [
        "(!)",
        "'25:00' is not a time of day (24-hour HH:MM). Example: /time 08:30 Europe/Berlin",
    ]
    assert await console_subscription(bot) is None


async def test_numbers_that_are_no_button(bot: Bot) -> None:
    session = Session(bot)
    await session.type("/subscribe cs")

    for typed in ("7", "0", "\u0663"):  # Arabic-Indic 3 is a number too
        assert await session.type(typed) == "(!) Choose a number from 1 to 2.\n", typed
    assert await console_subscription(bot) is None
    await session.type("1")  # the buttons are still there
    assert await console_subscription(bot) == ("cs",)
    # Without buttons on screen, a number is just text.
    await session.type("/settings")
    assert "/help lists them" in await session.type("1")


async def test_a_digit_that_is_no_number_does_not_crash_the_session(bot: Bot) -> None:
    session = Session(bot)
    await session.type("/subscribe cs")

    assert "/help lists them" in await session.type("\u00b2")  # "²": isdigit, but int() fails
    assert "Settings of this chat" in await session.type("/settings")


async def test_quit_and_blank_lines(bot: Bot) -> None:
    output = await chat(bot, "", "   ", "/subscribe cs.AI", "/quit", "/subscribe cs.LG")

    assert await console_subscription(bot) == ("cs.AI",)
    assert output.count("Subscribed to") == 1


# --- end to end ---------------------------------------------------------------------------


@pytest.fixture
def arxiv() -> FakeArxivThread:
    return FakeArxivThread(TODAY, [ATTENTION])


def environment(fake_base: str, db: str) -> dict[str, str]:
    env = clean_environ()
    env.update(
        ARXIV_FEED_URL=f"{fake_base}/rss/{{categories}}",
        ARXIV_API_URL=f"{fake_base}/api/query",
        ARXIV_PDF_URL=f"{fake_base}/pdf/{{id}}",
        ARXIV_HTML_URL=f"{fake_base}/html/{{id}}",
        DATABASE_URL=db,
        ARXIV_BOT_ARXIV_REQUEST_INTERVAL="0",
        ARXIV_BOT_ARXIV_RETRIES="1",
        ARXIV_BOT_ARXIV_RETRY_DELAY="0.01",
        LOGNAME=USER,
        USER=USER,
        PYTHONIOENCODING="utf-8",
    )
    return env


def run_chat(env: dict[str, str], *lines: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ARXIV_BOT), "chat"],
        input="".join(f"{line}\n" for line in lines),
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_run_exit_and_run_again(arxiv: FakeArxivThread, tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.db"
    with arxiv as fake:
        env = environment(fake.base_url, f"sqlite:///{db}")

        first = run_chat(
            env,
            "/subscribe cs.AI cs.lg",
            "/keywords add LLM \u201cmixture of experts\u201d",
            "/time 8:30 Europe/Berlin",
            "/frequency weekly fri",
            "/digest",
            "/subscrib cs.CV",
            "/quit",
            "/language de",
        )
        second = run_chat(env, "/settings")

    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    out = first.stdout
    assert "Subscribed to cs.AI (Artificial Intelligence), cs.LG (Machine Learning)." in out
    assert 'Keywords (2): LLM, "mixture of experts"' in out
    assert out.index(MOE_LLM.title) < out.index(LLM_INFERENCE.title)
    assert "(!)\nI don't know the command /subscrib." in out
    assert fake.count("rss") == 1

    assert second.returncode == 0, second.stderr
    settings = second.stdout
    assert "Categories: cs.AI (Artificial Intelligence), cs.LG (Machine Learning)" in settings
    assert 'Keywords: LLM, "mixture of experts"' in settings
    assert "Delivery: weekly on Friday at 08:30 Europe/Berlin" in settings
    assert "Summary language: English" in settings  # typed after /quit: never read

    raw = sqlite3.connect(db)
    try:
        rows = raw.execute("SELECT platform, chat_id, chat_kind FROM subscriptions").fetchall()
    finally:
        raw.close()
    assert rows == [("console", USER, "private")]


def test_a_database_it_cannot_use_is_reported_not_crashed(
    arxiv: FakeArxivThread, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.db"
    raw = sqlite3.connect(newer)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with arxiv as fake:
        refused = run_chat(environment(fake.base_url, f"sqlite:///{newer}"), "/settings")
        # Nothing listens on port 1: a PostgreSQL the bot cannot reach.
        postgres = run_chat(
            environment(fake.base_url, "postgresql://bot:Pg-Secret-9@127.0.0.1:1/bot"), "/help"
        )

    assert refused.returncode == 2
    assert "newer" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stdout == ""
    assert postgres.returncode == 2
    assert "postgresql://bot@127.0.0.1:1/bot cannot be used" in postgres.stderr
    assert "Pg-Secret-9" not in postgres.stderr
    assert "Traceback" not in postgres.stderr


# --- the adapter interface ------------------------------------------------------------------


async def test_the_console_is_an_adapter_like_the_platforms(bot: Bot) -> None:
    """Delivery can use the console as it uses Telegram and Discord: one message a reply,
    progress reported, an already-sent message skipped."""
    from bot.contract.adapter import Adapter

    session = Session(bot)
    adapter = session.adapter
    assert isinstance(adapter, Adapter)
    assert adapter.platform == "console"
    progress: list[int] = []

    async def on_sent(count: int) -> None:
        progress.append(count)

    await adapter.start()
    total = await adapter.send(adapter.chat, reply("first digest"), key="k", on_sent=on_sent)
    assert total == 1
    assert progress == [1]
    assert "first digest" in session.out.getvalue()
    again = await adapter.send(adapter.chat, reply("resumed digest"), skip=1, on_sent=on_sent)
    assert again == 1
    assert progress == [1]  # nothing was sent twice
    assert "resumed digest" not in session.out.getvalue()
    await adapter.stop()


def test_every_platform_adapter_implements_the_adapter_protocol() -> None:
    from adapters.discord import DiscordAdapter
    from adapters.telegram import TelegramAdapter
    from bot.contract.adapter import Adapter

    for cls in (ConsoleAdapter, TelegramAdapter, DiscordAdapter):
        for member in ("start", "stop", "send"):
            assert callable(getattr(cls, member, None)), (cls, member)
        assert isinstance(getattr(cls, "platform", None), str), cls
    assert {m for m in dir(Adapter) if not m.startswith("_")} >= {"start", "stop", "send"}


def test_a_line_that_is_not_utf8_is_refused_and_the_chat_goes_on(
    arxiv: FakeArxivThread, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates; storing or printing them
    ended the whole chat in 'unexpected error: UnicodeEncodeError'."""
    with arxiv as fake:
        env = environment(fake.base_url, f"sqlite:///{tmp_path / 'bot.db'}")
        run = subprocess.run(
            [str(ARXIV_BOT), "chat"],
            input=b"/time \xff\xfe 10:00\n/keywords add ok\xc3\n/settings\n",
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )

    out = run.stdout.decode("utf-8")
    assert run.returncode == 0, run.stderr
    assert out.count("That message is not valid text (not UTF-8)") == 2
    assert "Delivery: every announcement day at 08:00 UTC" in out  # nothing changed
    assert "Keywords: none" in out
