"""What the Discord end-to-end tests share: ids, today's papers on the fake arXiv, and ways to
read what the fake Discord recorded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from bot.contract.messages import Reply, reply
from bot.model.papers import Paper
from bot.model.summaries import Summary, SummaryKey
from bot.ranking.digest import Digest
from bot.ranking.scoring import Match, ScoredPaper
from tests.fakes.fake_arxiv import FakePaper
from tests.fakes.fake_discord import InteractionCallback, PostedMessage

TIMEOUT = 10.0
"""Upper bound for every wait on a fake (the waits are event-driven; this only stops a
broken test from hanging)."""

GUILD = 1_180_000_000_000_000_100
CHAN = 1_180_000_000_000_000_101
CHAN2 = 1_180_000_000_000_000_102
CHAN3 = 1_180_000_000_000_000_103
GUILD2 = 1_180_000_000_000_000_500
CHAN_G2 = 1_180_000_000_000_000_501
ADMIN_USER = 1_180_000_000_000_000_300
MEMBER_USER = 1_180_000_000_000_000_301
DM_USER = 1_180_000_000_000_000_302


def paper(arxiv_id: str, title: str, abstract: str, *categories: str) -> FakePaper:
    return FakePaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace (Analytical Engines)", "Alan Turing"],
        categories=list(categories),
    )


# Today's announcement. With cs.AI + cs.LG and the keywords LLM and "mixture of experts":
MOE_LLM = paper(
    "2611.00001",
    "Mixture-of-Experts LLM serving",
    "We serve a sparse model on few GPUs. Routing is learned.",
    "cs.LG",
    "cs.AI",
)
LLM_INFERENCE = paper(
    "2611.00004",
    "Faster LLM inference",
    "Routing tokens in a mixture of experts layer. It is fast.",
    "cs.LG",
)
AGENTS = paper("2611.00002", "Agents that plan", "Planning with LLMs and search.", "cs.AI")
OTHER_CATEGORY = paper(
    "2611.00003", "LLM translation", "Mixture of experts for translation.", "cs.CL"
)
TODAY = [MOE_LLM, LLM_INFERENCE, AGENTS, OTHER_CATEGORY]

# Known to the export API only (for /summarize).
ATTENTION = FakePaper(
    arxiv_id="2512.03394",
    title="Attention, again",
    abstract="We revisit attention. It still works.",
    authors=["Grace Hopper", "张伟"],
    categories=["cs.CL", "cs.LG"],
    version=2,
    replaced=True,
)


# --- reading what the fake recorded ---------------------------------------------------------

Response = InteractionCallback | PostedMessage


def message_of(response: Response) -> PostedMessage | None:
    """The message a response created (None for a deferral or an autocomplete answer)."""
    if isinstance(response, PostedMessage):
        return response
    return response.message


def text_of(message: PostedMessage) -> str:
    """Everything a reader sees of a message: its content and all text of its embeds."""
    return "\n".join(part for part in (message.content, message.embed_text()) if part)


def messages_of(responses: Iterable[Response]) -> list[PostedMessage]:
    return [m for r in responses if (m := message_of(r)) is not None]


def all_text(responses: Iterable[Response]) -> str:
    return "\n".join(text_of(m) for m in messages_of(responses))


# --- digests built directly (for channel deliveries) ----------------------------------------

HOSTILE = (
    "@everyone @here <@&123456789012345678> <@123456789012345678> <@!123456789012345678> "
    "**bold** __under__ ||spoiler|| `code` ~~gone~~ [links](http://evil.example) ]]> "
    "> quote # heading - item $\\alpha_1 < \\beta^2$ 论文 🤖"
)
"""Everything a paper or the model could put in text to ping people or break the layout."""
RAW_PINGS = ("@everyone", "@here", "<@&123456789012345678>", "<@123456789012345678>")


def long_paper(n: int, *, hostile: bool = False) -> Paper:
    """A paper with everything too long: a 300-character title, 40 authors, a long abstract."""
    extra = f" {HOSTILE}" if hostile else ""
    title = f"Paper {n}: " + "sparse mixture-of-experts language models at scale " * 6 + extra
    return Paper(
        arxiv_id=f"2611.{n:05d}",
        version=1,
        title=title,
        abstract=("We study sparse experts. " * 80) + extra,
        authors=tuple(f"Author Number{i} Withaverylongfamilyname{extra}" for i in range(40)),
        categories=("cs.LG", "cs.AI", "cs.CL", "stat.ML"),
        announce_type="new",
        published=date(2026, 11, 24),
    )


def summary_for(paper: Paper, *, tldr_chars: int = 400, hostile: bool = False) -> Summary:
    extra = f" {HOSTILE}" if hostile else ""
    return Summary(
        key=SummaryKey(paper.arxiv_id, paper.version, "fake-model", "en", "test"),
        source="abstract",
        tldr=("The paper shows that sparse experts scale well. " * 40)[:tldr_chars] + extra,
        body="## Contributions\n- A method." + extra,
        prompt_tokens=10,
        completion_tokens=10,
        created_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
    )


def long_digest(count: int = 30, *, hostile: bool = False) -> Digest:
    """``count`` papers, each matched by 120 keywords (a "why" longer than a field holds),
    each with a long TL;DR."""
    papers = [long_paper(n + 1, hostile=hostile) for n in range(count)]
    matched = tuple(Match(f"keyword number {i}", in_title=i % 2 == 0) for i in range(120))
    scored = tuple(
        ScoredPaper(p, score=100.0 - n, matched=matched, announce_type="new")
        for n, p in enumerate(papers)
    )
    return Digest(
        generated_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
        categories=("cs.AI", "cs.LG"),
        announcement_day=date(2026, 11, 24),
        announced=500,
        papers=scored,
        summaries={p.versioned_id: summary_for(p, hostile=hostile) for p in papers},
    )


def short_reply(text: str, parts: int = 1) -> Reply:
    """A reply of ``parts`` messages."""
    extra = tuple(reply(f"{text} (part {n})") for n in range(2, parts + 1))
    return Reply(reply(text).blocks, extra=extra)
