"""Who leads the instances that share one database.

Any number of ``arxiv-bot run`` may share a PostgreSQL database; some work must still be
done by one of them at a time: fetching each announcement, turning due subscriptions into
ledger rows, planning summaries, and polling Telegram (which allows one consumer per bot).
That instance is the leader. The others deliver the ledger rows they claim and serve
(commands, feeds, /healthz); when the leader dies, one of them takes over. On SQLite the one
instance always leads. ``storage/leadership.py`` implements this; ``app/`` asks it.
"""

from __future__ import annotations

from typing import Protocol


class Leadership(Protocol):
    @property
    def leads(self) -> bool:
        """Whether this instance leads, as of the last :meth:`refresh`."""
        ...

    async def refresh(self) -> bool:
        """Stay the leader (checking that the hold on it still stands), or try to become
        it when no one leads; whether this instance leads now. Called every few seconds:
        a lost connection to the database means lost leadership."""
        ...

    async def close(self) -> None:
        """Give leadership up at once (another instance takes it at its next try)."""
        ...
