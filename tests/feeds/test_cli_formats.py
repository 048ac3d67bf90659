"""``arxiv-bot digest --format rss|atom``: the installed command in a subprocess against the
local fake arXiv, listing the same papers in the same order as ``--format json``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.environment import clean_environ
from tests.fakes.fake_arxiv import FakeArxivThread
from tests.feeds.support import (
    COMMAND,
    DAY1,
    DAY1_PAPERS,
    announced_day,
    entry_html,
    free_port,
    parse_feed,
    visible,
)

ARGS = (
    "--category", "cs.AI,cs.LG", "--category", "cs.CL", "--keyword", "LLM",
    "--keyword", "inference", "--keyword", "mixture of experts", "--include-cross",
)  # fmt: skip


def test_rss_and_atom_list_the_json_papers_in_order(tmp_path: Path) -> None:
    with FakeArxivThread(DAY1_PAPERS, announce_date=DAY1) as fake:
        base = fake.base_url
        env = clean_environ(
            ARXIV_FEED_URL=fake.feed_url_template,
            ARXIV_API_URL=f"{base}/api/query",
            ARXIV_PDF_URL=f"{base}/pdf/{{id}}",
            ARXIV_HTML_URL=f"{base}/html/{{id}}",
            OPENAI_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",  # closed; and no key
            DATABASE_URL=f"sqlite:///{tmp_path}/bot.db",
            ARXIV_BOT_ARXIV_REQUEST_INTERVAL="0",
            ARXIV_BOT_ARXIV_RETRY_DELAY="0.01",
            PYTHONIOENCODING="ascii",  # the CLI writes UTF-8 whatever the locale says
        )
        procs = {
            fmt: subprocess.Popen(
                [*COMMAND, "digest", *ARGS, "--format", fmt],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for fmt in ("json", "rss", "atom")
        }
        outputs = {}
        for fmt, proc in procs.items():
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err.decode("utf-8", "replace")
            assert b"Traceback" not in err
            outputs[fmt] = out
        assert fake.count("rss") == 3  # one request per run, nothing else
        assert fake.count("api") == fake.count("pdf") == fake.count("html") == 0

    papers = json.loads(outputs["json"])["papers"]
    expected = [p["arxiv_id"] for p in papers]
    # new and cross-listed papers, by score then id; no replacement; no exclude given here
    assert expected == [
        "2611.00001", "2611.00003", "2611.00002", "2611.00006", "2611.00004",
    ]  # fmt: skip
    for fmt in ("rss", "atom"):
        parsed = parse_feed(outputs[fmt], fmt)
        assert [e.id for e in parsed.entries] == [f"arXiv:{i}" for i in expected], fmt
        assert [e.link for e in parsed.entries] == [p["url"] for p in papers]
        assert [[t.term for t in e.tags] for e in parsed.entries] == [
            p["categories"] for p in papers
        ]
        assert [[a.name for a in e.authors] for e in parsed.entries] == [
            p["authors"] for p in papers
        ]
        assert {announced_day(e).isoformat() for e in parsed.entries} == {"2026-11-24"}
        first = parsed.entries[0]
        assert first.title == "Fast LLM Inference 深度学习 🚀"
        shown, _ = visible(entry_html(first))
        assert "x<y & 大语言模型 🤖" in shown
        cross, _ = visible(entry_html(parsed.entries[3]))
        assert "math.OC, cs.LG · cross" in cross
