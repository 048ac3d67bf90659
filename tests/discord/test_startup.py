"""Starting the adapter: slash commands generated from the command registry and synced
(globally, or to ``DISCORD_GUILD_IDS``), and a gateway session with default intents only."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from app.settings import load_app_settings
from app.wiring import build_adapters
from bot.commands import CommandSpec
from tests.discord.conftest import Bot
from tests.discord.support import GUILD, GUILD2, TIMEOUT
from tests.fakes.fake_discord import FakeDiscord

STRING = 3  # application command option type
PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT


def by_name(commands: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in commands}


def check_generated(spec: CommandSpec, command: dict[str, Any]) -> None:
    """One synced command matches its declaration: description, and every parameter as a
    typed option in order, with its description, required flag, choices and autocomplete."""
    assert command["type"] == 1
    assert command["description"] == spec.summary[:100]
    options = command.get("options") or []
    assert [o["name"] for o in options] == [p.name for p in spec.params]
    for param, option in zip(spec.params, options, strict=True):
        assert option["type"] == STRING, option
        assert option["description"] == param.description[:100]
        assert bool(option.get("required", False)) is param.required, option
        if param.choices:
            assert [c["value"] for c in option["choices"]] == list(param.choices)
        else:
            assert not option.get("choices")
        wants_completion = param.complete in ("category", "followed", "timezone", "language")
        assert bool(option.get("autocomplete", False)) is wants_completion, option


async def test_every_command_is_synced_globally_with_typed_options(bot: Bot) -> None:
    await bot.start()

    synced = by_name(bot.fake.commands["global"])
    specs = bot.router.registry.specs()
    assert set(synced) == {spec.name for spec in specs}
    for spec in specs:
        check_generated(spec, synced[spec.name])
    # The declarations this suite relies on, spelled out.
    assert [c["value"] for c in synced["frequency"]["options"][0]["choices"]] == [
        "daily",
        "weekly",
    ]
    time_options = by_name(synced["time"]["options"])
    assert time_options["time"]["required"] is True
    assert time_options["timezone"].get("autocomplete") is True
    assert by_name(synced["subscribe"]["options"])["categories"].get("autocomplete") is True
    assert by_name(synced["summarize"]["options"])["paper"]["required"] is True
    assert [g for g in bot.fake.commands if g != "global"] == []  # no guild commands


async def test_the_gateway_session_asks_for_default_intents_only(bot: Bot) -> None:
    await bot.start()

    assert bot.fake.identify is not None
    intents = int(bot.fake.identify["intents"])
    assert intents == discord.Intents.default().value
    assert intents & PRIVILEGED == 0
    assert bot.fake.identify["token"] == bot.fake.token
    assert bot.fake.invalid_requests == 0


async def test_no_sync_when_told_not_to(bot: Bot) -> None:
    await bot.start(sync_commands=False)

    assert bot.fake.commands == {}
    assert not [r for r in bot.fake.requests if "/commands" in r.path]


async def test_guild_ids_from_the_settings_get_the_commands_instead(
    bot: Bot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``DISCORD_GUILD_IDS`` set: the composition root builds the adapter, which syncs to
    those servers (where commands appear at once) and not globally."""
    monkeypatch.setenv("DISCORD_GUILD_IDS", f"{GUILD},{GUILD2}")
    settings = load_app_settings()
    assert settings.discord_guild_ids == [GUILD, GUILD2]
    adapters = build_adapters(settings, bot.services)
    assert [a.platform for a in adapters] == ["discord"]
    (adapter,) = adapters

    await bot.run(adapter)  # type: ignore[arg-type]

    assert set(fake.commands) == {GUILD, GUILD2}
    names = {spec.name for spec in bot.router.registry.specs()}
    for guild in (GUILD, GUILD2):
        synced = by_name(fake.commands[guild])
        assert set(synced) == names
        for spec in bot.router.registry.specs():
            check_generated(spec, synced[spec.name])
    puts = [r.path for r in fake.requests if r.method == "PUT"]
    assert sorted(puts) == sorted(
        f"/applications/{fake.app_id}/guilds/{g}/commands" for g in (GUILD, GUILD2)
    )
    # The guild commands work: a slash command in the second guild is answered.
    iid = fake.slash("help", guild_id=GUILD2)
    async with asyncio.timeout(TIMEOUT):
        callback = await fake.wait_for_callback(iid)
    assert callback.type == 4


async def test_an_instance_connects_the_gateway_shards_it_is_given(
    bot: Bot, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Instances sharing a database split the bot's shards: ``DISCORD_SHARD_COUNT`` and this
    instance's ``DISCORD_SHARD_IDS`` go to discord.py's sharded client."""
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2")
    settings = load_app_settings()
    (adapter,) = build_adapters(settings, bot.services)

    await bot.run(adapter)  # type: ignore[arg-type]

    assert fake.identify is not None
    assert fake.identify["shard"] == [2, 4]
    assert isinstance(adapter.client, discord.AutoShardedClient)  # type: ignore[attr-defined]
    iid = fake.slash("help", guild_id=GUILD)  # its interactions are answered
    async with asyncio.timeout(TIMEOUT):
        assert (await fake.wait_for_callback(iid)).type == 4


async def test_without_shard_settings_one_connection_as_before(bot: Bot) -> None:
    adapter = await bot.start()
    assert type(adapter.client).__mro__[1] is discord.Client
    assert bot.fake.identify is not None
    assert "shard" not in bot.fake.identify
