"""👍/👎 under each paper of a digest, and /feedback: votes that teach a chat's ranking.

A vote is kept for the chat it was cast in (never another), once per member and paper: a
member who votes again replaces their vote. The paper leans the way most members voted."""

from __future__ import annotations

from bot.arxiv.ids import InvalidArxivId, parse_arxiv_id
from bot.commands.registry import Call, Param, action, command
from bot.contract.messages import Reply, error, reply
from bot.text.latex import readable

UP = "up"
DOWN = "down"


async def _vote(call: Call, vote: int) -> Reply:
    try:
        arxiv_id = parse_arxiv_id(call.args).id
    except InvalidArxivId:
        return error("That button has expired. Please run /digest again.")
    store = call.services.store
    paper = await store.get_paper(arxiv_id)
    if paper is None:
        return error(f"arXiv:{arxiv_id} is not a paper of a digest here.")
    chat = call.ctx.chat
    changed = await store.record_vote(
        chat.platform, chat.chat_id, arxiv_id, call.ctx.user_id, vote
    )
    title = readable(paper.title)
    if not changed:
        return Reply(reply(f"You already voted on “{title}”.").blocks, private=True)
    way = "more" if vote > 0 else "fewer"
    return Reply(
        reply(
            f"{'👍' if vote > 0 else '👎'} noted: {way} papers like “{title}” in this chat's "
            "digests. /feedback reset forgets the votes."
        ).blocks,
        private=True,
    )


@action(UP)
async def vote_up(call: Call) -> Reply:
    """Button: ``up:<arXiv id>``."""
    return await _vote(call, 1)


@action(DOWN)
async def vote_down(call: Call) -> Reply:
    """Button: ``down:<arXiv id>``."""
    return await _vote(call, -1)


async def votes_text(call: Call) -> str:
    """How many votes shape this chat's ranking, for /settings and /feedback."""
    chat = call.ctx.chat
    votes = await call.services.store.chat_votes(chat.platform, chat.chat_id)
    if not votes:
        return "none yet (👍/👎 under each paper of a digest)"
    up = sum(u for u, _ in votes.values())
    down = sum(d for _, d in votes.values())
    return f"{up + down} ({up} 👍, {down} 👎) on {len(votes)} papers shape the ranking"


@command(
    "feedback",
    summary="the 👍/👎 votes that shape this chat's ranking",
    usage="feedback [reset]",
    example="/feedback reset",
    verbs={"reset": "admin"},
    params=(Param("action", "reset forgets every vote", choices=("reset",)),),
    details="Each 👍 moves this chat's ranking towards papers like that one, each 👎 away "
    "from them; every member's vote counts once per paper.",
)
async def feedback(call: Call) -> Reply:
    verb = call.args.strip().lower()
    chat = call.ctx.chat
    if verb == "reset":
        forgotten = await call.services.store.forget_votes(chat.platform, chat.chat_id)
        return reply(f"Forgot {forgotten} votes: the ranking no longer learns from them.")
    if verb:
        return error("I understand /feedback or /feedback reset.")
    return reply(f"Votes: {await votes_text(call)}.")
