"""Commands that read papers: /digest and /summarize."""

from __future__ import annotations

from dataclasses import replace

from bot.arxiv_http import ArxivRequestError, ArxivUnavailable
from bot.arxiv_ids import InvalidArxivId, parse_arxiv_id
from bot.commands.common import load
from bot.commands.registry import Call
from bot.digest import make_digest
from bot.messages import Reply, error, reply
from bot.paper_cards import digest_reply, paper_reply

UNAVAILABLE = "arXiv is not answering right now; please try again in a few minutes."


async def digest(call: Call) -> Reply:
    sub = await load(call)
    settings = call.services.settings
    profile = sub.profile()
    if not sub.categories:  # not subscribed yet: show what the operator's defaults give
        profile = replace(profile, categories=tuple(settings.categories))
    try:
        announcement = await call.services.announcements.fetch(profile.categories)
    except ArxivUnavailable:
        return error(UNAVAILABLE)
    except ArxivRequestError as exc:
        return error(f"arXiv refused the request ({exc}).")
    await call.services.store.save_papers(announcement.papers)
    result = make_digest(announcement, profile, mode=settings.scoring, now=call.services.clock())
    answer = digest_reply(result)
    if not sub.categories:
        note = "This chat follows no categories yet, so this used the defaults; try /subscribe."
        return Reply(answer.blocks, extra=(*answer.extra, reply(note)))
    return answer


async def summarize(call: Call) -> Reply:
    text = call.args.strip()
    if not text:
        return error("Which paper? Example: /summarize 2512.03394 or an arxiv.org link.")
    try:
        wanted = parse_arxiv_id(text.split()[0])
    except InvalidArxivId as exc:
        return error(str(exc))
    store = call.services.store
    paper = await store.get_paper(wanted.id, wanted.version)
    if paper is None:
        try:
            paper = await call.services.papers.get(wanted)
        except ArxivUnavailable:
            return error(UNAVAILABLE)
        except ArxivRequestError as exc:
            return error(f"arXiv refused the request ({exc}).")
        if paper is None:
            return error(f"arXiv has no paper {wanted}. Check the identifier and try again.")
        await store.save_papers([paper])
    return paper_reply(paper)
