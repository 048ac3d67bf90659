"""``arxiv-bot``: the command line, and the composition root that wires core, storage and
adapters together. Only argument parsing and wiring live here; the long-running ``run`` has
a module of its own (app/run.py)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.console import ConsoleAdapter
from app.logs import add_secrets, redact, setup_logging
from app.run import run_bot
from app.settings import AppSettings, load_app_settings
from app.wiring import (
    make_http,
    open_services,
    summaries_configured,
)
from bot.arxiv.announcements import AnnouncementSource
from bot.arxiv.ids import InvalidArxivId
from bot.arxiv.lookup import PaperNotFound, find_paper
from bot.commands import CommandRouter
from bot.config import SECRET_ENV, ConfigError, profile_from_settings
from bot.errors import ArxivError, ConfigurationError, StorageError
from bot.model.languages import language_code
from bot.rendering.formats import FORMATS, SUMMARY_FORMATS, Format, render, summary_document
from bot.summaries.digests import build_digest
from bot.summaries.summarizer import SummaryUnavailable
from storage.copy import copy_database, describe

log = logging.getLogger("arxiv-bot")

EXIT_UNAVAILABLE = 1
EXIT_USAGE = 2


def _list_arg(values: list[str] | None) -> list[str] | None:
    """``--category cs.AI --category cs.LG`` and ``--category cs.AI,cs.LG`` both work."""
    if not values:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arxiv-bot", description="Keep up with arXiv: scored digests and summaries."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    digest = sub.add_parser("digest", help="print today's best papers")
    digest.add_argument("--config", help="TOML config file, or the legacy config.json")
    digest.add_argument("--category", action="append", metavar="C", help="arXiv category")
    digest.add_argument("--keyword", action="append", metavar="K", help="keyword or phrase")
    digest.add_argument("--exclude", action="append", metavar="K", help="exclude keyword")
    digest.add_argument(
        "--interests", metavar="TEXT", help="your interests in words; close papers rank higher"
    )
    digest.add_argument(
        "--author",
        action="append",
        metavar="NAME",
        help='followed author, e.g. "Yann LeCun" ("Li!" for every Li); repeatable',
    )
    digest.add_argument("--max-papers", type=int, metavar="N")
    digest.add_argument("--min-score", type=float, metavar="X")
    digest.add_argument(
        "--include-cross", action="store_true", default=None, help="count cross-lists too"
    )
    digest.add_argument("--scoring", choices=["words", "substring"])
    digest.add_argument("--format", choices=FORMATS, default="markdown")
    digest.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    summarize = sub.add_parser("summarize", help="one paper's summary")
    summarize.add_argument("paper", metavar="ID", help="arXiv ID or arxiv.org link")
    summarize.add_argument("--config", help="TOML config file, or the legacy config.json")
    summarize.add_argument("--language", metavar="L", help="e.g. en, zh, de")
    summarize.add_argument("--format", choices=SUMMARY_FORMATS, default="markdown")
    summarize.add_argument("--output", metavar="FILE", help="write here instead of stdout")

    run = sub.add_parser("run", help="run the bot on the configured chat platforms")
    run.add_argument("--config", help="TOML config file, or the legacy config.json")

    chat = sub.add_parser("chat", help="try the bot in this terminal (a private chat)")
    chat.add_argument("--config", help="TOML config file, or the legacy config.json")

    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    copy = db_sub.add_parser(
        "copy", help="copy an installation into an empty database (e.g. SQLite to PostgreSQL)"
    )
    copy.add_argument("--from", dest="source", required=True, metavar="URL", help="sqlite:///...")
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="postgresql://... (empty)"
    )
    return parser


def _settings(args: argparse.Namespace, **overrides: Any) -> AppSettings:
    """The settings, with every secret they hold made known to the redaction first."""
    settings = load_app_settings(args.config, **overrides)
    add_secrets(settings.secret_values())
    return settings


def _fail(message: object) -> None:
    """An error line for the operator: one line of ours, never an unredacted secret."""
    print(redact(f"arxiv-bot: {message}"), file=sys.stderr)


async def _digest(args: argparse.Namespace) -> int:
    check_output(args.output)
    settings = _settings(
        args,
        categories=_list_arg(args.category),
        keywords=_list_arg(args.keyword),
        exclude_keywords=_list_arg(args.exclude),
        authors=args.author,  # not split at commas: "LeCun, Yann" is one name
        max_papers=args.max_papers,
        min_score=args.min_score,
        include_cross=args.include_cross,
        scoring=args.scoring,
        interests=args.interests,
    )
    profile = profile_from_settings(settings)
    log.info("fetching today's announcements for %s", ", ".join(settings.categories))
    if not summaries_configured(settings) or settings.max_papers_to_summarize == 0:
        # No model: nothing to cache, so no database either.
        http = make_http(settings)
        try:
            source = AnnouncementSource(http, settings.arxiv_feed_url)
            digest = await build_digest(source, profile, mode=settings.scoring)
        finally:
            await http.aclose()
    else:
        async with open_services(settings) as services:
            log.info("summarizing the top %d papers", settings.max_papers_to_summarize)
            digest = await services.todays_digest(
                profile, settings.summary_language, deadline=settings.summary_deadline
            )
    log.info(
        "%d of %d papers selected, %d summarized",
        len(digest.papers),
        digest.announced,
        len(digest.summaries),
    )
    fmt: Format = args.format
    write_output(render(digest, fmt), args.output)
    return 0


async def _summarize(args: argparse.Namespace) -> int:
    check_output(args.output)
    settings = _settings(args)
    language = args.language or settings.summary_language
    if language_code(language) is None:
        raise ConfigError(f"--language: '{language}' is not a language code like en, zh, de")
    async with open_services(settings) as services:
        try:
            paper = await find_paper(services.store, services.papers, args.paper)
        except (InvalidArxivId, PaperNotFound) as exc:
            _fail(exc)
            return EXIT_USAGE
        log.info("summarizing arXiv:%s", paper.versioned_id)
        code = language_code(language) or "en"
        try:
            summary = await services.summarizer.summary(paper, code)
        except SummaryUnavailable as exc:
            # Whoever waits still gets the paper: its abstract, labelled, and why (exit 1).
            _fail(exc)
            extract = services.summarizer.extract(paper, code)
            note = f"Extract of the abstract: no summary now. {exc}"
            write_output(summary_document(paper, extract, args.format, note=note), args.output)
            return EXIT_UNAVAILABLE
    write_output(summary_document(paper, summary, args.format), args.output)
    return 0


def check_output(output: str | None) -> None:
    """Before any work: a folder named as the output is a mistake to say at once, not after
    a minute of fetching and summarizing."""
    if output is not None and Path(output).is_dir():
        raise ConfigError(f"cannot write {output}: it is a folder; give --output a file name")


def write_output(text: str, output: str | None) -> None:
    """UTF-8 always (the legacy script's copies were double-encoded); files are replaced
    atomically so a reader never sees half a digest."""
    if output is None:
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    check_output(output)
    target = Path(output)
    tmp: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        # mkstemp creates the file owner-only (0600): give the digest the mode an ordinary
        # write would (the replaced file's, or 0666 less the umask) so that web servers can
        # still read it.
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:  # nothing half-written is left beside the target
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise ConfigError(f"cannot write {output}: {exc.strerror or exc}") from None


async def _chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    # UTF-8 as for every output of ours: an ASCII locale must not end the chat at the first
    # non-ASCII character of a reply. A typed line that is not UTF-8 is read (its bad bytes
    # as surrogates, which the router refuses), not fatal to the whole chat.
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    sys.stdin.reconfigure(encoding="utf-8", errors="surrogateescape")  # type: ignore[union-attr]
    async with open_services(settings) as services:
        # A terminal queues nothing: every line gets its answer, repeats included.
        await ConsoleAdapter(CommandRouter(services, repeats_quietly=False)).run()
    return 0


async def _run(args: argparse.Namespace) -> int:
    return await run_bot(_settings(args), verbose=args.verbose)


async def _db(args: argparse.Namespace) -> int:
    """``db copy``: every row of one database into another, empty one."""
    add_secrets(p for p in (url_password(args.source), url_password(args.target)) if p)
    copied = await copy_database(args.source, args.target)
    total = sum(copied.values())
    print(f"copied {total} rows from {describe(args.source)} to {describe(args.target)}:")
    for table, rows in copied.items():
        print(f"  {table}: {rows}")
    return 0


def url_password(database_url: str) -> str | None:
    try:
        return urlsplit(database_url).password
    except ValueError:
        return None


COMMANDS = {
    "digest": _digest,
    "summarize": _summarize,
    "chat": _chat,
    "run": _run,
    "db": _db,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet = logging.WARNING if args.command == "chat" else logging.INFO
    environment_secrets = (os.environ.get(name, "") for name in SECRET_ENV)
    setup_logging(logging.DEBUG if args.verbose else quiet, environment_secrets)
    try:
        return asyncio.run(COMMANDS[args.command](args))
    except (ConfigurationError, StorageError) as exc:
        _fail(exc)
        return EXIT_USAGE
    except ArxivError as exc:
        _fail(exc)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # A fault we did not foresee: one redacted line (the traceback with -v, redacted by
        # the log filter), never a raw traceback that may quote a key.
        log.debug("unexpected error", exc_info=True)
        _fail(f"unexpected error: {type(exc).__name__}: {exc} (run with -v for details)")
        return EXIT_UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main())
