"""/start, /help and /settings."""

from __future__ import annotations

from bot.commands.common import describe, load, save, title
from bot.commands.registry import Call, Param, Registry, command
from bot.contract.messages import Block, Code, Reply, Text, bullets, error, para, reply
from bot.delivery.unusable import BACK_ON_TEXT

INTRO = (
    "I follow arXiv for this chat: every announcement day I send the new papers of your "
    "categories that match your keywords, best first, each with a short summary you can open. "
    "Ask me for any paper's summary with /summarize and its arXiv ID."
)


def command_list(registry: Registry) -> Block:
    rows = []
    for spec in registry.specs():
        rows.append((Code(f"/{spec.usage}"), Text(f" - {spec.summary}")))
    return bullets(rows)


def help_for(registry: Registry, name: str) -> Reply:
    spec = registry.get(name.lstrip("/").lower())
    if spec is None:
        return error(f"There is no command /{name.lstrip('/')}. /help lists them all.")
    blocks: list[Block] = [title(f"/{spec.usage}"), para(spec.summary)]
    if spec.details:
        blocks.append(para(spec.details))
    blocks.append(para("Example: ", Code(spec.example)))
    if spec.aliases:
        blocks.append(para("Also: " + ", ".join(f"/{a}" for a in spec.aliases)))
    if spec.access == "admin":
        blocks.append(para("In groups and channels, only administrators may use it."))
    elif spec.access == "operator":
        blocks.append(para("Only the bot's operators may use it."))
    return Reply(tuple(blocks))


@command(
    "start",
    summary="what I do, and this chat's settings",
    usage="start",
    example="/start",
    writes=True,
    shows_chat_state=True,
    payload=True,
)
async def start(call: Call) -> Reply:
    """Also how a chat that blocked or removed the bot turns its digests back on."""
    sub = await load(call)
    note: list[Block] = []
    if not sub.active and (call.ctx.is_admin or call.ctx.chat.kind == "private"):
        sub = sub.changed(active=True, inactive_reason=None)
        await save(call, sub)
        note = [para(BACK_ON_TEXT)]
    return reply(
        *note,
        INTRO,
        title("Commands"),
        command_list(call.registry),
        title("This chat"),
        *describe(call, sub),
    )


@command(
    "help",
    summary="the commands, or one command in detail",
    usage="help [command]",
    example="/help keywords",
    private_reply=True,
    params=(Param("command", "a command name"),),
)
async def help_command(call: Call) -> Reply:
    if call.args.strip():
        return help_for(call.registry, call.args.split()[0])
    return reply(
        INTRO,
        title("Commands"),
        command_list(call.registry),
        "Details of one command: /help subscribe",
    )
