"""Every bad input gets a short, friendly explanation, and changes nothing."""

from __future__ import annotations

import pytest

from bot.commands.args import MAX_COMMAND_LENGTH
from bot.model.subscriptions import MAX_EXCLUDES, MAX_KEYWORDS, Subscription
from bot.ranking.keywords import MAX_KEYWORD_LENGTH
from tests.commands.support import PRIVATE, Bot, is_error, text
from tests.fakes.fake_arxiv import FakeArxiv

SETUP = (
    "/subscribe cs.AI cs.LG",
    '/keywords add LLM "mixture of experts"',
    "/exclude add survey",
    "/time 07:00 Europe/Berlin",
    "/language de",
    "/frequency weekly fri",
)


@pytest.fixture
async def configured(bot: Bot) -> Subscription:
    """A chat with every setting away from its default."""
    for typed in SETUP:
        assert not is_error(await bot.send(PRIVATE, typed)), typed
    return await bot.stored(PRIVATE)


def many(prefix: str, n: int) -> str:
    return " ".join(f"{prefix}{i}" for i in range(n))


BAD_TEXT = [
    # unknown commands, with a did-you-mean
    ("/subscrib cs.AI", ["I don't know the command /subscrib.", "Did you mean /subscribe?"]),
    ("/Unsubscrbe all", ["/unsubscrbe", "Did you mean /unsubscribe?"]),
    ("/frobnicate", ["I don't know the command /frobnicate.", "/help"]),
    # categories
    ("/subscribe cs.Al", ["'cs.Al' is not an arXiv category. Did you mean cs.AI", "Example:"]),
    ("/subscribe cs.AI quantum.foo", ["'quantum.foo' is not an arXiv category", "Nothing"]),
    ("/subscribe xyzzy", ["'xyzzy' is not an arXiv category.", "Example: /subscribe cs.AI"]),
    ("/unsubscribe cs.CV", ["does not follow cs.CV", "It follows cs.AI, cs.LG"]),
    ("/unsubscribe cs.AI nonsense", ["does not follow nonsense"]),
    # times and zones
    ("/time 25:00", ["'25:00' is not a time of day", "Example: /time 08:30 Europe/Berlin"]),
    ("/time noon", ["'noon' is not a time of day", "Example: /time 08:30 Europe/Berlin"]),
    ("/time 8:61 UTC", ["'8:61' is not a time of day"]),
    ("/time 8:30 Europe/Berln", ["'Europe/Berln' is not an IANA time zone", "Europe/Berlin"]),
    ("/time 8:30 Mars/Olympus", ["'Mars/Olympus' is not an IANA time zone", "Example:"]),
    ("/time 8:30 America/New York", ["not an IANA time zone", "America/New_York"]),
    ("/time 8:30 localtime", ["'localtime' is not an IANA time zone"]),  # the server's
    ("/time 8:30 Factory", ["'Factory' is not an IANA time zone"]),
    # commands that take nothing, and verbs that take nothing
    ("/pause 2 weeks", ["/pause takes nothing after it", "send /pause alone"]),
    ("/resume now", ["/resume takes nothing after it"]),
    ("/digest yesterday", ["/digest takes nothing after it"]),
    ("/keywords clear LLM", ["takes nothing after it", "/keywords remove"]),
    ("/interests clear all", ["/interests clear forgets them and takes nothing after it"]),
    # languages and frequencies
    ("/language xx", ["'xx' is not a language", "de", "zh"]),
    ("/language klingon", ["'klingon' is not a language"]),
    ("/language zh TW", ["'zh TW' is not a language"]),
    ("/frequency monthly", ["'daily' or 'weekly [weekday]'", "Example: /frequency"]),
    ("/frequency weekly funday", ["'funday' is not a weekday", "Example: /frequency"]),
    ("/frequency daily fri", ["'daily' or 'weekly [weekday]'"]),
    # keywords
    (f"/keywords add {many('k', MAX_KEYWORDS)}", [f"at most {MAX_KEYWORDS} keywords"]),
    (f"/keywords set {many('k', MAX_KEYWORDS + 1)}", [f"at most {MAX_KEYWORDS} keywords"]),
    (f"/exclude add {many('x', MAX_EXCLUDES)}", [f"at most {MAX_EXCLUDES} excluded keywords"]),
    (
        f"/keywords add {'x' * (MAX_KEYWORD_LENGTH + 1)}",
        [f"{MAX_KEYWORD_LENGTH + 1} characters long", f"limit is {MAX_KEYWORD_LENGTH}"],
    ),
    (
        f'/keywords add "{"long phrase " * 9}"',
        ["characters long", f"the limit is {MAX_KEYWORD_LENGTH}", "Nothing was changed"],
    ),
    ("/keywords add ---", ["has no letters or digits"]),
    ('/keywords add "   "', ["Say which keywords to add"]),
    ("/keywords remove", ["Say which keywords to remove"]),
    ("/keywords remove RL", ["Not in the list: RL", 'Current keywords: LLM, "mixture of']),
    ("/exclude remove benchmark", ["Not in the list: benchmark"]),
    # whole messages
    (
        "/keywords add " + "word " * (MAX_COMMAND_LENGTH // 5),
        [f"commands take at most {MAX_COMMAND_LENGTH}"],
    ),
    ("/keywords add bad\x00word", ["control characters"]),
    ("/keywords add \x1b[31mred", ["control characters"]),
    ("/keywords add \u202eevil", ["invisible character", "U+202E", "right-to-left override"]),
    ("/subscribe cs.AI\x07", ["control characters"]),
    ("/time 08:\x8500", ["control characters"]),
    # papers
    ("/summarize", ["Which paper?", "Example: /summarize 2512.03394"]),
    ("/summarize 2611.0001", ["'2611.0001' is not an arXiv identifier", "Accepted forms:"]),
    ("/summarize arxiv.org/abs/cs", ["not an arXiv identifier", "hep-th/9901001"]),
    ("/summary 1313.00001", ["not an arXiv identifier", "https://arxiv.org/abs/2512.03394"]),
]


@pytest.mark.parametrize(("typed", "expected"), BAD_TEXT, ids=[t[:40] for t, _ in BAD_TEXT])
async def test_bad_text_is_explained_and_changes_nothing(
    bot: Bot, configured: Subscription, typed: str, expected: list[str]
) -> None:
    answer = await bot.send(PRIVATE, typed)

    assert is_error(answer), text(answer)
    shown = text(answer)
    for fragment in expected:
        assert fragment in shown
    assert len(shown) < 600, "a short explanation"
    assert await bot.stored(PRIVATE) == configured


async def test_a_message_at_the_length_limit_is_accepted(
    bot: Bot, configured: Subscription
) -> None:
    command = "/keywords add "
    typed = command + "a" * (MAX_COMMAND_LENGTH - len(command) - 3) + " RL"
    assert len(typed) == MAX_COMMAND_LENGTH

    answer = await bot.send(PRIVATE, typed)

    assert is_error(answer)  # the 980-character keyword is too long, not the message
    assert "commands take at most" not in text(answer)
    assert await bot.stored(PRIVATE) == configured


async def test_unknown_paper(bot: Bot, configured: Subscription, fake: FakeArxiv) -> None:
    answer = await bot.send(PRIVATE, "/summarize 2611.99999")

    assert is_error(answer)
    assert "arXiv has no paper 2611.99999" in text(answer)
    assert fake.count("api") >= 1
    assert await bot.services.store.get_paper("2611.99999") is None
    assert await bot.stored(PRIVATE) == configured


async def test_a_malformed_id_never_reaches_arxiv(bot: Bot, fake: FakeArxiv) -> None:
    await bot.send(PRIVATE, "/summarize 2611.0001")
    await bot.press(PRIVATE, "sum:not-an-id")

    assert fake.count("api") == 0


BAD_ACTIONS = [
    ("bogus:1", "That button has expired"),
    ("", "That button has expired"),
    ("sub", "is not an arXiv category"),
    ("sub:cs.XX", "'cs.XX' is not an arXiv category"),
    ("all:nope", "There is no arXiv archive called 'nope'"),
    ("pick:nope", "There is no arXiv archive called 'nope'"),
    ("unsub:cs.CV", "does not follow cs.CV"),
    ("sub:" + "a" * 70, "That button has expired"),
    ("sum:2611.0001", "not an arXiv identifier"),
]


@pytest.mark.parametrize(("action", "expected"), BAD_ACTIONS, ids=[a[:20] for a, _ in BAD_ACTIONS])
async def test_bad_button_actions_change_nothing(
    bot: Bot, configured: Subscription, action: str, expected: str
) -> None:
    answer = await bot.press(PRIVATE, action)

    assert is_error(answer)
    assert expected in text(answer)
    assert await bot.stored(PRIVATE) == configured


async def test_bad_input_in_a_new_chat_stores_nothing(bot: Bot) -> None:
    for typed in ("/subscribe cs.Al", "/time 25:00", "/language xx", "/keywords add ---"):
        assert is_error(await bot.send(PRIVATE, typed))
    assert is_error(await bot.press(PRIVATE, "sub:cs.XX"))

    assert await bot.subscription(PRIVATE) is None


async def test_start_keeps_its_deep_link_payload(bot: Bot) -> None:
    """Telegram's deep links send '/start PAYLOAD': the one command without parameters that
    takes words."""
    answer = await bot.send(PRIVATE, "/start from-the-website")
    assert not is_error(answer), text(answer)
