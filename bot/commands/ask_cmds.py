"""/ask: a question about a paper, answered from its full text; and the choice of paper when
a question comes as a reply to a message that shows several (a digest on Telegram)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id, split_version
from bot.commands.common import find_paper_or_reply
from bot.commands.registry import Call, Param, command
from bot.contract.messages import Reply, bullets, error, reply
from bot.errors import ModelError, user_message
from bot.rendering.answers import answer_reply
from bot.services import Services
from bot.summaries.answers import terms
from bot.text.latex import readable

EXAMPLE = "/ask 2512.03394 Which data sets do they evaluate on?"


@command(
    "ask",
    summary="ask a question about a paper, answered from its full text",
    usage="ask ID-or-URL question",
    example=EXAMPLE,
    slow=True,
    params=(
        Param("paper", "arXiv ID or arxiv.org link", required=True),
        Param("question", "what you want to know about the paper", required=True),
    ),
    details=(
        "Follow-up questions about the same paper in this chat continue the conversation. "
        "On Telegram, reply to any message of mine that shows a paper; on Discord, press Ask."
    ),
)
async def ask(call: Call) -> Reply:
    words = call.args.split(maxsplit=1)
    if not words:
        return error(f"Which paper, and what do you want to know? Example: {EXAMPLE}")
    if len(words) < 2 or not words[1].strip():
        try:  # the one word must be a paper before it is asked about
            paper_id = parse_arxiv_id(words[0])
        except InvalidArxivId as exc:
            return error(str(exc))
        return error(
            f"What do you want to know about arXiv:{paper_id}? Write the question after it. "
            f"Example: {EXAMPLE}"
        )
    found = await find_paper_or_reply(call, words[0])
    if isinstance(found, Reply):
        return found
    paper, question = found, words[1].strip()
    answers = call.services.answers
    requester = (call.ctx.chat.platform, call.ctx.user_id)
    try:
        await answers.check(requester)
        await call.acknowledge(reply(f"Reading arXiv:{paper.versioned_id}, one moment..."))
        answer = await answers.ask(
            paper, question, conversation=call.ctx.chat.key, requester=requester
        )
    except ModelError as exc:
        return error(user_message(exc))
    return answer_reply(paper, question, answer)


async def paper_in_question(
    services: Services, papers: Sequence[str], question: str
) -> str | Reply:
    """Of several papers a message shows, the one the question names (its ID, or the most
    words of its title); else a reply asking which one."""
    if len(papers) == 1:
        return papers[0]
    asked = set(terms(question))
    scored: list[tuple[int, str, str]] = []
    for paper_id in papers:
        bare, version = split_version(paper_id)
        if bare in question:
            return paper_id
        stored = await services.store.get_paper(bare, version)
        title = readable(stored.title) if stored else ""
        scored.append((len(asked & set(terms(title))), paper_id, title))
    best = max(score for score, _, _ in scored)
    chosen = [paper_id for score, paper_id, _ in scored if score == best]
    if best > 0 and len(chosen) == 1:
        return chosen[0]
    return error(
        "That message shows several papers. Which one do you mean? Reply with its ID in "
        "the question, or use /ask ID question:",
        bullets((f"{paper_id} {title}".strip(),) for _, paper_id, title in scored),
    )
