"""Commands that read papers: /digest and /summarize."""

from __future__ import annotations

import secrets
from dataclasses import replace

from bot.commands.common import find_paper_or_reply, load
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Reply, error, reply
from bot.delivery.on_demand import stored_digest
from bot.errors import ArxivError, user_message
from bot.ranking.digest import Digest
from bot.rendering.paper_cards import digest_reply, summary_reply
from bot.summaries.digests import with_summaries
from bot.summaries.feedback import with_votes
from bot.summaries.summarizer import SummaryUnavailable

INTERACTIVE_DEADLINE = 60.0
"""Someone waiting for /digest on a platform that cannot edit its messages (the console) gets
it within a minute; late summaries stay a button away."""


@command(
    "digest", summary="today's digest, now", usage="digest", example="/digest", expensive=True
)
async def digest(call: Call) -> Reply:
    """A repeated /digest while one is being made in the chat joins it (the router's
    throttle answers it: :mod:`bot.commands.throttle`)."""
    return await _digest(call)


async def _digest(call: Call) -> Reply:
    sub = await load(call)
    services = call.services
    settings = services.settings
    chat = call.ctx.chat
    profile = await with_votes(sub.profile(), services.store, chat.platform, chat.chat_id)
    if not sub.categories:  # not subscribed yet: show what the operator's defaults give
        profile = replace(profile, categories=tuple(settings.categories))
    found = await stored_digest(
        services.store, settings, profile, services.clock(), services.embedder
    )
    if found is None:
        await call.acknowledge(reply("Fetching today's papers..."))
        try:
            found = await services.todays_digest(profile, sub.language, summarized=False)
        except ArxivError as exc:
            return error(user_message(exc))
    answer = await _with_summaries(call, found, sub.language)
    if not sub.categories:
        note = "This chat follows no categories yet, so this used the defaults; try /subscribe."
        return replace(answer, extra=(*answer.extra, reply(note)))
    return answer


async def _with_summaries(call: Call, found: Digest, language: str) -> Reply:
    """The summaries that are ready now, the others filled in place as the planner makes
    them; where messages cannot be edited, waiting for them within a deadline."""
    services = call.services
    settings = services.settings
    live = services.live
    chat = call.ctx.chat
    if live is None or not live.editable(chat.platform):
        limit = settings.max_papers_to_summarize
        summarized = await with_summaries(
            found,
            services.summarizer,
            language,
            limit=limit,
            deadline=min(settings.summary_deadline, INTERACTIVE_DEADLINE),
        )
        answer = digest_reply(summarized)
        missing = min(len(found.papers), limit) - len(summarized.summaries)
        if services.summarizer.enabled and missing > 0:
            # Nothing will edit these messages: say why the abstracts stand in.
            answer = replace(answer, extra=(*answer.extra, reply(_missing_note(missing))))
        return answer
    ready = replace(found, summaries=await live.ready(found, language))
    ref = f"digest:{services.clock().isoformat()}:{secrets.token_hex(4)}"  # one per request
    answer, on_message = await live.begin(chat, ref, language, ready, heading="arXiv digest")
    if on_message is not None and services.replan is not None:
        services.replan()
    return replace(answer, on_message=on_message)


def _missing_note(missing: int) -> str:
    papers = "paper has" if missing == 1 else "papers have"
    return (
        f"{missing} {papers} no summary yet (the model could not make it in time); the "
        "abstract stands in. /summarize ID asks again."
    )


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
