"""What the command tests share: chats, the fixed clock, today's papers on the fake arXiv, and
ways to read a neutral :class:`Reply` without any adapter."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.commands import CommandRouter
from bot.contract.chats import ChatRef, CommandContext
from bot.services import Services
from tests.fakes.fake_arxiv import FakePaper
from tests.harness import CommandBot, actions, buttons, cards, folded, is_error, parts, text

__all__ = [
    "actions",
    "buttons",
    "cards",
    "folded",
    "is_error",
    "parts",
    "text",
]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
"""A Tuesday, noon UTC: the next 08:00 UTC delivery is Wednesday 25 November 2026."""

PLATFORM = "test"
PRIVATE = CommandContext(ChatRef(PLATFORM, "alice", "private"), "alice", is_admin=True)
GROUP_ADMIN = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "alice", is_admin=True)
GROUP_MEMBER = CommandContext(ChatRef(PLATFORM, "-1001", "group"), "bob", is_admin=False)


def paper(arxiv_id: str, title: str, abstract: str, *categories: str) -> FakePaper:
    return FakePaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=["Ada Lovelace (Analytical Engines)", "Alan Turing"],
        categories=list(categories),
    )


# Today's announcement. With keywords LLM and "mixture of experts" and cs.AI + cs.LG:
MOE_LLM = paper(  # LLM (title) 1.5 + mixture of experts (title) 1.5 = 3.0
    "2611.00001",
    "Mixture-of-Experts LLM serving",
    "We serve a sparse model on few GPUs.",
    "cs.LG",
    "cs.AI",
)
LLM_INFERENCE = paper(  # LLM (title) 1.5 + mixture of experts 1.0 = 2.5
    "2611.00004",
    "Faster LLM inference",
    "Routing tokens in a mixture of experts layer.",
    "cs.LG",
)
AGENTS = paper(  # LLM 1.0
    "2611.00002", "Agents that plan", "Planning with LLMs and search.", "cs.AI"
)
SURVEY = paper(  # LLM (title): removed by /exclude survey
    "2611.00005", "A survey of LLM agents", "We survey the field.", "cs.AI"
)
OTHER_CATEGORY = paper(  # not in cs.AI or cs.LG
    "2611.00003", "LLM translation", "Mixture of experts for translation.", "cs.CL"
)
CROSS_LIST = paper(  # primary math.OC: a cross-list for cs.LG, left out by default
    "2611.00006", "LLM step sizes", "Optimising LLM training.", "math.OC", "cs.LG"
)
NO_MATCH = paper("2611.00007", "Graph colouring", "Colour graphs quickly.", "cs.AI")
TODAY = [MOE_LLM, LLM_INFERENCE, AGENTS, SURVEY, OTHER_CATEGORY, CROSS_LIST, NO_MATCH]

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


class Bot(CommandBot):
    """The command harness with the suite's fixed clock."""

    def __init__(self, services: Services, router: CommandRouter, now: datetime = NOW) -> None:
        super().__init__(services, router, now)
