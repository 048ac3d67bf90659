"""/feed: a chat's private feed URL (RSS or Atom), and /feed reset to revoke it."""

from __future__ import annotations

from bot.commands.common import load, save
from bot.commands.registry import Call, Param, command
from bot.contract.messages import Link, Reply, error, para, reply
from bot.feeds.tokens import make_token, new_nonce, token_hash


@command(
    "feed",
    summary="this chat's private RSS/Atom feed",
    usage="feed [reset]",
    example="/feed",
    verbs={"reset": "admin"},
    private_reply=True,
    params=(Param("action", "reset: revoke the old address", choices=("reset",)),),
)
async def feed(call: Call) -> Reply:
    services = call.services
    base = services.settings.public_url
    if not base or services.feed_secret is None:
        return error("Feeds are not enabled on this bot: its operator has not set PUBLIC_URL.")
    word = call.args.strip().lower()
    if word not in ("", "reset"):
        return error("Use /feed for this chat's feed address, or /feed reset for a new one.")
    chat = call.ctx.chat
    store = services.store
    if await store.get_subscription(chat.platform, chat.chat_id) is None:
        await save(call, await load(call))
    nonce = await store.feed_nonce(chat.platform, chat.chat_id)
    if nonce is None or word == "reset":
        nonce = new_nonce()
    token = make_token(services.feed_secret, chat.platform, chat.chat_id, nonce)
    await store.set_feed_token(chat.platform, chat.chat_id, nonce, token_hash(token))
    url = f"{base.rstrip('/')}/feed/{token}"
    lead = (
        "A new feed address; the old one no longer works."
        if word == "reset"
        else (
            "This chat's private feed: its categories and keywords over the last 7 announcements."
        )
    )
    return reply(
        lead,
        para("RSS: ", Link(url, url)),
        para("Atom: ", Link(f"{url}?format=atom", f"{url}?format=atom")),
        "Anyone with the address can read it. /feed reset makes a new one.",
        private=True,
    )
