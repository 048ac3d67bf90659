"""/authors: follow authors like keywords (add, remove, set, clear), quoted names, refusals
that change nothing, the confirmation of a common surname alone, admin rules, /settings, and
the followed authors' papers first in /digest against the fake arXiv."""

from __future__ import annotations

import pytest

from bot.model.subscriptions import MAX_AUTHORS
from tests.commands.conftest import OpenBot
from tests.commands.support import (
    GROUP_ADMIN,
    GROUP_MEMBER,
    PRIVATE,
    Bot,
    actions,
    buttons,
    cards,
    is_error,
    text,
)
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper


async def followed(bot: Bot) -> tuple[str, ...]:
    return (await bot.stored(PRIVATE)).authors


async def test_add_remove_set_clear(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, '/authors add "Yann LeCun" "Bernhard Schölkopf"')
    assert not is_error(answer), text(answer)
    assert text(answer) == 'Followed authors (2): "Yann LeCun", "Bernhard Schölkopf"'
    assert await followed(bot) == ("Yann LeCun", "Bernhard Schölkopf")

    # another spelling of a followed name is the same name: not added twice
    await bot.send(PRIVATE, '/authors add "LeCun, Yann" "Luc Van Gool"')
    assert await followed(bot) == ("Yann LeCun", "Bernhard Schölkopf", "Luc Van Gool")

    # removed by any spelling of the name
    answer = await bot.send(PRIVATE, '/authors remove "yann lecun" "Bernhard Scholkopf"')
    assert not is_error(answer), text(answer)
    assert await followed(bot) == ("Luc Van Gool",)

    await bot.send(PRIVATE, "/authors set Geoffrey Hinton, Yoshua Bengio")
    assert await followed(bot) == ("Geoffrey Hinton", "Yoshua Bengio")

    listing = text(await bot.send(PRIVATE, "/authors"))
    assert listing.startswith('Followed authors (2): "Geoffrey Hinton", "Yoshua Bengio"')
    assert text(await bot.send(PRIVATE, "/authors list")).startswith("Followed authors (2)")

    await bot.send(PRIVATE, "/authors clear")
    assert await followed(bot) == ()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # one name needs no quotes; an apostrophe is a letter, not a quote
        ("/authors Sean O'Brien", ("Sean O'Brien",)),
        ("/authors add Yann LeCun; Yoshua Bengio", ("Yann LeCun", "Yoshua Bengio")),
        # quotes keep "Surname, Given" whole, typographic ones too
        ('/authors add "LeCun, Yann" \u201cFei-Fei Li\u201d', ("LeCun, Yann", "Fei-Fei Li")),
        ("/authors add 何恺明", ("何恺明",)),
        # the confirmation after a quoted name
        ('/authors add "Yann LeCun" "Li"!', ("Yann LeCun", "Li!")),
    ],
)
async def test_names_are_read_as_typed(bot: Bot, typed: str, expected: tuple[str, ...]) -> None:
    answer = await bot.send(PRIVATE, typed)
    assert not is_error(answer), text(answer)
    assert await followed(bot) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ('/authors add "Yann LeCun" "Y."', "'Y.' has no surname"),
        ('/authors add "Yann LeCun" "A B (MIT)"', "contains ( )"),
        ('/authors add "Yann LeCun" "LeCun, Yann, Bengio"', "one author at a time"),
        ('/authors add "' + "x" * 500 + '"', "is 500 characters long; the limit is 100"),
        ("/authors remove", "Say which followed authors to remove"),
        ('/authors remove "Alan Turing"', 'Not in the list: "Alan Turing"'),
    ],
)
async def test_bad_names_are_refused_and_nothing_changes(bot: Bot, typed: str, says: str) -> None:
    await bot.send(PRIVATE, '/authors add "Geoffrey Hinton"')
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, typed)

    assert is_error(answer)
    assert says in text(answer)
    assert "Traceback" not in text(answer)
    assert await bot.stored(PRIVATE) == before


async def test_the_cap_is_kept(bot: Bot) -> None:
    names = ", ".join(
        f"Author Number{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(MAX_AUTHORS)
    )
    assert not is_error(await bot.send(PRIVATE, f"/authors set {names}"))
    before = await bot.stored(PRIVATE)

    answer = await bot.send(PRIVATE, '/authors add "Yann LeCun"')

    assert is_error(answer)
    assert f"at most {MAX_AUTHORS} followed authors" in text(answer)
    assert await bot.stored(PRIVATE) == before


async def test_a_common_surname_alone_needs_confirmation_by_button(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, '/authors add "Yann LeCun" Li')

    assert is_error(answer)
    assert "'Li' alone would follow every author with that surname" in text(answer)
    assert "Nothing was changed" in text(answer)
    assert 'To follow every author named Li: /authors add "Yann LeCun" Li!' in text(answer)
    assert await bot.subscription(PRIVATE) is None
    [button] = buttons(answer)
    assert button.label == "Yes, every Li"

    confirmed = await bot.press(PRIVATE, button.action)

    assert not is_error(confirmed), text(confirmed)
    assert await followed(bot) == ("Yann LeCun", "Li!")
    assert "'Li' is a broad name" in text(confirmed)
    # removed without typing the confirmation again
    await bot.send(PRIVATE, "/authors remove Li")
    assert await followed(bot) == ("Yann LeCun",)


