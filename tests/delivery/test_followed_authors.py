"""The scheduled digest of a chat that follows authors: their papers of the chat's categories
go out first, with the reason, whatever the keywords say; excludes still remove them."""

from __future__ import annotations

from dataclasses import replace

from bot.contract.messages import PaperCard
from tests.delivery.support import (
    TUESDAY,
    World,
    announce,
    announced,
    day_papers,
    paper,
    subscription,
    utc,
)
from tests.fakes.fake_arxiv import FakePaper


def by_hopper(fake: FakePaper) -> FakePaper:
    return replace(fake, authors=["Grace Hopper (Yale)", "Ada Lovelace"])


def hopper_day() -> list[FakePaper]:
    return [
        *day_papers(TUESDAY),
        by_hopper(paper(TUESDAY, 10, "Compilers for everyone")),
        # a cross-list for cs.LG: in, although the chat does not take cross-lists
        by_hopper(paper(TUESDAY, 11, "Debugging moths", categories=("math.OC", "cs.LG"))),
        by_hopper(paper(TUESDAY, 12, "A survey of COBOL")),  # excluded
        by_hopper(paper(TUESDAY, 13, "Nanoseconds", categories=("cs.PL",))),  # elsewhere
    ]


def cards(world: World, chat_id: str) -> list[PaperCard]:
    return [card for sent in world.sender.to(chat_id) for card in sent.cards]


async def test_a_followed_authors_papers_go_out_first(world: World) -> None:
    announce(world.arxiv, TUESDAY, hopper_day())
    await world.subscribe(
        subscription(
            "follows",
            keywords=("LLM",),
            exclude=("survey",),
            authors=("Hopper, Grace",),
            min_score=1.0,
        )
    )
    # keywords that find nothing today: the followed author's papers alone are a digest
    await world.subscribe(
        subscription("only_authors", keywords=("topology",), authors=("G. Hopper",))
    )
    await world.subscribe(subscription("plain", keywords=("LLM",)))
    await world.at(announced(TUESDAY))
    await world.run_until(utc(TUESDAY, "12:00"))

    follows = cards(world, "follows")
    assert [c.arxiv_id for c in follows[:2]] == ["2611.02410v1", "2611.02411v1"]
    assert [c.why for c in follows[:2]] == ["author: Hopper, Grace"] * 2
    assert [c.score for c in follows[:2]] == [0.0, 0.0]
    rest = [c.arxiv_id for c in follows[2:]]
    assert rest  # the keyword papers follow
    assert all(not c.why.startswith("author:") for c in follows[2:])
    assert "2611.02412v1" not in rest  # the survey is excluded
    assert "2611.02413v1" not in rest  # cs.PL is not the chat's

    # no exclude here: the survey is in too
    assert [c.arxiv_id for c in cards(world, "only_authors")] == [
        "2611.02410v1",
        "2611.02411v1",
        "2611.02412v1",
    ]
    assert world.row("only_authors", TUESDAY)["state"] == "done"

    plain = [c.arxiv_id for c in cards(world, "plain")]
    assert not {"2611.02410v1", "2611.02411v1"} & set(plain)
