"""Commands that read papers: /digest and /summarize."""

from __future__ import annotations

from dataclasses import replace

from bot.commands.common import find_paper_or_reply, load
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Reply, error, reply
from bot.errors import ArxivError, user_message
from bot.rendering.paper_cards import digest_reply, summary_reply
from bot.summaries.feedback import with_votes
from bot.summaries.summarizer import SummaryUnavailable

INTERACTIVE_DEADLINE = 60.0
"""Someone waiting for /digest gets it within a minute; late summaries stay a button away."""


@command(
    "digest", summary="today's digest, now", usage="digest", example="/digest", expensive=True
)
async def digest(call: Call) -> Reply:
    sub = await load(call)
    services = call.services
    settings = services.settings
    chat = call.ctx.chat
    profile = await with_votes(sub.profile(), services.store, chat.platform, chat.chat_id)
    if not sub.categories:  # not subscribed yet: show what the operator's defaults give
        profile = replace(profile, categories=tuple(settings.categories))
    await call.acknowledge(reply("Fetching today's papers..."))
    try:
        result = await services.todays_digest(
            profile, sub.language, deadline=min(settings.summary_deadline, INTERACTIVE_DEADLINE)
        )
    except ArxivError as exc:
        return error(user_message(exc))
    answer = digest_reply(result)
    if not sub.categories:
        note = "This chat follows no categories yet, so this used the defaults; try /subscribe."
        return Reply(answer.blocks, extra=(*answer.extra, reply(note)))
    return answer


@command(
    "summarize",
    summary="a paper's summary by arXiv ID or link",
    usage="summarize ID-or-URL",
    example="/summarize 2512.03394",
    aliases=("summary",),
    params=(Param("paper", "arXiv ID or arxiv.org link", required=True),),
    expensive=True,
)
@action("sum", expensive=True)
async def summarize(call: Call) -> Reply:
    text = call.args.strip()
    if not text:
        return error("Which paper? Example: /summarize 2512.03394 or an arxiv.org link.")
    found = await find_paper_or_reply(call, text.split()[0])
    if isinstance(found, Reply):
        return found
    paper = found
    sub = await load(call)
    summarizer = call.services.summarizer
    if await summarizer.cached(paper, sub.language) is None:
        await call.acknowledge(reply(f"Summarizing arXiv:{paper.versioned_id}, one moment..."))
    requester = (call.ctx.chat.platform, call.ctx.user_id)
    try:
        summary = await summarizer.summary(paper, sub.language, requester=requester)
    except SummaryUnavailable as exc:
        return summary_reply(paper, None, note=str(exc))
    return summary_reply(paper, summary)
