"""bot/config.py: defaults, environment, TOML, the legacy config.json, and error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.settings import load_app_settings
from bot.config import (
    CONFIG_ENV,
    DEFAULT_CATEGORIES,
    ConfigError,
    Settings,
    load_settings,
    profile_from_settings,
)

# The legacy script's config.json, exactly as /work/shared/reference/legacy-script.md shows it.
LEGACY_CONFIG_JSON = """\
{
  "categories": ["cs.AI", "cs.CL", "cs.DC", "cs.LG"],
  "keywords": ["LLM", "RL", "RLHF", "Inference", "Training", "Attention", "Pipeline", "MOE", "Sparse",
               "Quantization", "Speculative", "Efficient", "Efficiency", "Framework", "Parallel",
               "Distributed", "Kernel", "Decode", "Decoding", "Prefill", "Throughput", "Fast", "Network",
               "Hardware", "Cluster", "FP8", "FP4", "Optimization", "Scalable", "Communication"],
  "exclude_keywords": ["survey", "review", "tutorial"],
  "max_papers": 30,
  "days_back": 7,
  "min_score": 2.5,
  "ai_summary": {
    "enabled": true,
    "api_key_env": "DASHSCOPE_API_KEY",
    "base_url": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "model": "qwen-long",
    "prompt_file": "ai_summary_prompt.txt",
    "max_papers_to_summarize": 15,
    "max_workers": 3
  }
}
"""  # noqa: E501
LEGACY_KEYWORDS = json.loads(LEGACY_CONFIG_JSON)["keywords"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def config_error(**kwargs: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_app_settings(**kwargs)  # type: ignore[arg-type]
    return str(info.value)


# --- defaults and environment ------------------------------------------------------------


def test_defaults() -> None:
    s = load_settings()
    assert s.categories == DEFAULT_CATEGORIES == ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
    assert (s.keywords, s.exclude_keywords, s.authors) == ([], [], [])
    assert (s.max_papers, s.min_score, s.include_cross, s.scoring) == (30, 0.0, False, "words")
    assert (s.delivery_time, s.timezone) == ("08:00", "UTC")
    assert s.arxiv_feed_url == "https://rss.arxiv.org/rss/{categories}"
    assert s.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert s.arxiv_pdf_url == "https://arxiv.org/pdf/{id}"
    assert s.arxiv_html_url == "https://arxiv.org/html/{id}"
    assert (s.arxiv_request_interval, s.arxiv_retries, s.arxiv_retry_delay) == (3.0, 4, 5.0)
    assert s.http_timeout == 30.0
    assert s.openai_api_key is None
    assert s.openai_base_url is None
    assert s.llm_model == "gpt-4o-mini"
    assert s.database_url == "sqlite:///data/arxiv-bot.db"


def test_conventional_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_FEED_URL", "http://127.0.0.1:1/rss/{categories}")
    monkeypatch.setenv("ARXIV_API_URL", "http://127.0.0.1:1/api/query")
    monkeypatch.setenv("ARXIV_PDF_URL", "http://127.0.0.1:1/pdf/{id}")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///tmp/x.db")
    monkeypatch.setenv("ARXIV_BOT_ARXIV_REQUEST_INTERVAL", "0")
    monkeypatch.setenv("ARXIV_BOT_ARXIV_RETRY_DELAY", "0.01")
    monkeypatch.setenv("ARXIV_BOT_MAX_PAPERS", "7")
    monkeypatch.setenv("ARXIV_BOT_INCLUDE_CROSS", "true")
    monkeypatch.setenv("ARXIV_BOT_LLM_MODEL", "qwen-long")
    s = load_settings()
    assert s.arxiv_feed_url == "http://127.0.0.1:1/rss/{categories}"
    assert s.arxiv_api_url == "http://127.0.0.1:1/api/query"
    assert s.arxiv_pdf_url == "http://127.0.0.1:1/pdf/{id}"
    assert s.openai_base_url == "http://127.0.0.1:2/v1"
    assert s.database_url == "sqlite:///tmp/x.db"
    assert (s.arxiv_request_interval, s.arxiv_retry_delay) == (0.0, 0.01)
    assert (s.max_papers, s.include_cross, s.llm_model) == (7, True, "qwen-long")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cs.AI,cs.LG", ["cs.AI", "cs.LG"]),
        (" cs.ai , cs.LG ,, ", ["cs.AI", "cs.LG"]),  # canonical spelling, blanks dropped
        ('["cs.AI", "math.MP"]', ["cs.AI", "math-ph"]),  # JSON list; alias resolved
        ("cs.LG,cs.lg,cs.LG", ["cs.LG"]),  # duplicates dropped
    ],
)
def test_categories_from_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("ARXIV_BOT_CATEGORIES", value)
    assert load_settings().categories == expected


def test_keyword_lists_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_BOT_KEYWORDS", '["LLM", "mixture of experts", "llm", "大语言模型"]')
    monkeypatch.setenv("ARXIV_BOT_EXCLUDE_KEYWORDS", "survey, review")
    s = load_settings()
    assert s.keywords == ["LLM", "mixture of experts", "大语言模型"]
    assert s.exclude_keywords == ["survey", "review"]


def test_openai_api_key_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    s = load_settings()
    assert isinstance(s.openai_api_key, SecretStr)
    assert s.openai_api_key.get_secret_value() == secret
    for shown in (repr(s), str(s), repr(s.openai_api_key), s.model_dump_json(), f"{s}"):
        assert secret not in shown
    assert "**********" in repr(s)


def test_secret_is_not_in_error_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    monkeypatch.setenv("ARXIV_BOT_MAX_PAPERS", "0")
    assert secret not in config_error()


# --- config files ------------------------------------------------------------------------

TOML = """\
categories = ["cs.CL", "stat.ML"]
keywords = ["LLM", "inference", "mixture of experts"]
exclude_keywords = ["survey"]
max_papers = 12
min_score = 2.5
include_cross = true
scoring = "substring"
delivery_time = "7:30"
timezone = "Asia/Shanghai"
llm_model = "from-file"
arxiv_feed_url = "http://file.invalid/rss/{categories}"
"""


def check_toml_settings(s: Settings) -> None:
    assert s.categories == ["cs.CL", "stat.ML"]
    assert s.keywords == ["LLM", "inference", "mixture of experts"]
    assert s.exclude_keywords == ["survey"]
    assert (s.max_papers, s.min_score, s.include_cross, s.scoring) == (12, 2.5, True, "substring")
    assert (s.delivery_time, s.timezone) == ("07:30", "Asia/Shanghai")
    assert s.llm_model == "from-file"
    assert s.arxiv_feed_url == "http://file.invalid/rss/{categories}"


def test_toml_file_by_path(tmp_path: Path) -> None:
    path = write(tmp_path / "bot.toml", TOML)
    check_toml_settings(load_settings(path))
    check_toml_settings(load_settings(str(path)))


def test_toml_file_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path / "bot.toml", TOML)))
    check_toml_settings(load_settings())


def test_explicit_path_beats_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path / "env.toml", "max_papers = 3\n")))
    assert load_settings(write(tmp_path / "arg.toml", "max_papers = 4\n")).max_papers == 4


def test_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "bot.toml", TOML + 'openai_base_url = "http://file.invalid/v1"\n')
    monkeypatch.setenv("ARXIV_BOT_CATEGORIES", "cs.AI")
    monkeypatch.setenv("ARXIV_BOT_MAX_PAPERS", "5")
    monkeypatch.setenv("ARXIV_BOT_LLM_MODEL", "from-env")
    monkeypatch.setenv("ARXIV_FEED_URL", "http://env.invalid/rss/{categories}")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://env.invalid/v1")
    s = load_settings(path)
    assert s.categories == ["cs.AI"]
    assert s.max_papers == 5
    assert s.llm_model == "from-env"
    assert s.arxiv_feed_url == "http://env.invalid/rss/{categories}"
    assert s.openai_base_url == "http://env.invalid/v1"
    assert s.keywords == ["LLM", "inference", "mixture of experts"]  # not in env: from file


def test_overrides_beat_environment_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARXIV_BOT_MAX_PAPERS", "5")
    s = load_settings(write(tmp_path / "bot.toml", TOML), max_papers=9, keywords=None)
    assert s.max_papers == 9
    assert s.keywords == ["LLM", "inference", "mixture of experts"]  # None means "not given"


# --- errors name the key -------------------------------------------------------------------


def test_unknown_category_is_named_with_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_BOT_CATEGORIES", "cs.AI,cs.Al")
    message = config_error()
    assert "categories" in message
    assert "'cs.Al'" in message
    assert "did you mean cs.AI" in message


@pytest.mark.parametrize(
    ("env", "value", "key", "fragment"),
    [
        ("ARXIV_BOT_MAX_PAPERS", "0", "max_papers", "greater than or equal to 1"),
        ("ARXIV_BOT_MAX_PAPERS", "lots", "max_papers", "integer"),
        ("ARXIV_BOT_MIN_SCORE", "-1", "min_score", "greater than or equal to 0"),
        ("ARXIV_BOT_TIMEZONE", "Mars/Olympus_Mons", "timezone", "IANA time zone"),
        ("ARXIV_BOT_TIMEZONE", "../../etc/passwd", "timezone", "IANA time zone"),
        ("ARXIV_BOT_DELIVERY_TIME", "25:00", "delivery_time", "time of day"),
        ("ARXIV_BOT_DELIVERY_TIME", "8am", "delivery_time", "time of day"),
        ("ARXIV_BOT_DELIVERY_TIME", "08:60", "delivery_time", "time of day"),
        ("ARXIV_BOT_SCORING", "fuzzy", "scoring", "'words' or 'substring'"),
        ("ARXIV_BOT_CATEGORIES", "", "categories", "at least one category"),
        ("ARXIV_BOT_CATEGORIES", "[not json", "categories", ""),
        ("ARXIV_BOT_KEYWORDS", '["ok", "!!!"]', "keywords", "no letters or digits"),
        ("ARXIV_BOT_ARXIV_RETRIES", "100", "arxiv_retries", "less than or equal to 20"),
    ],
)
def test_bad_environment_values_name_the_key(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, key: str, fragment: str
) -> None:
    monkeypatch.setenv(env, value)
    message = config_error()
    assert message.startswith("invalid configuration")
    assert f"\n  {key}: " in message
    assert fragment in message


def test_every_bad_key_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_BOT_MAX_PAPERS", "0")
    monkeypatch.setenv("ARXIV_BOT_TIMEZONE", "Nowhere/Land")
    message = config_error()
    assert "\n  max_papers: " in message
    assert "\n  timezone: " in message


def test_bad_value_in_file_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bot.toml", 'max_papers = 0\ncategories = ["cs.LGG"]\n')
    message = config_error(config_path=path)
    assert str(path) in message
    assert "\n  max_papers: " in message
    assert "\n  categories: unknown arXiv category 'cs.LGG' (did you mean cs.LG" in message


def test_followed_authors_from_toml_reach_the_default_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bot.toml", 'authors = ["LeCun, Yann", "Bernhard Schölkopf", "Kim!"]\n'
    )
    settings = load_settings(path)
    assert settings.authors == ["LeCun, Yann", "Bernhard Schölkopf", "Kim!"]
    assert profile_from_settings(settings).authors == ("LeCun, Yann", "Bernhard Schölkopf", "Kim!")


def test_a_common_surname_alone_in_the_file_is_named_with_the_way_to_confirm(
    tmp_path: Path,
) -> None:
    message = config_error(config_path=write(tmp_path / "bot.toml", 'authors = ["Kim"]\n'))
    assert "\n  authors: 'Kim' alone would follow every author with that surname" in message
    assert "write 'Kim!' to confirm" in message


def test_unknown_key_in_toml_is_named(tmp_path: Path) -> None:
    message = config_error(config_path=write(tmp_path / "bot.toml", "max_paper = 10\n"))
    assert "max_paper" in message
    assert "Extra inputs are not permitted" in message


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path / "bot.toml", 'categories = ["cs.AI"\nmax_papers = \n')
    message = config_error(config_path=path)
    assert str(path) in message
    assert "not valid TOML" in message


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    message = config_error(config_path=path)
    assert f"cannot read config file {path}" in message


def test_invalid_json(tmp_path: Path) -> None:
    message = config_error(config_path=write(tmp_path / "config.json", '{"categories": [}'))
    assert "not valid JSON" in message


def test_json_that_is_not_an_object(tmp_path: Path) -> None:
    message = config_error(config_path=write(tmp_path / "config.json", '["cs.AI"]'))
    assert "expected a JSON object" in message


# --- the legacy config.json -----------------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-dashscope-0123456789")
    write(tmp_path / "ai_summary_prompt.txt", "请总结这篇论文")
    return write(tmp_path / "config.json", LEGACY_CONFIG_JSON)


def check_legacy_settings(s: Settings, base: Path) -> None:
    assert s.categories == ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
    assert s.keywords == LEGACY_KEYWORDS
    assert len(s.keywords) == 30
    assert s.exclude_keywords == ["survey", "review", "tutorial"]
    assert s.max_papers == 30
    assert s.min_score == 2.5
    assert s.summaries_enabled is True
    assert s.llm_model == "qwen-long"
    assert s.openai_base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert s.summary_prompt_file == base / "ai_summary_prompt.txt"
    assert s.max_papers_to_summarize == 15
    assert s.summary_workers == 3
    assert s.openai_api_key is not None
    assert s.openai_api_key.get_secret_value() == "sk-dashscope-0123456789"
    assert "sk-dashscope" not in repr(s)


def test_legacy_config_json_by_path(legacy: Path, tmp_path: Path) -> None:
    check_legacy_settings(load_settings(legacy), tmp_path)


def test_legacy_config_json_from_environment(
    legacy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(legacy))
    check_legacy_settings(load_settings(), tmp_path)


def test_legacy_prompt_file_is_relative_to_the_config_file(
    legacy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = tmp_path / "ai_summary_prompt.txt"
    monkeypatch.chdir(tmp_path.parent)
    s = load_settings(Path(tmp_path.name) / "config.json")
    assert s.summary_prompt_file is not None
    assert s.summary_prompt_file.resolve() == prompt.resolve()
    assert s.summary_prompt_file.read_text("utf-8") == "请总结这篇论文"


def test_legacy_key_variable_unset_means_no_key(
    legacy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    assert load_settings(legacy).openai_api_key is None


def test_openai_api_key_beats_the_legacy_key_variable(
    legacy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-0123456789")
    s = load_settings(legacy)
    assert s.openai_api_key is not None
    assert s.openai_api_key.get_secret_value() == "sk-openai-0123456789"


def test_environment_beats_legacy_file(legacy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_BOT_MIN_SCORE", "1")
    monkeypatch.setenv("ARXIV_BOT_CATEGORIES", "cs.CV")
    s = load_settings(legacy)
    assert (s.min_score, s.categories) == (1.0, ["cs.CV"])


def test_legacy_bad_value_is_reported_under_our_key(tmp_path: Path) -> None:
    data = json.loads(LEGACY_CONFIG_JSON)
    data["categories"] = ["cs.AI", "cs.C1"]
    data["ai_summary"]["max_workers"] = 0
    message = config_error(config_path=write(tmp_path / "config.json", json.dumps(data)))
    assert "\n  categories: unknown arXiv category 'cs.C1' (did you mean cs.CL" in message
    assert "\n  summary_workers: " in message


def test_platform_settings_load_with_the_core_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each platform declares its settings beside its adapter; the composition root loads
    them with the core's from the same environment and file, under the same names, and every
    secret among them is redacted."""
    from app.settings import load_app_settings

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:telegram-secret")
    monkeypatch.setenv("DISCORD_GUILD_IDS", "11, 22")
    monkeypatch.setenv("ARXIV_BOT_TELEGRAM_WEBHOOK_PORT", "8444")
    path = write(tmp_path / "bot.toml", 'discord_api_url = "http://127.0.0.1:9/api/v10"\n')
    settings = load_app_settings(path)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:telegram-secret"
    assert settings.discord_guild_ids == [11, 22]
    assert settings.telegram_webhook_port == 8444
    assert settings.discord_api_url == "http://127.0.0.1:9/api/v10"
    assert "123:telegram-secret" in settings.secret_values()
    assert isinstance(settings, Settings)  # what the core sees


