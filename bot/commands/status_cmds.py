"""/status: the bot's health, for its operators only."""

from __future__ import annotations

from datetime import timedelta

from bot import __version__
from bot.commands.common import title
from bot.commands.registry import Call, command
from bot.contract.messages import Reply, bullets, reply
from bot.model.summaries import usage_day


@command(
    "status",
    summary="the bot's health (operators only)",
    usage="status",
    example="/status",
    access="operator",
    private_reply=True,
)
async def status(call: Call) -> Reply:
    services = call.services
    store = services.store
    now = services.clock()
    batch = await store.latest_batch()
    last_fetch = await store.get_meta("last_fetch")
    rows: list[str] = [f"Version {__version__}, up {_duration(now - services.started_at)}"]
    if batch is None:
        rows.append("No announcement fetched yet")
    else:
        rows.append(
            f"Latest announcement {batch.day.isoformat()}: {len(batch.papers)} papers, "
            f"fetched {batch.fetched_at.isoformat(timespec='minutes')}"
        )
    rows.append(f"Last fetch attempt: {last_fetch or 'never'}")
    rows.extend(p.describe() for p in services.platforms.values())
    failures: list[str] = []
    if batch is not None:
        counts = await store.delivery_counts(batch.day)
        states = ("due", "in_progress", "done", "failed", "skipped")
        rows.append(
            "Digests for it: "
            + ", ".join(f"{counts.get(s, 0)} {s.replace('_', ' ')}" for s in states)
        )
        failures = [
            f"{f.platform}:{f.chat_id}: {f.detail or 'unknown'}"
            for f in await store.delivery_failures(batch.day, limit=10)
        ]
    usage = await store.llm_usage(usage_day(now))
    rows.append(
        f"Model today: {usage.calls} calls, {usage.prompt_tokens} prompt + "
        f"{usage.completion_tokens} completion tokens"
    )
    numbers = await store.number_totals()
    rows.append(
        f"Numbers in summaries: {numbers.found} found, {numbers.supported} supported by the "
        f"paper, {numbers.corrected} corrected by the model, {numbers.marked} marked as not "
        "found in the paper"
    )
    blocks = [title("arxiv-bot status"), bullets(rows)]
    instances = await services.instances()
    if instances:
        me = store.instance_id
        blocks += [
            title(f"Instances ({len(instances)})"),
            bullets(
                f"{i.id}{' (leader)' if i.leader else ''}{', this one' if i.id == me else ''}: "
                f"up {_duration(now - i.started_at)}, seen "
                f"{max(0, int((now - i.last_seen).total_seconds()))} s ago"
                for i in instances
            ),
        ]
    if failures:
        blocks += [title("Recent failures"), bullets(failures)]
    return reply(*blocks, private=True)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h {rest // 60}m" if days else f"{hours}h {rest // 60}m"
