"""One root exception with families; what a user is told, per family, written once."""

from __future__ import annotations

import pytest

from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.arxiv.lookup import PaperNotFound
from bot.arxiv.transport import ArxivRequestError, ArxivUnavailable, MalformedResponse
from bot.commands.args import BadInput as ArgsBadInput
from bot.config import ConfigError
from bot.errors import (
    ArxivError,
    BadInput,
    BotError,
    ConfigurationError,
    ModelError,
    StorageError,
    user_message,
)
from bot.model.store import StoreError
from bot.ranking.keywords import KeywordError
from bot.summaries.summarizer import SummaryUnavailable


@pytest.mark.parametrize(
    ("error", "family"),
    [
        (InvalidArxivId, BadInput),
        (KeywordError, BadInput),
        (PaperNotFound, BadInput),
        (ArgsBadInput, BadInput),
        (ArxivUnavailable, ArxivError),
        (ArxivRequestError, ArxivError),
        (MalformedResponse, ArxivError),
        (SummaryUnavailable, ModelError),
        (StoreError, StorageError),
        (ConfigError, ConfigurationError),
    ],
)
def test_every_expected_error_belongs_to_one_family(error: type, family: type) -> None:
    assert issubclass(error, family)
    assert issubclass(error, BotError)


def test_bad_input_shows_its_own_message() -> None:
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id("not a paper")
    assert user_message(caught.value) == str(caught.value)
    assert "not a paper" in user_message(caught.value) or "arXiv" in user_message(caught.value)


def test_arxiv_errors_never_show_their_technical_message() -> None:
    exc = ArxivUnavailable("ConnectError: [Errno 111] Connection refused to 127.0.0.1:1")
    assert user_message(exc) == ArxivError.user_text
    assert "Errno" not in user_message(exc)
    refused = ArxivRequestError("HTTP 400 for https://export.arxiv.org/api/query?...", 400)
    assert "refused" in user_message(refused)
    assert "export.arxiv.org" not in user_message(refused)