def test_the_core_settings_hold_no_platform_setting() -> None:
    assert not [name for name in Settings.model_fields if name.startswith(("telegram", "discord"))]


# --- every list setting accepts the documented forms from the environment -----------------

LIST_FORMS = [
    # (variable, as typed, expected setting value)
    ("ARXIV_BOT_OPERATORS", "telegram:123,discord:456", ["telegram:123", "discord:456"]),
    ("ARXIV_BOT_OPERATORS", "telegram:123, discord:456", ["telegram:123", "discord:456"]),
    ("ARXIV_BOT_OPERATORS", "telegram:123 discord:456", ["telegram:123", "discord:456"]),
    ("ARXIV_BOT_OPERATORS", '["telegram:123", "discord:456"]', ["telegram:123", "discord:456"]),
    ("ARXIV_BOT_OPERATORS", "Telegram:123", ["telegram:123"]),
    ("ARXIV_BOT_OPERATORS", "telegram:123", ["telegram:123"]),
    ("ARXIV_BOT_CATEGORIES", "cs.AI cs.LG", ["cs.AI", "cs.LG"]),
    ("ARXIV_BOT_CATEGORIES", "cs.AI,\ncs.LG", ["cs.AI", "cs.LG"]),
    ("ARXIV_BOT_KEYWORDS", "LLM,mixture of experts", ["LLM", "mixture of experts"]),
    ("ARXIV_BOT_KEYWORDS", '["LLM", "mixture of experts"]', ["LLM", "mixture of experts"]),
    ("ARXIV_BOT_EXCLUDE_KEYWORDS", "survey , literature review", ["survey", "literature review"]),
    ("ARXIV_BOT_EXCLUDE_KEYWORDS", '["survey"]', ["survey"]),
    ("ARXIV_BOT_AUTHORS", "Yann LeCun, Li!", ["Yann LeCun", "Li!"]),
    (
        "ARXIV_BOT_AUTHORS",
        '["LeCun, Yann", "Bernhard Schölkopf"]',
        ["LeCun, Yann", "Bernhard Schölkopf"],
    ),
    ("ARXIV_BOT_AUTHORS", "Yann LeCun,yann lecun", ["Yann LeCun"]),
    ("DISCORD_GUILD_IDS", "123,456", [123, 456]),
    ("DISCORD_GUILD_IDS", "123 456", [123, 456]),
    ("DISCORD_GUILD_IDS", "[123, 456]", [123, 456]),
    ("DISCORD_GUILD_IDS", "123", [123]),
    ("DISCORD_SHARD_IDS", "0,2", [0, 2]),
    ("DISCORD_SHARD_IDS", "[1, 3]", [1, 3]),
]
_FIELD_OF = {
    "ARXIV_BOT_OPERATORS": "operators",
    "ARXIV_BOT_CATEGORIES": "categories",
    "ARXIV_BOT_KEYWORDS": "keywords",
    "ARXIV_BOT_EXCLUDE_KEYWORDS": "exclude_keywords",
    "ARXIV_BOT_AUTHORS": "authors",
    "DISCORD_GUILD_IDS": "discord_guild_ids",
    "DISCORD_SHARD_IDS": "discord_shard_ids",
}
_ALONGSIDE = {"DISCORD_SHARD_IDS": {"DISCORD_SHARD_COUNT": "4"}}
"""What a list setting needs beside it to be valid."""


