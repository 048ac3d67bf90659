"""Commands that read papers: /digest and /summarize."""

from __future__ import annotations

import secrets
from dataclasses import replace

from bot.arxiv.lookup import PaperNotFound, find_paper
from bot.commands.common import load
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Reply, error, reply
from bot.delivery.on_demand import stored_digest
from bot.errors import ArxivError, BadInput, user_message
from bot.model.papers import Paper
from bot.ranking.digest import Digest
from bot.rendering.paper_cards import digest_reply, summary_reply
from bot.summaries.digests import build_digest, with_summaries
from bot.summaries.summarizer import SummaryUnavailable

INTERACTIVE_DEADLINE = 60.0
"""Someone waiting for /digest on a platform that cannot edit its messages (the console) gets
it within a minute; late summaries stay a button away."""
ON_ITS_WAY = "This chat's digest is already being made; it appears here in a moment."


@command("digest", summary="today's digest, now", usage="digest", example="/digest")
async def digest(call: Call) -> Reply:
    """One /digest per chat at a time: a repeated request while one is being made joins it
    (it says so), so one chat cannot queue unbounded work."""
    running = call.services.digests_running
    key = call.ctx.chat.key
    if key in running:
        return reply(ON_ITS_WAY)
    running.add(key)
    try:
        return await _digest(call)
    finally:
        running.discard(key)


async def _digest(call: Call) -> Reply:
    sub = await load(call)
    services = call.services
    settings = services.settings
    profile = sub.profile()
    if not sub.categories:  # not subscribed yet: show what the operator's defaults give
        profile = replace(profile, categories=tuple(settings.categories))
    now = services.clock()
    found = await stored_digest(services.store, settings, profile, now)
    if found is None:
        await call.acknowledge(reply("Fetching today's papers..."))
        try:
            found = await build_digest(
                services.announcements, profile, mode=settings.scoring, papers=services.store,
                now=now,
            )  # fmt: skip
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
        summarized = await with_summaries(
            found,
            services.summarizer,
            language,
            limit=settings.max_papers_to_summarize,
            deadline=min(settings.summary_deadline, INTERACTIVE_DEADLINE),
        )
        return digest_reply(summarized)
    ready = replace(found, summaries=await live.ready(found, language))
    ref = f"digest:{services.clock().isoformat()}:{secrets.token_hex(4)}"  # one per request
    answer, on_message = await live.begin(chat, ref, language, ready, heading="arXiv digest")
    if on_message is not None and services.replan is not None:
        services.replan()
    return replace(answer, on_message=on_message)


async def _find_paper(call: Call, text: str) -> Paper | Reply:
    try:
        return await find_paper(call.services.store, call.services.papers, text)
    except PaperNotFound as exc:
        return error(f"{exc}. Check the identifier and try again.")
    except (BadInput, ArxivError) as exc:
        return error(user_message(exc))


@command(
    "summarize",
    summary="a paper's summary by arXiv ID or link",
    usage="summarize ID-or-URL",
    example="/summarize 2512.03394",
    aliases=("summary",),
    params=(Param("paper", "arXiv ID or arxiv.org link", required=True),),
)
@action("sum")
async def summarize(call: Call) -> Reply:
    text = call.args.strip()
    if not text:
        return error("Which paper? Example: /summarize 2512.03394 or an arxiv.org link.")
    found = await _find_paper(call, text.split()[0])
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
