"""An operator on Discord (``discord:<user id>`` in the operators setting) gets a DM when
channels become unusable: named with their server, why, and what fixes it."""

from __future__ import annotations

import pytest

from bot.contract.chats import ChatRef
from bot.contract.outbound import DeliveryError
from bot.delivery.operator_alerts import OperatorAlerts
from bot.delivery.unusable import fix_for
from tests.discord.conftest import Bot
from tests.discord.support import ADMIN_USER, CHAN2, CHAN3, GUILD, short_reply, text_of


async def test_an_operator_on_discord_gets_one_dm_naming_the_channels_and_their_fixes(
    bot: Bot,
) -> None:
    alerts = OperatorAlerts([f"discord:{ADMIN_USER}"])
    bot.events.alerts = alerts
    adapter = await bot.start()
    alerts.add(adapter)
    await bot.subscribe(CHAN2)
    await bot.subscribe(CHAN3)
    bot.fake.missing_permissions.add(CHAN2)
    bot.fake.unknown_channels.add(CHAN3)

    async with alerts.round():
        for chat_id in (CHAN2, CHAN3):
            with pytest.raises(DeliveryError):
                await adapter.send(ChatRef("discord", str(chat_id), "channel"), short_reply("d"))

    dm = bot.fake.dm_channels[ADMIN_USER]
    [message] = [m for m in bot.fake.messages_in(dm) if m.via == "channel"]
    text = text_of(message)
    server = f"Guild {GUILD % 10000}"
    assert "2 chats can no longer get digests" in text
    assert f'discord:{CHAN2} ("#channel-1 ({server})", channel): missing permissions' in text
    assert f"discord:{CHAN3}" in text
    assert "unknown channel" in text
    assert fix_for("missing permissions") in text
    assert fix_for("unknown channel") in text
    assert message.allowed_mentions == {"parse": []}
