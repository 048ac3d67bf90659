"""Logging set-up with secret redaction.

httpx logs every request URL at INFO, and Telegram's URLs contain the bot token; exception
texts can contain keys too, whole or masked (OpenAI answers a wrong key with "Incorrect API
key provided: sk-abc***...wxyz"). One filter on the one stderr handler rewrites every record,
whatever logger it comes from, and :func:`redact` is the same rule for the error lines the
command line prints itself.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_TELEGRAM_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
# user:password@ in any URL (DATABASE_URL, a proxy URL in an error): the password goes.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.I)
# A masked echo: visible head, a run of mask characters, visible tail.
_MASKED = re.compile(r"(?P<head>[\w-]*)(?P<mask>(?:\*|•|…|\.{3})+)(?P<tail>[\w-]*)")
_WORD = re.compile(r"[\w:-]+")
REDACTED = "[REDACTED]"
MIN_SECRET = 6
"""Shorter values are not replaced wherever they appear: that would garble ordinary text."""
FRAGMENT = 10
"""An unmasked run of this many characters of a secret (a truncated echo) is redacted too,
for secrets at least twice as long, where such a run cannot be an ordinary word."""


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        known = set(self._secrets) | {s for s in secrets if s and len(s) >= MIN_SECRET}
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}@", text)
        text = _TELEGRAM_TOKEN.sub(REDACTED, text)
        if self._secrets:
            text = _MASKED.sub(self._masked, text)
            text = _WORD.sub(self._fragment, text)
        return text

    def _masked(self, m: re.Match[str]) -> str:
        """``sk-abc***wxyz``: a head that begins a secret and a tail that ends it."""
        head, tail = m["head"], m["tail"]
        if m["mask"] in ("*", "**") or len(head) + len(tail) < 4:  # emphasis; "sk-***"
            return m[0]
        for secret in self._secrets:
            if secret.startswith(head) and secret.endswith(tail):
                return REDACTED
        return m[0]

    def _fragment(self, m: re.Match[str]) -> str:
        word = m[0]
        for secret in self._secrets:
            if len(secret) < 2 * FRAGMENT:
                continue
            if secret[:FRAGMENT] in word or secret[-FRAGMENT:] in word:
                return REDACTED
            if len(word) >= FRAGMENT and word in secret:
                return REDACTED
        return word


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redactor = Redactor(secrets)

    def redact(self, text: str) -> str:
        return self.redactor(text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redact(message)
        record.args = None
        return True


_FILTER = RedactingFilter()


def add_secrets(secrets: Iterable[str]) -> None:
    """Secrets known once the settings are read (a key from the config file, say)."""
    _FILTER.redactor.add(secrets)


def redact(text: str) -> str:
    """Every known secret out of ``text``, as in the logs."""
    return _FILTER.redact(text)


def setup_logging(level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    """Log to stderr (stdout carries program output such as a digest), through the one
    redacting filter every subcommand shares."""
    add_secrets(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_FILTER)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in (
        "httpx", "httpx2", "httpcore", "arxiv", "discord.http", "telegram.ext.Updater",
        "apscheduler",  # "Running job ..." at INFO for every round of every job
    ):  # fmt: skip
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _RoundStillRunning) for f in scheduler_log.filters):
        scheduler_log.addFilter(_RoundStillRunning())


class _RoundStillRunning(logging.Filter):
    """A round that outlasts its interval (a fan-out outlasts the 5-second delivery tick)
    makes APScheduler skip the next start with a WARNING every interval; by design (one
    round at a time, the next tick resumes), so not worth an operator's attention."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in str(record.msg)