def test_the_list_forms_cover_every_list_setting() -> None:
    from app.settings import AppSettings

    lists = {
        name
        for name, field in AppSettings.model_fields.items()
        if str(field.annotation).startswith("list[")
    }
    assert lists == set(_FIELD_OF.values())


@pytest.mark.parametrize(("variable", "value", "expected"), LIST_FORMS)
def test_list_settings_accept_the_documented_forms(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: list[object]
) -> None:
    from app.settings import load_app_settings

    monkeypatch.setenv(variable, value)
    for name, needed in _ALONGSIDE.get(variable, {}).items():
        monkeypatch.setenv(name, needed)
    assert getattr(load_app_settings(), _FIELD_OF[variable]) == expected


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ARXIV_BOT_OPERATORS", "123", "platform:user_id"),
        ("ARXIV_BOT_OPERATORS", '["telegram:1"', "JSON"),
        ("DISCORD_GUILD_IDS", "12,abc", "discord_guild_ids"),
        ("DATABASE_URL", "postgresql://bot:pw@[::1/db", "not a database URL (Invalid IPv6"),
        ("ARXIV_BOT_HTTP_TIMEOUT", "1e999", "http_timeout: Input should be a finite number"),
        ("ARXIV_BOT_MIN_SCORE", "nan", "min_score: Input should be a finite number"),
        ("DATABASE_URL", "postgresql://bot:pw@db:port/x", "not a database URL (Port"),
        ("ARXIV_BOT_OPERATORS", "telegram:123;discord:456", "separate entries with commas"),
        ("ARXIV_BOT_OPERATORS", "telegram:@alice", "ids are numbers"),
        ("DISCORD_GUILD_IDS", "-1", "discord_guild_ids"),
        ("DISCORD_GUILD_IDS", "99999999999999999999999999", "discord_guild_ids"),
        ("DISCORD_GUILD_IDS", "[true]", "not true or false"),
        ("DISCORD_SHARD_IDS", "[false]", "not true or false"),
        ("ARXIV_BOT_AUTHORS", "Yann LeCun, Li", "authors"),
        ("ARXIV_BOT_AUTHORS", "Y.", "authors"),
        ("DISCORD_SHARD_IDS", "0,1", "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
    ],
)
def test_bad_list_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    message = config_error()
    assert named in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("count", "ids", "fragment"),
    [
        ("2", "0,2", "shard ids run from 0 to 1"),
        ("4", "1,1", "names a shard twice"),
        ("0", "", "discord_shard_count"),
        ("-1", "0", "discord_shard_count"),
    ],
)
def test_discord_shards_must_be_of_the_count(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str, fragment: str
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    message = config_error()
    assert fragment in message
    assert "Traceback" not in message


def test_discord_shards_are_unset_by_default() -> None:
    from app.settings import load_app_settings

    settings = load_app_settings()
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (None, [])


# --- interests ------------------------------------------------------------------------------


def test_interests_from_toml_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "bot.toml", 'interests = """KV cache\n  compression"""\n')
    assert load_settings(path).interests == "KV cache compression"
    monkeypatch.setenv("ARXIV_BOT_INTERESTS", "speculative decoding")
    assert load_settings(path).interests == "speculative decoding"


def test_interests_without_words_name_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_BOT_INTERESTS", "!!! ???")
    assert "interests: interests need words" in config_error()
