"""Digests completed in place: sent on time with the summaries that are ready, the others
showing their abstract's extract, and edited when the missing summaries land.

What a digest showed is kept as a snapshot (its ranked papers, not its text), with the papers
it still waits for and, per platform message, the papers that message carries. Rebuilt from
the snapshot with the summaries made since, the reply splits into the same messages (cards of
pending papers keep room for their TL;DR: :attr:`~bot.contract.messages.PaperCard.tldr_room`),
so each message whose paper got its summary is edited, and nothing is sent again. A message
the platform no longer lets us edit keeps its extract; the summary stays one button away.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.contract.chats import ChatRef
from bot.contract.messages import Reply
from bot.contract.outbound import DeliveryError, Editor, OnMessage, Sender
from bot.model.papers import Paper
from bot.model.store import LiveDigest, LiveMessage, Store
from bot.model.summaries import Summary
from bot.ranking.digest import Digest
from bot.ranking.scoring import Match, ScoredPaper
from bot.rendering.paper_cards import digest_reply
from bot.summaries.summarizer import Summarizer

log = logging.getLogger(__name__)

LIVE_FOR = timedelta(days=2)
"""How long a digest waits for its missing summaries before it is left as sent."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a live digest showed: enough to build its reply again."""

    chat: ChatRef
    heading: str
    digest: Digest
    completed_later: frozenset[str]


def encode(snapshot: Snapshot) -> str:
    d = snapshot.digest
    return json.dumps(
        {
            "chat_kind": snapshot.chat.kind,
            "heading": snapshot.heading,
            "generated_at": d.generated_at.isoformat(),
            "categories": list(d.categories),
            "day": d.announcement_day.isoformat() if d.announcement_day else None,
            "announced": d.announced,
            "papers": [
                [
                    s.paper.arxiv_id,
                    s.paper.version,
                    s.score,
                    s.announce_type,
                    [[m.keyword, m.in_title] for m in s.matched],
                    s.similarity,
                    s.author,
                ]
                for s in d.papers
            ],
            "note": d.note,
            "completed_later": sorted(snapshot.completed_later),
        },
        ensure_ascii=False,
    )


async def decode(live: LiveDigest, papers: Callable[[str, int], Any]) -> Snapshot | None:
    """The snapshot, its papers read back from the store (None when one is gone)."""
    data = json.loads(live.snapshot)
    scored: list[ScoredPaper] = []
    for arxiv_id, version, score, announce_type, matched, similarity, author in data["papers"]:
        paper: Paper | None = await papers(arxiv_id, version)
        if paper is None:
            return None
        matches = tuple(Match(k, bool(t)) for k, t in matched)
        scored.append(ScoredPaper(paper, float(score), matches, announce_type, similarity, author))
    day = data["day"]
    digest = Digest(
        generated_at=datetime.fromisoformat(data["generated_at"]),
        categories=tuple(data["categories"]),
        announcement_day=date.fromisoformat(day) if day else None,
        announced=int(data["announced"]),
        papers=tuple(scored),
        note=data["note"],
    )
    chat = ChatRef(live.platform, live.chat_id, data["chat_kind"])
    return Snapshot(chat, data["heading"], digest, frozenset(data["completed_later"]))


class ReadyMemo:
    """Summaries looked up during a fan-out: one that exists is read once; one that does not
    is looked up again only after ``recheck`` seconds (the planner may have made it since).
    Without it, 10,000 digests of 10 papers ask the store 100,000 times for ~800 papers, and
    the ledger's writes, which pace the fan-out, queue behind those reads."""

    def __init__(self, recheck: float = 5.0) -> None:
        self.recheck = recheck
        self._found: dict[tuple[str, str], Summary] = {}
        self._missing: dict[tuple[str, str], float] = {}

    def get(self, language: str, vid: str) -> Summary | None:
        return self._found.get((language, vid))

    def known_missing(self, language: str, vid: str) -> bool:
        since = self._missing.get((language, vid))
        return since is not None and time.monotonic() - since < self.recheck

    def put(self, language: str, vid: str, summary: Summary | None) -> None:
        if summary is None:
            self._missing[(language, vid)] = time.monotonic()
        else:
            self._found[(language, vid)] = summary
            self._missing.pop((language, vid), None)


class PaperMemo:
    """Papers read from the store once for a pass over many digests."""

    def __init__(self, read: Callable[[str, int], Awaitable[Paper | None]]) -> None:
        self._read = read
        self._found: dict[tuple[str, int], Paper | None] = {}

    async def get(self, arxiv_id: str, version: int) -> Paper | None:
        key = (arxiv_id, version)
        if key not in self._found:
            self._found[key] = await self._read(arxiv_id, version)
        return self._found[key]


