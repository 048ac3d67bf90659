"""Self-tests: the fake Discord (REST + gateway) against the real discord.py 2.7."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from discord import app_commands

from tests.fakes.fake_discord import (
    ADMIN_PERMS,
    EPHEMERAL,
    MEMBER_PERMS,
    FakeDiscord,
    FakeDiscordThread,
    ManualClock,
    PostedMessage,
    point_discord_py_at,
)

GUILD = 1_180_000_000_000_000_100
CHAN = 1_180_000_000_000_000_101
CHAN2 = 1_180_000_000_000_000_102
CHAN3 = 1_180_000_000_000_000_103
USER = 1_180_000_000_000_000_300
USER2 = 1_180_000_000_000_000_301
TIMEOUT = 5.0


# --------------------------------------------------------------------------------------------
# A small real discord.py bot


class SummaryButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sum:(?P<aid>[\w./-]+)"
):
    def __init__(self, aid: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show summary", custom_id=f"sum:{aid}", style=discord.ButtonStyle.primary
            )
        )
        self.aid = aid

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: Any
    ) -> SummaryButton:
        return cls(match["aid"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await interaction.response.send_message(f"summary of {self.aid}", ephemeral=True)


class RefreshView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Refresh", custom_id="persistent:refresh")
    async def refresh(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.edit_message(content="refreshed", view=None)  # type 7
        await interaction.edit_original_response(content="refreshed twice")  # PATCH @original


class Bot(discord.Client):
    def __init__(self) -> None:
        # on_ready fires guild_ready_timeout (default 2 s) after the last GUILD_CREATE.
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.proceed = asyncio.Event()
        self.late: asyncio.Future[BaseException] | None = None
        self.seen_channel: Any = None
        self.seen_permissions: discord.Permissions | None = None
        _register(self)

    async def setup_hook(self) -> None:
        self.late = asyncio.get_running_loop().create_future()
        self.add_dynamic_items(SummaryButton)
        self.add_view(RefreshView())
        await self.tree.sync()


def _register(bot: Bot) -> None:
    tree = bot.tree

    @tree.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction, name: str) -> None:
        bot.seen_permissions = interaction.permissions
        await interaction.response.send_message(
            f"hi {name} @everyone",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @tree.command(name="digest", description="Latest papers in a category")
    async def digest(
        interaction: discord.Interaction,
        category: str,
        limit: app_commands.Range[int, 1, 10] = 5,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"{limit} papers in {category}", ephemeral=False)
        await interaction.followup.send("second, public", ephemeral=False)

    @digest.autocomplete("category")
    async def digest_category(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        cats = ["cs.AI", "cs.CL", "cs.LG", "math.ST"]
        return [app_commands.Choice(name=c, value=c) for c in cats if current.lower() in c.lower()]

    @tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await bot.proceed.wait()
        try:
            await interaction.response.send_message("late")
        except discord.HTTPException as exc:
            assert bot.late is not None
            bot.late.set_result(exc)

    @tree.command(name="where", description="Echo a channel")
    async def where(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        bot.seen_channel = channel
        await interaction.response.send_message(f"channel {channel.id}")


async def _start(bot: Bot, fake: FakeDiscord) -> asyncio.Task[None]:
    task = asyncio.create_task(bot.start(fake.token))
    ready = asyncio.create_task(fake.wait_ready())
    async with asyncio.timeout(TIMEOUT):
        done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises the start-up error
        raise AssertionError("client.start returned before READY")
    async with asyncio.timeout(TIMEOUT):
        await bot.wait_until_ready()
    return task


@pytest.fixture
async def env(caplog: pytest.LogCaptureFixture) -> AsyncIterator[tuple[FakeDiscord, Bot]]:
    caplog.set_level(logging.INFO, logger="discord")
    async with FakeDiscord(guilds={GUILD: [CHAN, CHAN2, CHAN3]}) as fake:
        restore = point_discord_py_at(fake)
        bot = Bot()
        task: asyncio.Task[None] | None = None
        try:
            task = await _start(bot, fake)
            yield fake, bot
        finally:
            await bot.close()
            if task is not None:
                async with asyncio.timeout(TIMEOUT):
                    await task  # clean shutdown: start() returns without an error
                assert task.done()
                assert task.exception() is None
            restore()
    # discord.py logs (and swallows) errors in handlers and payload parsing: there must be none.
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("discord")
    ]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(guilds={GUILD: [CHAN, CHAN2]}) as f:
        yield f


def _auth(fake: FakeDiscord) -> dict[str, str]:
    return {"Authorization": f"Bot {fake.token}"}


async def _raw(
    fake: FakeDiscord, method: str, path: str, body: Any = None, *, auth: bool = True
) -> tuple[int, Any, aiohttp.typedefs.LooseHeaders]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            fake.api_base + path,
            json=body,
            headers=_auth(fake) if auth else {},
        ) as resp,
    ):
        data = await resp.json(content_type=None) if resp.status != 204 else None
        return resp.status, data, resp.headers


# --------------------------------------------------------------------------------------------
# With the real discord.py client


async def test_login_identify_sync_and_guild_cache(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    order = [(r.method, r.path) for r in fake.requests[:3]]
    assert order == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", f"/applications/{fake.app_id}/commands"),
    ]
    assert fake.identify is not None
    assert fake.identify["intents"] == discord.Intents.default().value
    assert bot.user is not None
    assert bot.user.id == fake.bot_user_id
    names = {c["name"]: c for c in fake.commands["global"]}
    assert set(names) == {"hello", "digest", "slow", "where"}
    assert all(c["id"] and c["application_id"] == str(fake.app_id) for c in names.values())
    guild = bot.get_guild(GUILD)
    assert guild is not None
    assert {c.id for c in guild.text_channels} == {CHAN, CHAN2, CHAN3}
    assert guild.me is not None
    assert guild.text_channels[0].permissions_for(guild.me).send_messages
    assert discord.Permissions.all().value == ADMIN_PERMS


async def test_slash_ephemeral_and_allowed_mentions(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    iid = fake.slash("hello", {"name": "Ada"}, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.type == 4
    assert cb.flags == EPHEMERAL
    assert cb.ephemeral
    assert cb.message is not None
    assert cb.message.content == "hi Ada @everyone"
    assert cb.message.via == "interaction"
    assert cb.message.interaction_id == iid
    assert cb.message.allowed_mentions == {"parse": []}
    assert cb.message.pings["everyone"] is False
    assert fake.responses_for(iid) == [cb]
    assert bot.seen_permissions is not None
    assert bot.seen_permissions.value == MEMBER_PERMS
    assert not bot.seen_permissions.manage_channels
    # discord.py asks for the callback resource; the fake answered 200 JSON.
    req = next(r for r in fake.requests if r.path.startswith(f"/interactions/{iid}/"))
    assert req.query.get("with_response") == "1"
    assert req.status == 200


async def test_second_callback_and_webhook_rules(env: tuple[FakeDiscord, Bot]) -> None:
    fake, _ = env
    iid = fake.slash("hello", {"name": "x"})
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for_callback(iid)
    token = fake.interactions[iid].token
    status, data, _ = await _raw(
        fake,
        "POST",
        f"/interactions/{iid}/{token}/callback",
        {"type": 4, "data": {"content": "x"}},
    )
    assert status == 400
    assert data == {
        "message": "Interaction has already been acknowledged.",
        "code": 40060,
    }
    status, data, _ = await _raw(
        fake, "POST", f"/webhooks/{fake.app_id}/not-a-token?wait=1", {"content": "x"}
    )
    assert status == 401
    assert data["code"] == 50027


async def test_defer_then_followups(env: tuple[FakeDiscord, Bot]) -> None:
    fake, _ = env
    iid = fake.slash("digest", {"category": "cs.LG", "limit": 3})
    async with asyncio.timeout(TIMEOUT):
        responses = await fake.wait_for_responses(iid, 3)
    cb, first, second = responses
    assert cb.type == 5
    assert cb.ephemeral
    assert isinstance(first, PostedMessage)
    assert isinstance(second, PostedMessage)
    # The first follow-up replaces the "thinking" message and keeps the deferral's ephemeral
    # flag although it asked for a public message; the second is independent.
    assert first.via == "followup"
    assert first.content == "3 papers in cs.LG"
    assert first.ephemeral
    assert first.message_id == fake.interactions[iid].original_message_id
    assert second.content == "second, public"
    assert not second.ephemeral
    assert second.message_id != first.message_id
    with pytest.raises(ValueError, match="max_value"):
        fake.slash("digest", {"category": "cs.LG", "limit": 11})
    with pytest.raises(ValueError, match="required options missing"):
        fake.slash("digest", {"limit": 2})
    with pytest.raises(LookupError):
        fake.slash("nope")


async def test_autocomplete_choices(env: tuple[FakeDiscord, Bot]) -> None:
    fake, _ = env
    iid = fake.autocomplete("digest", {"category": "cs"}, focused="category")
    sent = fake.interactions[iid].payload["data"]["options"]
    assert sent == [{"name": "category", "type": 3, "value": "cs", "focused": True}]
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.type == 8
    assert cb.choices == [{"name": c, "value": c} for c in ("cs.AI", "cs.CL", "cs.LG")]


async def test_channel_option_resolved(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    iid = fake.slash("where", {"channel": CHAN2})
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.message is not None
    assert cb.message.content == f"channel {CHAN2}"
    assert bot.seen_channel is not None
    assert bot.seen_channel.id == CHAN2


async def test_embed_total_limit(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    exact = [discord.Embed(description="a" * 4096), discord.Embed(description="b" * 1904)]
    msg = await channel.send(embeds=exact)
    assert msg.id == fake.messages[-1].message_id
    assert len(fake.messages[-1].embeds) == 2
    over = [
        discord.Embed(description="a" * 4096),
        discord.Embed(title="t", description="b" * 1904),
    ]
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embeds=over)
    assert info.value.status == 400
    assert info.value.code == 50035
    assert "6000" in info.value.text
    before = len(fake.requests)
    with pytest.raises(ValueError, match="maximum of 10"):
        await channel.send(embeds=[discord.Embed(title=str(i)) for i in range(11)])
    assert len(fake.requests) == before  # discord.py refused before any request
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)
    assert info.value.code == 50035
    assert "content" in info.value.text


async def test_nonce_enforced_dedup(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("digest for today", nonce="digest-2026-11-25")
    again = await channel.send("digest for today", nonce="digest-2026-11-25")
    assert first.id == again.id
    assert len(fake.messages_in(CHAN)) == 1
    assert fake.nonce_hits == 1
    body = fake.requests[-1].json
    assert body["nonce"] == "digest-2026-11-25"
    assert body["enforce_nonce"] is True
    other = await channel.send("digest for today")  # discord.py's own random nonce
    assert other.id != first.id


async def test_dynamic_item_press(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(SummaryButton("2401.00001v1"))
    await channel.send("A paper", view=view)
    posted = fake.messages[-1]
    assert posted.custom_ids() == ["sum:2401.00001v1"]
    iid = fake.press(posted, "sum:2401.00001v1", user_id=42_000_000_000_000_000)
    assert fake.interactions[iid].payload["message"]["components"]  # DynamicItem needs it
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.type == 4
    assert cb.ephemeral
    assert cb.message is not None
    assert cb.message.content == "summary of 2401.00001v1"
    with pytest.raises(ValueError, match="no component"):
        fake.press(posted, "sum:other")


async def test_edit_component_update_and_delete(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    msg = await channel.send("digest", view=RefreshView())
    await msg.edit(content="digest (edited)")
    edited = fake.messages[-1]
    assert (edited.via, edited.message_id, edited.content) == ("edit", msg.id, "digest (edited)")
    assert edited.custom_ids() == ["persistent:refresh"]  # an edit without view keeps them
    iid = fake.press(msg.id, "persistent:refresh")
    async with asyncio.timeout(TIMEOUT):
        cb, again = await fake.wait_for_responses(iid, 2)
    assert cb.type == 7
    assert cb.message is not None
    assert (cb.message.content, cb.message.components) == ("refreshed", [])
    assert isinstance(again, PostedMessage)
    assert (again.via, again.message_id, again.content) == ("edit", msg.id, "refreshed twice")
    with pytest.raises(ValueError, match="no component"):
        fake.press(msg.id, "persistent:refresh")  # the update removed the button
    await msg.delete()
    assert fake.message(msg.id) is None
    with pytest.raises(ValueError, match="does not exist"):
        fake.press(msg.id, "persistent:refresh")


async def test_direct_messages(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    user = await bot.fetch_user(USER)
    await user.send("your digest")
    dm = fake.dm_channels[USER]
    assert fake.messages[-1].channel_id == dm
    fake.dm_closed.add(USER2)
    closed = await bot.fetch_user(USER2)
    with pytest.raises(discord.Forbidden) as info:
        await closed.send("x")
    assert info.value.code == 50007
    iid = fake.slash("hello", {"name": "dm"}, dm=True, user_id=USER)
    payload = fake.interactions[iid].payload
    assert "member" not in payload
    assert payload["user"]["id"] == str(USER)
    assert payload["context"] == 1
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.message is not None
    assert cb.message.channel_id == dm


async def test_permission_and_unknown_channel_errors(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    fake.missing_permissions.add(CHAN2)
    fake.unknown_channels.add(CHAN3)
    forbidden = bot.get_channel(CHAN2)
    gone = bot.get_channel(CHAN3)
    assert isinstance(forbidden, discord.TextChannel)
    assert isinstance(gone, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as info:
        await forbidden.send("hello")
    assert info.value.code == 50013
    assert info.value.status == 403
    with pytest.raises(discord.NotFound) as info2:
        await gone.send("hello")
    assert info2.value.code == 10003
    assert fake.invalid_requests == 1  # the 403 counts, the 404 does not
    assert fake.messages == []


async def test_late_callback_unknown_interaction(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    clock = ManualClock()
    fake.clock = clock
    iid = fake.slash("slow")
    clock.advance(3.5)  # the handler is now past Discord's 3-second deadline
    bot.proceed.set()
    assert bot.late is not None
    async with asyncio.timeout(TIMEOUT):
        exc = await bot.late
    assert isinstance(exc, discord.NotFound)
    assert exc.code == 10062
    assert fake.interactions[iid].callback is None


async def test_429_then_discord_py_retries(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next(f"POST /channels/{CHAN}/messages", 429)
    msg = await channel.send("after a 429")
    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [429, 200]
    assert fake.invalid_requests == 1
    assert msg.content == "after a 429"
    assert len(fake.messages) == 1


async def test_gateway_resume(env: tuple[FakeDiscord, Bot]) -> None:
    fake, _ = env
    fake.reconnect_gateway()
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for(lambda: fake.resume_count >= 1)
    iid = fake.slash("hello", {"name": "again"})
    async with asyncio.timeout(TIMEOUT):
        cb = await fake.wait_for_callback(iid)
    assert cb.message is not None
    assert cb.message.content.startswith("hi again")


# --------------------------------------------------------------------------------------------
# The REST surface directly


async def test_content_type_auth_and_point_restore(fake: FakeDiscord) -> None:
    status, data, headers = await _raw(fake, "GET", "/users/@me")
    assert status == 200
    assert data["id"] == str(fake.bot_user_id)
    assert headers["Content-Type"] == "application/json"
    status, data, _ = await _raw(fake, "GET", "/users/@me", auth=False)
    assert (status, data) == (401, {"message": "401: Unauthorized", "code": 0})
    assert fake.invalid_requests == 1
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    restore = point_discord_py_at(fake)
    assert fake.api_base == discord.http.Route.BASE
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    restore()
    assert old_base == discord.http.Route.BASE
    assert old_gateway == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def _row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def _button(custom_id: str, label: str = "b") -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


_SIX_BUTTONS = [_row(*[_button(f"b{i}") for i in range(6)])]
_SIX_ROWS = [_row(_button(f"r{i}")) for i in range(6)]
_DUPLICATE = [_row(_button("same"), _button("same"))]
_LONG_ID = [_row(_button("c" * 101))]
_LONG_LABEL = [_row(_button("ok", "l" * 81))]
_FIRST_BUTTON = "components.0.components.0"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"embeds": [{"title": "t" * 257}]}, "embeds.0.title"),
        ({"embeds": [{"description": "d" * 4097}]}, "embeds.0.description"),
        ({"embeds": [{"fields": [{"name": "n", "value": ""}]}]}, "embeds.0.fields.0.value"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "embeds.0.fields"),
        ({"embeds": [{"footer": {"text": "f" * 2049}}]}, "embeds.0.footer.text"),
        ({"embeds": [{"author": {"name": "a" * 257}}]}, "embeds.0.author.name"),
        ({"embeds": [{"title": "t", "url": "arxiv.org/abs/1"}]}, "embeds.0.url"),
        ({"embeds": [{"title": "t"}] * 11}, "embeds"),
        ({"content": "x", "components": _SIX_BUTTONS}, "components.0.components"),
        ({"content": "x", "components": _SIX_ROWS}, "components"),
        ({"content": "x", "components": _DUPLICATE}, "components.0.components.1.custom_id"),
        ({"content": "x", "components": _LONG_ID}, f"{_FIRST_BUTTON}.custom_id"),
        ({"content": "x", "components": _LONG_LABEL}, f"{_FIRST_BUTTON}.label"),
        ({"content": "x", "nonce": "n" * 26}, "nonce"),
        ({"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
         "allowed_mentions"),
    ],
)  # fmt: skip
async def test_message_validation(fake: FakeDiscord, body: dict[str, Any], path: str) -> None:
    status, data, _ = await _raw(fake, "POST", f"/channels/{CHAN}/messages", body)
    assert status == 400
    assert data["code"] == 50035
    assert data["message"] == "Invalid Form Body"
    node = data["errors"]
    for part in path.split("."):
        node = node[part]
    assert node["_errors"], data
    assert fake.messages == []


async def test_empty_message_and_exact_limits(fake: FakeDiscord) -> None:
    status, data, _ = await _raw(fake, "POST", f"/channels/{CHAN}/messages", {"content": "  "})
    assert (status, data["code"]) == (400, 50006)
    body = {
        "content": "x" * 2000,
        "components": [
            _row(*[_button(f"r{r}b{i}", "l" * 80) for i in range(5)]) for r in range(5)
        ],
        "embeds": [
            {"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 1648}}
        ],
        "nonce": "n" * 25,
    }
    status, data, _ = await _raw(fake, "POST", f"/channels/{CHAN}/messages", body)
    assert status == 200, data
    assert len(fake.messages) == 1
    assert len(fake.messages[0].custom_ids()) == 25


async def test_command_validation(fake: FakeDiscord) -> None:
    path = f"/applications/{fake.app_id}/commands"
    bad = [
        {"name": "Latest", "description": "upper case"},
        {"name": "has space", "description": "space"},
        {"name": "x" * 33, "description": "too long"},
        {"name": "ok", "description": "d" * 101},
        {"name": "many", "description": "d", "options": [
            {"name": f"o{i}", "description": "d", "type": 3} for i in range(26)]},
        {"name": "choices", "description": "d", "options": [
            {"name": "c", "description": "d", "type": 3,
             "choices": [{"name": str(i), "value": str(i)} for i in range(26)]}]},
        {"name": "order", "description": "d", "options": [
            {"name": "a", "description": "d", "type": 3},
            {"name": "b", "description": "d", "type": 3, "required": True}]},
    ]  # fmt: skip
    status, data, _ = await _raw(fake, "PUT", path, bad)
    assert status == 400
    assert data["code"] == 50035
    errors = data["errors"]
    assert set(errors) == {str(i) for i in range(len(bad))}
    assert errors["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert "options" in errors["4"]
    assert "choices" in errors["5"]["options"]["0"]
    assert fake.commands == {}
    good = [{"name": "latest", "description": "Latest papers", "options": [
        {"name": "catégorie", "description": "d", "type": 3, "required": True}]}]  # fmt: skip
    status, first, _ = await _raw(fake, "PUT", path, good)
    assert status == 200
    assert first[0]["id"]
    assert first[0]["application_id"] == str(fake.app_id)
    status, second, _ = await _raw(fake, "PUT", path, good)
    assert second[0]["id"] == first[0]["id"]  # same name, same id, like Discord
    status, _, _ = await _raw(
        fake, "PUT", f"/applications/{fake.app_id}/guilds/{GUILD}/commands", []
    )
    assert status == 200
    assert fake.commands[GUILD] == []


async def test_global_limit_and_injected_faults(fake: FakeDiscord) -> None:
    clock = ManualClock()
    fake.clock = clock
    fake.global_limit = 2
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 200
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 200
    status, data, headers = await _raw(fake, "GET", "/users/@me")
    assert status == 429
    assert data["global"] is True
    assert headers["X-RateLimit-Global"] == "true"
    clock.advance(1.01)
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 200
    fake.global_limit = None
    fake.fail_next("/users/@me", 502, times=2)
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 502
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 502
    assert (await _raw(fake, "GET", "/users/@me"))[0] == 200
    assert fake.invalid_requests == 1  # only the 429


def test_thread_variant_cross_loop() -> None:
    with FakeDiscordThread(guilds={GUILD: [CHAN]}) as fake:

        async def main() -> list[PostedMessage]:
            status, _, _ = await _raw(
                fake, "POST", f"/channels/{CHAN}/messages", {"content": "hi"}
            )
            assert status == 200
            async with asyncio.timeout(TIMEOUT):
                return await fake.wait_for_messages(1, CHAN)

        found = asyncio.run(main())
        assert [m.content for m in found] == ["hi"]


async def test_wrong_token_login_failure(fake: FakeDiscord) -> None:
    restore = point_discord_py_at(fake)
    try:
        client = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
        with contextlib.suppress(Exception):
            await client.close()
    finally:
        restore()


# --------------------------------------------------------------------------------------------
# Modals and threads


class QuestionModal(discord.ui.Modal):
    question: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
        label="Question", max_length=20
    )

    def __init__(self, title: str = "Ask") -> None:
        super().__init__(title=title, custom_id="ask:modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        message = interaction.message
        assert message is not None
        thread = await message.create_thread(name=f"Q: {self.question.value}")
        await thread.send(f"answer to {self.question.value}")
        await interaction.response.send_message("see the thread", ephemeral=True)


class AskView(discord.ui.View):
    def __init__(self, title: str = "Ask") -> None:
        super().__init__(timeout=None)
        self.title = title

    @discord.ui.button(label="Ask", custom_id="persistent:ask")
    async def ask(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(QuestionModal(self.title))


async def test_modal_submit_and_thread(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("a paper", view=AskView())
    opened = fake.press(message.id, "persistent:ask", user_id=USER, permissions=MEMBER_PERMS)
    async with asyncio.timeout(TIMEOUT):
        modal = await fake.wait_for_callback(opened)
    assert modal.type == 9
    assert modal.data["components"][0]["components"][0]["max_length"] == 20
    with pytest.raises(ValueError, match="no field"):
        fake.submit_modal(opened, {"Nope": "x"})
    with pytest.raises(ValueError, match=r"'Question' takes 0\.\.20 characters"):
        fake.submit_modal(opened, {"Question": "x" * 21})
    with pytest.raises(ValueError, match="required"):
        fake.submit_modal(opened, {"Question": "  "})

    submit = fake.submit_modal(opened, {"Question": "why?"})
    payload = fake.interactions[submit].payload
    assert payload["type"] == 5
    assert payload["data"]["custom_id"] == "ask:modal"
    assert payload["data"]["components"][0]["components"][0]["value"] == "why?"
    assert payload["message"]["id"] == str(message.id)
    assert payload["member"]["user"]["id"] == str(USER)
    async with asyncio.timeout(TIMEOUT):
        answered = await fake.wait_for_callback(submit)
    assert answered.ephemeral
    async with asyncio.timeout(TIMEOUT):
        [in_thread] = await fake.wait_for(lambda: fake.messages_in(message.id) or None)
    assert in_thread.content == "answer to why?"
    thread = fake.threads[message.id]
    assert (thread["type"], thread["parent_id"], thread["name"]) == (11, str(CHAN), "Q: why?")
    raw = fake.message(message.id)
    assert raw is not None
    assert raw["thread"]["id"] == str(message.id)
    assert raw["flags"] & (1 << 5)
    assert isinstance(bot.get_channel(message.id), discord.Thread)  # THREAD_CREATE arrived
    with pytest.raises(ValueError, match="no open modal"):
        fake.submit_modal(opened, {"Question": "again"})

    status, data, _ = await _raw(
        fake, "POST", f"/channels/{CHAN}/messages/{message.id}/threads", {"name": "again"}
    )
    assert (status, data["code"]) == (400, 160004)


async def test_thread_errors(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("a paper")
    path = f"/channels/{CHAN}/messages/{message.id}/threads"
    status, data, _ = await _raw(fake, "POST", path, {"name": ""})
    assert (status, data["code"]) == (400, 50035)
    assert data["errors"]["name"]["_errors"]
    status, data, _ = await _raw(fake, "POST", path, {"name": "t", "auto_archive_duration": 5})
    assert (status, data["code"]) == (400, 50035)
    status, data, _ = await _raw(
        fake, "POST", f"/channels/{CHAN}/messages/1/threads", {"name": "t"}
    )
    assert (status, data["code"]) == (404, 10008)
    user = await bot.fetch_user(USER)
    dm_message = await user.send("your digest")
    dm = fake.dm_channels[USER]
    status, data, _ = await _raw(
        fake, "POST", f"/channels/{dm}/messages/{dm_message.id}/threads", {"name": "t"}
    )
    assert (status, data["code"]) == (400, 50024)
    fake.bot_permissions &= ~(1 << 35)  # CREATE_PUBLIC_THREADS
    with pytest.raises(discord.Forbidden) as refused:
        await message.create_thread(name="t")
    assert refused.value.code == 50013
    assert fake.threads == {}


async def test_a_modal_is_validated_like_discord(env: tuple[FakeDiscord, Bot]) -> None:
    fake, bot = env
    channel = bot.get_channel(CHAN)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("a paper", view=AskView(title="t" * 46))
    opened = fake.press(message.id, "persistent:ask", user_id=USER)
    async with asyncio.timeout(TIMEOUT):
        await fake.wait_for(
            lambda: next((r for r in fake.requests if "/callback" in r.path), None)
        )
    [request] = [r for r in fake.requests if "/callback" in r.path]
    assert request.status == 400
    assert fake.interactions[opened].callback is None
    assert opened not in fake.open_modals
