"""In groups and channels only administrators change settings; everyone may read them, ask for
a digest or a summary. In a private chat the user owns the subscription."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands import CommandSpec, default_registry
from bot.commands.router import ADMIN_ONLY_TEXT
from bot.contract.chats import ChatRef, CommandContext
from bot.model.subscriptions import Subscription
from tests.commands.support import (
    ATTENTION,
    GROUP_ADMIN,
    GROUP_MEMBER,
    PLATFORM,
    Bot,
    cards,
    is_error,
    text,
)

ADMIN_COMMANDS = [spec for spec in default_registry().specs() if spec.access == "admin"]
OPEN_COMMANDS = ["/start", "/help", "/help keywords", "/settings", "/list", "/digest"]
OPEN_COMMANDS += ["/summarize 2512.03394", "/summary 2512.03394"]
# A press of each admin-only button that would change the group set up below.
ADMIN_ACTIONS = {
    "pick": "pick:cs",
    "sub": "sub:cs.LG",
    "all": "all:math",
    "unsub": "unsub:cs.CV",
    "authors": "authors:add Li!",
}


def test_the_rules_cover_every_command_and_button() -> None:
    assert {s.name for s in ADMIN_COMMANDS} == {
        "subscribe",
        "unsubscribe",
        "keywords",
        "exclude",
        "interests",
        "authors",
        "time",
        "language",
        "frequency",
        "pause",
        "resume",
    }
    registry = default_registry()
    assert {s.name for s in registry.specs() if s.access == "everyone"} == {
        "start",
        "help",
        "settings",
        "digest",
        "summarize",
        "ask",
        "feed",  # reading is open; /feed reset is for admins (a verb's own access)
        "feedback",  # the same: /feedback reset is for admins
    }
    assert {s.name for s in registry.specs() if s.access == "operator"} == {"status"}
    assert registry.get("feed") is not None
    assert registry.get("feed").verbs == {"reset": "admin"}  # type: ignore[union-attr]
    actions = registry.actions()
    assert {a.verb for a in actions if a.access == "admin"} == set(ADMIN_ACTIONS)
    assert {a.verb for a in actions if a.access == "everyone"} == {"sum", "up", "down"}
    assert registry.get("feedback").verbs == {"reset": "admin"}  # type: ignore[union-attr]


@pytest.fixture
async def group(bot: Bot) -> Subscription:
    """A group whose admin set it up so that every command's example would change it."""
    for typed in ("/subscribe cs.AI cs.CV", "/keywords add RL"):
        assert not is_error(await bot.send(GROUP_ADMIN, typed))
    return await bot.stored(GROUP_ADMIN)


@pytest.mark.parametrize("spec", ADMIN_COMMANDS, ids=[s.name for s in ADMIN_COMMANDS])
async def test_a_member_may_not_change_the_group(
    bot: Bot, group: Subscription, spec: CommandSpec
) -> None:
    example = spec.example

    answer = await bot.send(GROUP_MEMBER, example)

    assert is_error(answer)
    assert text(answer) == ADMIN_ONLY_TEXT
    assert await bot.stored(GROUP_MEMBER) == group


@pytest.mark.parametrize("spec", ADMIN_COMMANDS, ids=[s.name for s in ADMIN_COMMANDS])
async def test_an_admin_may(bot: Bot, group: Subscription, spec: CommandSpec) -> None:
    """The same examples do change the group when an admin sends them (so the refusals above
    are refusals, not examples that change nothing)."""
    example = spec.example
    if example == "/resume":
        await bot.send(GROUP_ADMIN, "/pause")
        group = await bot.stored(GROUP_ADMIN)

    answer = await bot.send(GROUP_ADMIN, example)

    assert not is_error(answer), text(answer)
    assert await bot.stored(GROUP_ADMIN) != group


async def test_a_member_may_not_resume_a_paused_group(bot: Bot, group: Subscription) -> None:
    await bot.send(GROUP_ADMIN, "/pause")
    paused = await bot.stored(GROUP_ADMIN)

    assert text(await bot.send(GROUP_MEMBER, "/resume")) == ADMIN_ONLY_TEXT
    assert await bot.stored(GROUP_ADMIN) == paused


@pytest.mark.parametrize("verb", sorted(ADMIN_ACTIONS))
async def test_a_member_may_not_press_admin_buttons(
    bot: Bot, group: Subscription, verb: str
) -> None:
    answer = await bot.press(GROUP_MEMBER, ADMIN_ACTIONS[verb])

    assert is_error(answer)
    assert text(answer) == ADMIN_ONLY_TEXT
    assert await bot.stored(GROUP_MEMBER) == group


@pytest.mark.parametrize("verb", ["sub", "all", "unsub"])
async def test_an_admin_may_press_them(bot: Bot, group: Subscription, verb: str) -> None:
    await bot.press(GROUP_ADMIN, ADMIN_ACTIONS[verb])

    assert (await bot.stored(GROUP_ADMIN)).categories != group.categories


@pytest.mark.parametrize("typed", OPEN_COMMANDS)
async def test_a_member_may_read_and_ask(bot: Bot, group: Subscription, typed: str) -> None:
    answer = await bot.send(GROUP_MEMBER, typed)

    assert not is_error(answer), text(answer)
    assert ADMIN_ONLY_TEXT not in text(answer)
    assert await bot.stored(GROUP_MEMBER) == group


async def test_a_member_reads_the_groups_settings_and_digest(
    bot: Bot, group: Subscription
) -> None:
    shown = text(await bot.send(GROUP_MEMBER, "/settings"))
    assert "Categories: cs.AI (Artificial Intelligence), cs.CV" in shown
    assert "Keywords: RL" in shown

    assert "cs.AI, cs.CV" in text(await bot.send(GROUP_MEMBER, "/digest"))
    answer = await bot.press(GROUP_MEMBER, "sum:2512.03394")
    assert cards(answer)[0].title == ATTENTION.title


async def test_only_an_admin_turns_a_stopped_group_back_on(bot: Bot, group: Subscription) -> None:
    stopped = replace(group, active=False, inactive_reason="bot was removed")
    await bot.services.store.save_subscription(stopped)

    await bot.send(GROUP_MEMBER, "/start")
    assert await bot.stored(GROUP_MEMBER) == stopped

    assert "Welcome back" in text(await bot.send(GROUP_ADMIN, "/start"))
    assert (await bot.stored(GROUP_ADMIN)).active is True


@pytest.mark.parametrize(("is_admin", "allowed"), [(False, False), (True, True)])
async def test_channels_follow_the_group_rules(bot: Bot, is_admin: bool, allowed: bool) -> None:
    ctx = CommandContext(ChatRef(PLATFORM, "channel-9", "channel"), "carol", is_admin=is_admin)

    answer = await bot.send(ctx, "/subscribe cs.AI")

    assert is_error(answer) is not allowed
    assert (await bot.subscription(ctx) is not None) is allowed


async def test_in_a_private_chat_the_user_owns_the_subscription(bot: Bot) -> None:
    """Even if an adapter did not say so, a private chat needs no admin rights."""
    ctx = CommandContext(ChatRef(PLATFORM, "dave", "private"), "dave", is_admin=False)

    await bot.send(ctx, "/subscribe cs.AI")
    await bot.press(ctx, "sub:cs.LG")

    assert (await bot.stored(ctx)).categories == ("cs.AI", "cs.LG")