async def test_a_common_surname_alone_is_confirmed_by_a_bang(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, "/authors add Kim!")
    assert not is_error(answer), text(answer)
    assert await followed(bot) == ("Kim!",)
    assert "broad name" in text(answer)
    # "!" after a name that needs no confirmation is dropped
    await bot.send(PRIVATE, "/authors add Yann LeCun!")
    assert await followed(bot) == ("Kim!", "Yann LeCun")


async def test_an_initial_and_a_common_surname_is_accepted_with_a_warning(bot: Bot) -> None:
    answer = await bot.send(PRIVATE, '/authors add "Y. Li" "Yann LeCun"')
    assert not is_error(answer), text(answer)
    assert await followed(bot) == ("Y. Li", "Yann LeCun")
    assert "'Y. Li' is a broad name" in text(answer)
    assert "'Yann LeCun' is a broad name" not in text(answer)


async def test_a_confirmation_too_long_for_a_button_is_typed(bot: Bot) -> None:
    long_names = " ".join(f'"Given{i} Surname{i}"' for i in range(5))
    answer = await bot.send(PRIVATE, f"/authors add {long_names} Wang")
    assert is_error(answer)
    assert buttons(answer) == []
    assert "Wang!" in text(answer)


async def test_only_admins_change_a_groups_authors(bot: Bot) -> None:
    assert not is_error(await bot.send(GROUP_ADMIN, '/authors add "Yann LeCun"'))
    group = await bot.stored(GROUP_ADMIN)

    refused = await bot.send(GROUP_MEMBER, '/authors add "Geoffrey Hinton"')
    pressed = await bot.press(GROUP_MEMBER, "authors:add Li!")

    assert is_error(refused)
    assert is_error(pressed)
    assert await bot.stored(GROUP_ADMIN) == group
    # everyone may read them
    assert '"Yann LeCun"' in text(await bot.send(GROUP_MEMBER, "/settings"))


async def test_settings_show_the_followed_authors(bot: Bot) -> None:
    await bot.send(PRIVATE, "/subscribe cs.AI")
    await bot.send(PRIVATE, '/authors add "Yann LeCun" Li!')
    lines = text(await bot.send(PRIVATE, "/settings")).splitlines()
    assert 'Authors: "Yann LeCun", Li!' in lines


async def test_authors_survive_a_restart(open_bot: OpenBot) -> None:
    async with open_bot() as bot:
        await bot.send(PRIVATE, '/authors add "Bernhard Schölkopf" 何恺明 Li!')
    async with open_bot() as bot:
        assert await followed(bot) == ("Bernhard Schölkopf", "何恺明", "Li!")


# --- /digest with a followed author -------------------------------------------------------

LECUN = FakePaper(
    arxiv_id="2611.00020",
    title="Energy-based world models",
    abstract="No keyword of this chat appears here.",
    authors=["Yann LeCun (NYU, Meta)", "Ada Lovelace"],
    categories=["cs.AI"],
)
LECUN_CROSS = FakePaper(  # primary math.OC: a cross-list for cs.LG
    arxiv_id="2611.00021",
    title="Optimisation landscapes",
    abstract="Nothing to see.",
    authors=["Y. LeCun"],
    categories=["math.OC", "cs.LG"],
)
LECUN_SURVEY = FakePaper(
    arxiv_id="2611.00022",
    title="A survey of energy models",
    abstract="We survey.",
    authors=["Yann Le Cun"],
    categories=["cs.AI"],
)
LECUN_ELSEWHERE = FakePaper(
    arxiv_id="2611.00023",
    title="Seeing",
    abstract="Vision.",
    authors=["Yann LeCun"],
    categories=["cs.CV"],
)


async def test_digest_lists_a_followed_authors_papers_first(bot: Bot, fake: FakeArxiv) -> None:
    fake.add(LECUN, LECUN_CROSS, LECUN_SURVEY, LECUN_ELSEWHERE)
    for typed in (
        "/subscribe cs.AI cs.LG",
        '/keywords add LLM "mixture of experts"',
        "/exclude add survey",
        '/authors add "Yann LeCun"',
    ):
        assert not is_error(await bot.send(PRIVATE, typed))

    answer = await bot.send(PRIVATE, "/digest")

    found = cards(answer)
    ids = [c.arxiv_id for c in found]
    # LeCun's cs.AI paper and his cross-list for cs.LG (cross-lists are off) come first,
    # with score 0; then the keyword papers as before. His survey is excluded, his cs.CV
    # paper is outside the chat's categories.
    assert ids == ["2611.00020v1", "2611.00021v1", "2611.00001v1", "2611.00004v1", "2611.00002v1"]
    assert [c.why for c in found[:2]] == ["author: Yann LeCun", "author: Yann LeCun"]
    assert found[0].score == 0.0
    assert "sum:2611.00020v1" in actions(answer)