class LiveDigests:
    """Starts live digests (:meth:`begin`) and completes them (:meth:`complete`)."""

    def __init__(
        self,
        *,
        store: Store,
        summarizer: Summarizer,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime],
        limit: int,
    ) -> None:
        self.store = store
        self.summarizer = summarizer
        self.senders = senders
        self.clock = clock
        self.limit = limit
        """Only a digest's top ``limit`` papers get summaries (``max_papers_to_summarize``)."""

    def editable(self, platform: str) -> bool:
        return isinstance(self.senders.get(platform), Editor)

    async def ready(
        self, digest: Digest, language: str, seen: ReadyMemo | None = None
    ) -> dict[str, Summary]:
        """The summaries of the digest's top papers that exist now (never waits). ``seen``
        shares the lookups between the digests of a fan-out, which show the same papers."""
        found: dict[str, Summary] = {}
        for scored in digest.papers[: self.limit]:
            paper = scored.paper
            summary = seen.get(language, paper.versioned_id) if seen is not None else None
            if seen is not None and seen.known_missing(language, paper.versioned_id):
                continue
            if summary is None:
                summary = await self.summarizer.cached(paper, language)
                if seen is not None:
                    seen.put(language, paper.versioned_id, summary)
            if summary is not None:
                found[paper.versioned_id] = summary
        return found

    def missing(self, digest: Digest) -> tuple[str, ...]:
        """The top papers the digest shows without their summary."""
        if not self.summarizer.enabled:
            return ()
        top = digest.papers[: self.limit]
        return tuple(
            s.paper.versioned_id for s in top if s.paper.versioned_id not in digest.summaries
        )

    async def begin(
        self, chat: ChatRef, ref: str, language: str, digest: Digest, *, heading: str
    ) -> tuple[Reply, OnMessage | None]:
        """The digest's reply, and (when papers still wait for their summary) what records
        its messages for the completion. A digest resumed after a restart keeps the layout
        it was first sent with."""
        pending = self.missing(digest)
        if not pending:
            return digest_reply(digest, heading=heading), None
        snapshot = Snapshot(chat, heading, digest, frozenset(pending))
        await self.store.save_live_digest(
            LiveDigest(
                platform=chat.platform,
                chat_id=chat.chat_id,
                ref=ref,
                language=language,
                snapshot=encode(replace(snapshot, digest=replace(digest, summaries={}))),
                pending=pending,
                created_at=self.clock(),
            )
        )

        async def record(index: int, message_id: str, papers: tuple[str, ...]) -> None:
            message = LiveMessage(index, message_id, papers)
            await self.store.add_live_message(chat.platform, chat.chat_id, ref, message)

        reply = digest_reply(digest, heading=heading, completed_later=pending)
        return reply, record

    async def resumed(
        self, chat: ChatRef, ref: str, digest: Digest, *, heading: str
    ) -> tuple[Reply, OnMessage | None] | None:
        """For a digest whose first messages went out before a restart: its reply in the
        layout it was sent with, or None when it was not live."""
        live = await self.store.live_digest(chat.platform, chat.chat_id, ref)
        if live is None:
            return None
        snapshot = await decode(live, self.store.get_paper)
        if snapshot is None:
            return None

        async def record(index: int, message_id: str, papers: tuple[str, ...]) -> None:
            message = LiveMessage(index, message_id, papers)
            await self.store.add_live_message(chat.platform, chat.chat_id, ref, message)

        reply = digest_reply(digest, heading=heading, completed_later=snapshot.completed_later)
        return reply, record

    async def complete(self) -> int:
        """Edit every sent message whose papers got their summaries; returns the edits.
        A pass reads each paper and each summary once: after a fan-out, a thousand live
        digests show the same few hundred papers, and this runs every few seconds."""
        edits = 0
        papers = PaperMemo(self.store.get_paper)
        seen = ReadyMemo()
        for live in await self.store.live_digests():
            key = (live.platform, live.chat_id, live.ref)
            if self.clock() - live.created_at > LIVE_FOR:
                await self.store.set_live_pending(*key, ())
                continue
            sender = self.senders.get(live.platform)
            if not isinstance(sender, Editor) or not live.messages:
                continue
            snapshot = await decode(live, papers.get)
            if snapshot is None:
                await self.store.set_live_pending(*key, ())
                continue
            done = await self._complete_one(sender, live, snapshot, seen)
            if done is None:
                continue  # the platform asks to wait: the next round tries again
            edits += done[0]
            await self.store.set_live_pending(*key, done[1])
        return edits

    async def _complete_one(
        self, sender: Editor, live: LiveDigest, snapshot: Snapshot, seen: ReadyMemo
    ) -> tuple[int, tuple[str, ...]] | None:
        summaries = await self.ready(snapshot.digest, live.language, seen)
        sent = {p for m in live.messages for p in m.papers}
        landed = {vid for vid in live.pending if vid in summaries and vid in sent}
        if not landed:
            return 0, live.pending
        digest = replace(snapshot.digest, summaries=summaries)
        reply = digest_reply(
            digest, heading=snapshot.heading, completed_later=snapshot.completed_later
        )
        edits = 0
        for message in live.messages:
            if not landed & set(message.papers):
                continue
            try:
                await sender.edit(
                    snapshot.chat, reply, index=message.index, message_id=message.message_id
                )
                edits += 1
            except DeliveryError as exc:
                if exc.kind in ("rate_limited", "transient", "uncertain"):
                    log.info("completing a digest in %s waits: %s", snapshot.chat.key, exc)
                    return None
                log.info("a digest message in %s cannot be completed: %s", snapshot.chat.key, exc)
        return edits, tuple(v for v in live.pending if v not in landed)
