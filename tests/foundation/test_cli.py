"""``arxiv-bot digest`` end to end: the installed console script in a subprocess, talking to
the local fake arXiv over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.foundation.test_config import LEGACY_CONFIG_JSON

_SCRIPT = Path(sys.executable).parent / "arxiv-bot"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]

FAST_LLM = FakePaper(
    arxiv_id="2611.00001",
    title="Fast LLM Inference 深度学习 🚀",
    abstract="We make LLM inference fast with $\\alpha$-scheduling. x<y & 大语言模型 🤖.",
    authors=["Ada Lovelace (Analytical Engines, London)", "Alan Turing"],
    categories=["cs.LG", "cs.AI"],
)
EFFICIENT_TRAINING = FakePaper(
    arxiv_id="2611.00002",
    title="Efficient Distributed Training",
    abstract="A scalable framework for parallel training of LLMs on a GPU cluster.",
    authors=["Grace Hopper"],
    categories=["cs.DC"],
)
A_SURVEY = FakePaper(
    arxiv_id="2611.00003",
    title="A Survey of LLM Inference",
    abstract="We review efficient inference for LLMs.",
    authors=["Survey Author"],
    categories=["cs.CL"],
)
WORLD_MODELS = FakePaper(
    arxiv_id="2611.00004",
    title="World models for early planning",
    abstract="Breakfast is served. An LLM is mentioned once.",
    authors=["Someone Else"],
    categories=["cs.AI"],
)
CROSS_LISTED = FakePaper(
    arxiv_id="2611.00005",
    title="Efficient LLM Inference Optimization",
    abstract="Fast efficient LLM inference optimization for throughput.",
    authors=["Math Person"],
    categories=["math.OC", "cs.LG"],
)
REPLACED = FakePaper(
    arxiv_id="2610.00006",
    title="LLM Inference, revised",
    abstract="LLM inference again.",
    authors=["Old Hand"],
    categories=["cs.LG"],
    version=2,
    replaced=True,
)
PAPERS = [FAST_LLM, EFFICIENT_TRAINING, A_SURVEY, WORLD_MODELS, CROSS_LISTED, REPLACED]


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8")


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there any more


async def arxiv_bot(*args: str, feed_url: str, cwd: Path, **env: str) -> Run:
    base = feed_url.split("/rss/")[0]
    environ = {
        **os.environ,  # already cleaned of ARXIV_*/OPENAI_*/DASHSCOPE_* by the autouse fixture
        # Every endpoint is local, whatever the command decides to fetch: no key means no
        # summaries, and a model server, were one configured, would be a closed local port.
        "ARXIV_API_URL": f"{base}/api/query",
        "ARXIV_PDF_URL": f"{base}/pdf/{{id}}",
        "ARXIV_HTML_URL": f"{base}/html/{{id}}",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "DATABASE_URL": f"sqlite:///{cwd}/arxiv-bot.db",
        "ARXIV_FEED_URL": feed_url,
        "ARXIV_BOT_ARXIV_REQUEST_INTERVAL": "0",
        "ARXIV_BOT_ARXIV_RETRY_DELAY": "0.01",
        "ARXIV_BOT_ARXIV_RETRIES": "2",
        "ARXIV_BOT_HTTP_TIMEOUT": "5",
        "PYTHONIOENCODING": "ascii",  # the CLI must write UTF-8 whatever the locale says
        **env,
    }
    proc = await asyncio.create_subprocess_exec(
        *COMMAND,
        "digest",
        *args,
        cwd=cwd,
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return Run(proc.returncode, out, err.decode("utf-8", "replace"))


@pytest.fixture
def feed(fake: FakeArxiv) -> str:
    fake.add(*PAPERS)
    return fake.feed_url_template


KEYWORDS = ("--keyword", "LLM", "--keyword", "inference", "--keyword", "efficient")
CATEGORIES = ("--category", "cs.AI", "--category", "cs.LG,cs.CL")


async def test_markdown_to_stdout(fake: FakeArxiv, feed: str, tmp_path: Path) -> None:
    run = await arxiv_bot(*CATEGORIES, *KEYWORDS, feed_url=feed, cwd=tmp_path)
    assert run.code == 0, run.stderr
    md = run.text
    assert md.startswith("# arXiv Daily Digest\n")
    assert "- **Categories Monitored**: cs.AI, cs.LG, cs.CL" in md
    assert "- **Announcement**: 2026-11-24" in md
    headings = [line for line in md.split("\n") if line.startswith("### ")]
    assert headings == [  # by score: 4.0, 3.0, 1.0; no cross-list, no replacement
        "### 1. [A Survey of LLM Inference](https://arxiv.org/abs/2611.00003)",
        "### 2. [Fast LLM Inference 深度学习 🚀](https://arxiv.org/abs/2611.00001)",
        "### 3. [World models for early planning](https://arxiv.org/abs/2611.00004)",
    ]
    assert "**Authors**: Ada Lovelace, Alan Turing  " in md
    assert "**Score**: 4.0  " in md
    assert "**ArXiv ID**: 2611.00001v1" in md
    assert "x\\<y &amp; 大语言模型 🤖." in md
    assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.LG+cs.CL"]
    assert "Traceback" not in run.stderr


async def test_json_to_stdout(fake: FakeArxiv, feed: str, tmp_path: Path) -> None:
    run = await arxiv_bot(
        *CATEGORIES, *KEYWORDS, "--exclude", "survey", "--format", "json",
        feed_url=feed, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    doc = json.loads(run.text)
    assert doc["categories"] == ["cs.AI", "cs.LG", "cs.CL"]
    papers = {p["arxiv_id"]: p for p in doc["papers"]}
    # new only: no cross-list, no replacement; the survey is excluded; no keyword -> out
    assert list(papers) == ["2611.00001", "2611.00004"]
    first = papers["2611.00001"]
    assert first["title"] == "Fast LLM Inference 深度学习 🚀"
    assert first["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert first["abstract"] == FAST_LLM.abstract
    assert first["score"] == 3.0  # LLM and inference, both in the title: 2 x 1.5
    assert first["announce_type"] == "new"
    assert {m["keyword"] for m in first["matched"]} == {"LLM", "inference"}


async def test_followed_authors_come_first_and_say_so_in_json(feed: str, tmp_path: Path) -> None:
    """--author is repeatable and keeps "Surname, Given" whole; Grace Hopper's paper has no
    keyword and is in cs.DC, Math Person's is a cross-list (without --include-cross): both
    are listed first (Hopper's at 2.5, below --min-score), with {"author": ...} in "matched"."""
    run = await arxiv_bot(
        "--category", "cs.AI,cs.LG,cs.DC", *KEYWORDS, "--min-score", "3",
        "--author", "Hopper, Grace", "--author", "M. Person", "--format", "json",
        feed_url=feed, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    papers = json.loads(run.text)["papers"]
    # the followed authors' papers by score (4.5, 2.5), then the keyword papers
    assert [p["arxiv_id"] for p in papers] == ["2611.00005", "2611.00002", "2611.00001"]
    person, hopper, fast = papers
    assert hopper["matched"] == [
        {"author": "Hopper, Grace"},
        {"keyword": "LLM", "in_title": False},
        {"keyword": "efficient", "in_title": True},
    ]
    assert person["matched"][0] == {"author": "M. Person"}
    assert person["announce_type"] == "cross"
    assert {"keyword": "LLM", "in_title": True} in fast["matched"]
    assert all("author" not in m for m in fast["matched"])


async def test_a_common_surname_alone_exits_2_and_says_how_to_confirm(
    feed: str, tmp_path: Path
) -> None:
    run = await arxiv_bot("--author", "Person", "--author", "Kim", feed_url=feed, cwd=tmp_path)
    assert run.code == 2
    assert "authors: 'Kim' alone would follow every author with that surname" in run.stderr
    assert "write 'Kim!' to confirm" in run.stderr
    assert "Traceback" not in run.stderr


async def test_text_to_stdout(feed: str, tmp_path: Path) -> None:
    run = await arxiv_bot(
        "--category", "cs.AI,cs.LG", "--keyword", "LLM", "--include-cross", "--format", "text",
        feed_url=feed, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    lines = run.text.split("\n")
    assert lines[0] == "arXiv digest for 2026-11-24: 3 of 4 papers in cs.AI, cs.LG"
    assert "1. Fast LLM Inference 深度学习 🚀" in lines
    assert "   2611.00005v1 [math.OC, cs.LG] cross, score 1.5 - LLM (title)" in lines
    assert not any("2610.00006" in line for line in lines)  # never a replacement


async def test_output_file_is_utf8_and_atomic(feed: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "README.md"
    run = await arxiv_bot(
        *CATEGORIES, *KEYWORDS, "--output", str(target), feed_url=feed, cwd=tmp_path
    )
    assert run.code == 0, run.stderr
    assert run.stdout == b""
    data = target.read_bytes()
    text = data.decode("utf-8")  # strict: fails on anything but UTF-8
    assert "Fast LLM Inference 深度学习 🚀" in text
    assert "大语言模型 🤖" in text
    assert "📊 Statistics" in text
    assert "ðŸ" not in text  # the legacy double-encoding
    assert b"\r\n" not in data
    assert sorted(p.name for p in target.parent.iterdir()) == ["README.md"]  # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


def test_output_file_replacement_keeps_its_mode(tmp_path: Path) -> None:
    from app.cli import write_output

    target = tmp_path / "digest.md"
    target.write_text("yesterday", encoding="utf-8")
    target.chmod(0o644)
    write_output("today 深度学习 🚀\n", str(target))
    assert target.read_text("utf-8") == "today 深度学习 🚀\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digest.md"]


async def test_an_output_that_cannot_be_written_is_said_at_once(
    fake: FakeArxiv, feed: str, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    run = await arxiv_bot(*CATEGORIES, "--output", str(folder), feed_url=feed, cwd=tmp_path)
    assert run.code == 2
    assert run.stderr.strip().splitlines()[-1] == (
        f"arxiv-bot: cannot write {folder}: it is a folder; give --output a file name"
    )
    assert fake.requests == [], "said before any work"


def test_an_output_path_that_cannot_be_made_is_a_clear_error(tmp_path: Path) -> None:
    from app.cli import write_output
    from bot.config import ConfigError

    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ConfigError, match=r"^cannot write .*digest.md: "):
        write_output("text", str(tmp_path / "a-file" / "digest.md"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"ai_summary": {"api_key_env": 42}}', "ai_summary.api_key_env: expected text"),
        (b'{"ai_summary": "yes"}', "ai_summary: expected an object"),
    ],
)
async def test_a_legacy_config_json_with_wrong_types_is_named(
    feed: str, tmp_path: Path, content: bytes, message: str
) -> None:
    config = tmp_path / "config.json"
    config.write_bytes(content)
    run = await arxiv_bot("--config", str(config), feed_url=feed, cwd=tmp_path)
    assert run.code == 2
    assert message in run.stderr
    assert "unexpected error" not in run.stderr


async def test_a_config_file_that_is_not_text_is_named(feed: str, tmp_path: Path) -> None:
    config = tmp_path / "binary.toml"
    config.write_bytes(b"\xff\xfe\x00garbage")
    run = await arxiv_bot("--config", str(config), feed_url=feed, cwd=tmp_path)
    assert run.code == 2
    assert f"{config}: not a config file (it is not UTF-8 text)" in run.stderr


async def test_legacy_config_json(fake: FakeArxiv, feed: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(LEGACY_CONFIG_JSON, encoding="utf-8")
    (tmp_path / "ai_summary_prompt.txt").write_text("请用中文总结这篇论文。", encoding="utf-8")
    run = await arxiv_bot(
        "--config", str(config), "--format", "json",
        feed_url=feed, cwd=tmp_path,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    doc = json.loads(run.text)
    assert doc["categories"] == ["cs.AI", "cs.CL", "cs.DC", "cs.LG"]
    assert [r.path for r in fake.requests] == ["/rss/cs.AI+cs.CL+cs.DC+cs.LG"]
    scores = {p["arxiv_id"]: p["score"] for p in doc["papers"]}
    # survey excluded; WORLD_MODELS (LLM only: 1.0) under min_score 2.5; cross-list and
    # replacement dropped; whole words: "early"/"world" do not match RL, "Breakfast" not Fast.
    # 2611.00002: Efficient, Distributed, Training in the title (3 x 1.5), LLM(s), Framework,
    # Parallel, Cluster, Scalable in the abstract (5 x 1.0); 2611.00001: Fast, LLM, Inference
    # in the title (3 x 1.5).
    assert scores == {"2611.00002": 9.5, "2611.00001": 4.5}
    assert list(scores) == ["2611.00002", "2611.00001"]  # by score


async def test_unknown_category_exits_2_with_a_suggestion(
    fake: FakeArxiv, feed: str, tmp_path: Path
) -> None:
    run = await arxiv_bot("--category", "cs.Al", feed_url=feed, cwd=tmp_path)
    assert run.code == 2
    assert run.stdout == b""
    assert "categories" in run.stderr
    assert "'cs.Al'" in run.stderr
    assert "did you mean cs.AI" in run.stderr
    assert "Traceback" not in run.stderr
    assert fake.count("rss") == 0  # rejected before any request


async def test_arxiv_unreachable_exits_1_with_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/rss/{{categories}}"
    run = await arxiv_bot(feed_url=url, cwd=tmp_path, ARXIV_BOT_ARXIV_RETRIES="1")
    assert run.code == 1
    assert run.stdout == b""
    reasons = [line for line in run.stderr.splitlines() if line.startswith("arxiv-bot:")]
    assert reasons == [run.stderr.splitlines()[-1]]
    assert reasons[0] == (
        "arxiv-bot: arXiv feed cs.AI+cs.CL+cs.DC+cs.LG is unavailable "
        "(ConnectError after 2 attempts)"
    )
    assert "Traceback" not in run.stderr


async def test_503_then_success_exits_0(fake: FakeArxiv, feed: str, tmp_path: Path) -> None:
    fake.fail_next("rss", 503)
    run = await arxiv_bot("--keyword", "LLM", "--format", "json", feed_url=feed, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert fake.count("rss") == 2
    assert "HTTP 503; retry 1/2" in run.stderr
    assert "2611.00001" in {p["arxiv_id"] for p in json.loads(run.text)["papers"]}


async def test_interests_bring_in_a_paper_no_keyword_found(
    fake: FakeArxiv, feed: str, tmp_path: Path
) -> None:
    args = ("--category", "cs.DC", "--keyword", "quantum", "--format", "json")
    without = await arxiv_bot(*args, feed_url=feed, cwd=tmp_path)
    run = await arxiv_bot(
        *args, "--interests", "distributed training on a GPU cluster", feed_url=feed, cwd=tmp_path
    )

    assert without.code == 0
    assert json.loads(without.text)["papers"] == []
    assert run.code == 0, run.stderr
    (paper,) = json.loads(run.text)["papers"]
    assert paper["arxiv_id"] == EFFICIENT_TRAINING.arxiv_id
    assert paper["matched"] == []
    assert paper["similarity"] == 1.0
