"""What happens when a platform tells us something about a chat itself.

Adapters translate platform signals (Telegram's 403 or ``migrate_to_chat_id``, Discord's
unknown channel) into these calls; the rules live here, once.
"""

from __future__ import annotations

import logging

from bot.contract.chats import ChatRef
from bot.delivery.operator_alerts import OperatorAlerts
from bot.delivery.unusable import UnusableChat
from bot.model.store import SubscriptionStore

log = logging.getLogger(__name__)


class ChatEvents:
    def __init__(self, store: SubscriptionStore, alerts: OperatorAlerts | None = None) -> None:
        self.store = store
        self.alerts = alerts
        """Told when a chat becomes unusable (the operators hear of it); None: nobody."""

    async def gone(self, chat: ChatRef, reason: str, *, title: str | None = None) -> None:
        """The bot can no longer post there (blocked, kicked, deleted): stop delivering until
        someone uses /resume (or /start) there again. Settings are kept. The operators hear
        of it once, when it happens (``title``: the chat's name, when the platform said)."""
        sub = await self.store.get_subscription(chat.platform, chat.chat_id)
        if sub is not None and sub.active:
            await self.store.save_subscription(sub.changed(active=False, inactive_reason=reason))
            log.info("deactivated %s: %s", chat.key, reason)
            if self.alerts is not None:
                self.alerts.chat_unusable(UnusableChat(sub.chat, reason, title))

    async def migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The chat got a new id (a Telegram group became a supergroup): keep its
        subscription under the new id."""
        if await self.store.move_chat(platform, old_chat_id, new_chat_id):
            log.info("moved %s:%s to %s", platform, old_chat_id, new_chat_id)
