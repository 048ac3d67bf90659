"""``arxiv-bot summarize`` and ``arxiv-bot digest`` with summaries, end to end: the installed
console script in a subprocess, talking over real HTTP to the fake arXiv and the fake model
server, each served from its own thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.rendering.markdown import markdown_escape
from bot.summaries.prompt import parse_answer
from bot.text.excerpts import abstract_tldr
from bot.text.latex import readable
from tests.fakes.fake_arxiv import FakeArxiv, FakeArxivThread, FakePaper
from tests.fakes.fake_openai import (
    FAKE_MODEL,
    MALFORMED_ANSWERS,
    FakeOpenAI,
    FakeOpenAIThread,
    correcting_responder,
)
from tests.summaries.support import fake_paper

_SCRIPT = Path(sys.executable).parent / "arxiv-bot"
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]

# The announcement: three papers about experts (best first), one that matches nothing.
BEST = fake_paper(1, title="Experts, experts: routing sparse experts 专家 🤖")
SECOND = fake_paper(2, title="Sparse experts at scale")
THIRD = fake_paper(3, title="A note on load balancing", abstract="Experts again. Short.")
UNRELATED = fake_paper(4, title="Graph colouring", abstract="Colour graphs quickly.")
# Known to the export API only: a paper someone asks for by its ID.
ASKED = fake_paper(
    5, title="Attention, again: $\\alpha$-entmax", html=False, pdf=True, version=2, replaced=True
)

ASKED_URL = f"https://arxiv.org/abs/{ASKED.arxiv_id}"


@dataclass
class Env:
    arxiv: FakeArxiv
    llm: FakeOpenAI
    tmp: Path

    @property
    def db(self) -> Path:
        return self.tmp / "data" / "bot.db"

    def run(
        self, *args: str, key: bool = True, stdin: str = "", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,  # already cleaned of ARXIV_*/OPENAI_*/DATABASE_URL
            "OPENAI_BASE_URL": self.llm.base_url,
            "ARXIV_FEED_URL": self.arxiv.feed_url_template,
            "ARXIV_API_URL": self.arxiv.api_url,
            "ARXIV_PDF_URL": self.arxiv.pdf_url_template,
            "ARXIV_HTML_URL": self.arxiv.html_url_template,
            "DATABASE_URL": f"sqlite:///{self.db}",
            "ARXIV_BOT_ARXIV_REQUEST_INTERVAL": "0",
            "ARXIV_BOT_ARXIV_RETRY_DELAY": "0.01",
            "ARXIV_BOT_ARXIV_RETRIES": "1",
            "ARXIV_BOT_LLM_MODEL": FAKE_MODEL,
            "ARXIV_BOT_LLM_RETRIES": "0",
            "ARXIV_BOT_CATEGORIES": "cs.LG",
            "ARXIV_BOT_KEYWORDS": "experts",
            "PYTHONIOENCODING": "ascii",  # the CLI must write UTF-8 whatever the locale says
            **extra,
        }
        if key:
            env["OPENAI_API_KEY"] = "sk-test"
        result = subprocess.run(
            [*COMMAND, *args],
            input=stdin.encode(),
            cwd=self.tmp,
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )
        return subprocess.CompletedProcess(
            result.args,
            result.returncode,
            result.stdout.decode("utf-8"),  # strict: anything but UTF-8 fails
            result.stderr.decode("utf-8", "replace"),
        )

    def answers(self) -> list[tuple[str, str]]:
        """(TL;DR, body) of every answer the model gave."""
        return [parse_answer(c.answer or "") for c in self.llm.calls]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with (
        FakeArxivThread([BEST, SECOND, THIRD, UNRELATED], [ASKED]) as arxiv,
        FakeOpenAIThread() as llm,
    ):
        yield Env(arxiv, llm, tmp_path)


# --- arxiv-bot summarize --------------------------------------------------------------------


def test_summarize_json(env: Env) -> None:
    run = env.run("summarize", BEST.arxiv_id, "--format", "json")

    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["arxiv_id"] == BEST.arxiv_id
    assert doc["title"] == BEST.title
    ((tldr, body),) = env.answers()
    summary = doc["summary"]
    assert summary["tldr"] == tldr
    assert summary["text"] == body
    assert (summary["model"], summary["language"], summary["source"]) == (FAKE_MODEL, "en", "html")
    assert "专家 🤖" in summary["tldr"]  # the fake quotes the title: CJK and emoji round-trip
    assert "Traceback" not in run.stderr


def test_summarize_json_carries_the_number_check(env: Env) -> None:
    """BEST's full text says "accuracy rises by 2.1 points"; the model says 3.4 and does not
    correct it."""
    wrong = "TL;DR: Accuracy rises by 3.4 points.\n\n## Results\n- Gains on 2 of 3 tasks."
    env.llm.responder = correcting_responder(wrong)

    run = env.run("summarize", BEST.arxiv_id, "--format", "json")

    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)["summary"]
    assert summary["numbers"] == {
        "found": 3,
        "supported": 2,
        "unsupported": [{"text": "3.4 points", "value": 3.4, "kind": "points"}],
        "corrected": 0,
        "marked": 1,
    }
    assert summary["tldr"] == "Accuracy rises by 3.4 points (⚠ not found in the paper)."
    assert len(env.llm.calls) == 2  # the summary and the one correction


def test_summarize_json_of_the_extract_has_nothing_to_check(env: Env) -> None:
    run = env.run("summarize", SECOND.arxiv_id, "--format", "json", key=False)  # "case 2"

    assert run.returncode == 0, run.stderr
    numbers = json.loads(run.stdout)["summary"]["numbers"]
    assert numbers == {"found": 1, "supported": 1, "unsupported": [], "corrected": 0, "marked": 0}


def test_summarize_markdown_from_the_pdf_of_a_paper_found_by_url(env: Env) -> None:
    run = env.run("summarize", f"https://arxiv.org/abs/{ASKED.versioned_id}")

    assert run.returncode == 0, run.stderr
    md = run.stdout
    alpha = "\N{GREEK SMALL LETTER ALPHA}"  # the title's $\alpha$, made readable
    assert md.startswith(f"## [Attention, again: {alpha}-entmax]({ASKED_URL})\n")
    assert f"**ArXiv ID**: {ASKED.versioned_id}" in md
    assert "**TL;DR**: " in md
    assert "**Contributions**" in md
    assert f"Summary by {FAKE_MODEL} from the full text \\(PDF\\)." in md
    assert "MARKMETHOD from-pdf" in env.llm.calls[0].last_user_text


def test_summarize_text_in_chinese_and_the_cache_across_runs(env: Env) -> None:
    first = env.run("summarize", SECOND.arxiv_id, "--format", "text", "--language", "zh")
    second = env.run("summarize", SECOND.arxiv_id, "--format", "text", "--language", "zh")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    (call,) = env.llm.calls  # the second run read the database
    assert "Chinese" in call.system_text
    assert "technical terms" in call.system_text
    ((tldr, _),) = env.answers()
    assert tldr.startswith("[Chinese]")
    assert f"TL;DR: {tldr}" in first.stdout
    assert first.stdout == second.stdout
    assert "    " not in first.stdout.split("\n")[0]
    assert "Contributions" in first.stdout


def test_summarize_without_a_key_prints_a_labelled_extract(env: Env) -> None:
    run = env.run("summarize", BEST.arxiv_id, "--format", "text", key=False)

    assert run.returncode == 0, run.stderr
    assert f"TL;DR: {abstract_tldr(BEST.abstract)}" in run.stdout
    assert "Extract of the abstract (no language model is configured)." in run.stdout
    assert env.llm.attempts == 0


def test_summarize_reports_a_refusal_on_stderr(env: Env) -> None:
    run = env.run("summarize", BEST.arxiv_id, ARXIV_BOT_LLM_DAILY_CALLS="0")

    assert run.returncode == 1
    assert "budget" in run.stderr
    assert "Traceback" not in run.stderr
    assert abstract_tldr(BEST.abstract) in run.stdout  # the abstract stands in, labelled
    assert "Extract of the abstract: no summary now." in run.stdout


@pytest.mark.parametrize("mode", sorted(MALFORMED_ANSWERS))
def test_summarize_answers_with_the_extract_when_the_model_answer_is_not_a_completion(
    env: Env, mode: str
) -> None:
    env.llm.malformed = mode

    run = env.run("summarize", BEST.arxiv_id, "--format", "json")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "could not be made" in run.stderr
    doc = json.loads(run.stdout)
    assert doc["summary"]["source"] == "extract"
    assert doc["summary"]["text"] == BEST.abstract
    assert "could not be made" in doc["note"]


def test_summarize_gives_up_on_an_answer_that_trickles_in(env: Env) -> None:
    """A 200 whose body comes a byte at a time: every read is in time, so only a deadline on
    the whole answer ends the wait, with the extract and the reason."""
    env.llm.drip = 0.2

    run = env.run("summarize", BEST.arxiv_id, "--format", "json", ARXIV_BOT_LLM_TIMEOUT="1")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "did not answer in time" in run.stderr
    doc = json.loads(run.stdout)
    assert doc["summary"]["source"] == "extract"


# --- arxiv-bot digest -----------------------------------------------------------------------


def _sections(md: str) -> list[str]:
    """The markdown digest, one string per paper."""
    return md.split("\n### ")[1:]


def _papers_of(fps: list[FakePaper], md: str) -> list[str]:
    return [next(s for s in _sections(md) if fp.arxiv_id in s) for fp in fps]


def test_digest_markdown_folds_the_summaries_of_the_top_papers(env: Env) -> None:
    run = env.run("digest", "--format", "markdown", ARXIV_BOT_MAX_PAPERS_TO_SUMMARIZE="1")

    assert run.returncode == 0, run.stderr
    md = run.stdout
    best, second, third = _papers_of([BEST, SECOND, THIRD], md)
    assert md.count("<details>") == 1
    assert "<details>" in best
    assert f"<summary><strong>🤖 AI Summary (by {FAKE_MODEL})</strong>" in best
    ((tldr, _),) = env.answers()
    assert f"**TL;DR**: {markdown_escape(readable(tldr))}" in best
    assert "</details>" in best
    assert "<details>" not in second
    assert "<details>" not in third
    assert UNRELATED.arxiv_id not in md
    (call,) = env.llm.calls
    assert f"<title>{BEST.title}</title>" in call.last_user_text
    assert "专家 🤖" in md


def test_digest_json_carries_summary_objects_and_reuses_the_cache(env: Env) -> None:
    markdown = env.run("digest", ARXIV_BOT_MAX_PAPERS_TO_SUMMARIZE="2")
    run = env.run("digest", "--format", "json", ARXIV_BOT_MAX_PAPERS_TO_SUMMARIZE="2")

    assert markdown.returncode == run.returncode == 0, markdown.stderr + run.stderr
    papers = json.loads(run.stdout)["papers"]
    assert [p["arxiv_id"] for p in papers] == [BEST.arxiv_id, SECOND.arxiv_id, THIRD.arxiv_id]
    assert len(env.llm.calls) == 2  # the JSON run found both summaries in the database
    answers = {parse_answer(c.answer or "")[0] for c in env.llm.calls}
    for paper in papers[:2]:
        summary = paper["summary"]
        assert set(summary) == {
            "tldr", "text", "model", "language", "source", "created_at", "numbers",
        }  # fmt: skip
        assert summary["tldr"] in answers
        assert (summary["model"], summary["source"], summary["language"]) == (
            FAKE_MODEL,
            "html",
            "en",
        )
    assert papers[2]["summary"] is None


def test_digest_without_a_key_has_no_summaries_and_no_database(env: Env) -> None:
    run = env.run("digest", "--format", "markdown", key=False)

    assert run.returncode == 0, run.stderr
    assert BEST.title in run.stdout
    assert "<details>" not in run.stdout
    assert "AI Summary" not in run.stdout
    assert env.llm.attempts == 0
    assert not env.db.exists()
    assert not env.db.parent.exists()


@pytest.mark.parametrize("mode", ["html", "empty", "no_choices", "null_content", "not_json"])
def test_digest_goes_out_with_abstracts_when_the_model_answer_is_not_a_completion(
    env: Env, mode: str
) -> None:
    env.llm.malformed = mode

    run = env.run("digest", "--format", "json", ARXIV_BOT_MAX_PAPERS_TO_SUMMARIZE="2")

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    papers = json.loads(run.stdout)["papers"]
    assert [p["arxiv_id"] for p in papers] == [BEST.arxiv_id, SECOND.arxiv_id, THIRD.arxiv_id]
    assert [p["summary"] for p in papers] == [None, None, None]
    assert run.stderr.count("summary of ") == 2  # one line per paper, saying why
    assert env.llm.attempts == 2


@pytest.mark.parametrize("mode", ["html", "empty", "not_json", "json_list", "no_choices"])
def test_digest_ranks_by_words_when_the_embeddings_answer_is_not_embeddings(
    env: Env, mode: str
) -> None:
    env.llm.embeddings_malformed = mode

    run = env.run("digest", "--format", "json", "--interests", "sparse routing of experts")

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "unexpected error" not in run.stderr
    papers = json.loads(run.stdout)["papers"]
    assert papers[0]["arxiv_id"] == BEST.arxiv_id


# --- secrets a provider echoes never reach the output --------------------------------------

WRONG_KEY = "sk-proj-Zq8wV3nK7tR2mX9pL4sB6yH1cF5jD0gA"


def _leaks(text: str) -> list[str]:
    """Pieces of the wrong key (whole, or as a provider masks it) found in ``text``."""
    pieces = [WRONG_KEY, WRONG_KEY[:12], WRONG_KEY[-10:], f"{WRONG_KEY[:6]}***"]
    pieces += [f"{WRONG_KEY[:3]}*****{WRONG_KEY[-4:]}", f"...{WRONG_KEY[-4:]}"]
    return [p for p in pieces if p in text]


ENTRY_POINTS = {
    "summarize": (("summarize", BEST.arxiv_id), ""),
    "digest": (("digest", "--format", "json"), ""),
    "chat": (("chat",), f"/summarize {BEST.arxiv_id}\n/digest\n"),
}


@pytest.mark.parametrize("echo", ["masked", "openai", "full"])
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_key_the_provider_echoes_is_redacted(env: Env, entry: str, echo: str) -> None:
    env.llm.key_echo = echo  # type: ignore[assignment]
    args, stdin = ENTRY_POINTS[entry]

    run = env.run(
        "-v", *args, key=False, stdin=stdin, OPENAI_API_KEY=WRONG_KEY,
        ARXIV_BOT_MAX_PAPERS_TO_SUMMARIZE="1",
    )  # fmt: skip

    assert env.llm.attempts >= 1  # the provider was asked, and refused the key
    assert "Traceback" not in run.stderr
    assert "[REDACTED]" in run.stderr  # the echo was there, and was redacted
    assert _leaks(run.stderr) == []
    assert _leaks(run.stdout) == []
