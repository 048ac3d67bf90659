"""The one root of the errors the bot expects, in a few families, each with the words a user
sees written once.

Code catches a family (``except ArxivError``) where it answers a person, and shows
:func:`user_message`; the modules that raise define the precise subclasses (an unreachable
arXiv, a refused request, an unknown paper...).
"""

from __future__ import annotations

from typing import ClassVar


class BotError(Exception):
    """Root of every error the bot expects and answers."""

    user_text: ClassVar[str] = "Something went wrong on my side; please try again later."
    """What a user is told when the message itself is not meant for them."""
    message_is_for_users: ClassVar[bool] = False
    """True where the exception's own message is written for users (and names no secret)."""


class BadInput(BotError, ValueError):
    """What someone typed or asked for cannot be used; the message says why, with an example."""

    message_is_for_users = True


class ArxivError(BotError):
    """arXiv could not answer: unreachable, refusing, or answering nonsense."""

    user_text = "arXiv is not answering right now; please try again in a few minutes."


class ModelError(BotError):
    """The language model could not give a summary or an answer now."""

    user_text = "The summary model is not available right now; here is the abstract instead."


class StorageError(BotError):
    """The database cannot be used; the message names the file and what to do."""

    user_text = "The bot cannot read its database right now; its operator has to look at it."


class ConfigurationError(BotError):
    """The settings are wrong; the message names the setting and what is expected."""

    user_text = "The bot is not configured for that; ask its operator."


def user_message(exc: BotError) -> str:
    """The line to show a user for ``exc``."""
    return str(exc) if exc.message_is_for_users else exc.user_text
