# ruff: noqa: RUF001 - the multiplication sign is one of the forms measured
"""Number-check benchmark: summaries of real abstracts with planted wrong numbers.

    python -m benchmarks.number_check [--data DIR] [--papers 600] [--seed 1]
                                      [--scripted 30] [--arxiv-interval 3]

Papers are the real arXiv abstracts in ``DIR/*.jsonl`` (by default ``shared/data/arxiv-days``
next to the repository, as CI sees it). The source is the paper's title and abstract, LaTeX
included. For each paper with numbers, two summaries are built, both in the Markdown shape the
summarizer asks for:

- a faithful one: the abstract's sentences that carry numbers, copied, some numbers rewritten
  the ways a faithful model rewrites them (rounded, percent <-> fraction, thousands separators,
  scale words, a difference of two stated numbers said as such, multipliers in words), and a
  few lines in German, French, Spanish or Chinese with the paper's numbers in local forms;
- the same with wrong numbers planted: digits changed or transposed in place, a percent off by
  a factor of ten, a scale off by ten, a wrong or invented multiplier, invented numbers in
  decimal-comma languages, in Chinese forms and in words.

A planted number is wrong by construction: it is resampled while the source states its value
(by the issue's definition, with rounding and percent/fraction, checked here with a plain
regular expression rather than the checker); the number of resamples is printed. Derived
values are not excluded, so a plant that happens to equal a difference or ratio of two nearby
numbers, in a sentence worded as a comparison, counts as missed.

Figures: planted numbers caught (recall) and correct numbers flagged, overall and per form;
precision of the flags; summaries that would need the correction call (one extra model call
each: faithful ones should not); and the check's time per summary.

Then the check as the bot runs it (``--scripted`` papers, 0 to skip): the real summarizer, the
real client and SQLite against the fake arXiv (each paper's abstract as its HTML full text,
arXiv's 3 s pacing on by default) and the fake model scripted to answer each paper's summary
request with the faithful summary (one run) or the planted one (another run), and each
correction request with the faithful summary (a model that corrects what it is shown). It
counts the model calls per summary and the summaries delivered with marks.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openai import AsyncOpenAI

from bot.arxiv.transport import ArxivHttp
from bot.model.papers import Paper as BotPaper
from bot.services import utc_now
from bot.summaries.fulltext import FullTextSource
from bot.summaries.number_check import MARK, NumberReport, check, extract_claims
from bot.summaries.summarizer import Summarizer
from storage import SqliteStore
from tests.fakes.fake_arxiv import FakeArxiv, FakePaper
from tests.fakes.fake_openai import FAKE_MODEL, ChatCall, FakeOpenAI, is_correction

DEFAULT_DATA = Path("shared") / "data" / "arxiv-days"
ROOT = Path(__file__).resolve().parents[1]

# --- papers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str
    abstract: str
    source: str
    sentences: list[str]
    """The abstract's sentences that carry numbers (LaTeX removed)."""


def find_data(given: Path | None) -> Path:
    """``--data``, else ``../shared/data/arxiv-days`` from the repository (or a worktree of it)."""
    if given is not None:
        return given
    for folder in (ROOT, *ROOT.parents):
        if (folder.parent / DEFAULT_DATA).is_dir():
            return folder.parent / DEFAULT_DATA
    raise SystemExit(f"no {DEFAULT_DATA} next to {ROOT} or its parents: pass --data DIR")


def plain(text: str) -> str:
    """An abstract's LaTeX as a summary would write it."""
    for old, new in (("\\%", "%"), ("$", ""), ("\\times", "×"), ("~", " "), ("{,}", ",")):
        text = text.replace(old, new)
    return " ".join(text.split())


def load_papers(folder: Path) -> list[Paper]:
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no *.jsonl files in {folder}")
    papers = []
    for file in files:
        for line in file.read_text("utf-8").splitlines():
            record = json.loads(line)
            abstract = str(record["abstract"])
            sentences = [
                s
                for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", plain(abstract))
                if any(n.eligible for n in numbers_in(s))
            ]
            if sentences:
                source = f"{record['title']}\n\n{abstract}"
                title = str(record["title"])
                papers.append(Paper(str(record["id"]), title, abstract, source, sentences))
    return papers


# --- numbers as this benchmark sees them (independent of the checker) -------------------------

NUMBER = re.compile(
    r"(?<![\w.,/@\-])(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?(?![\w]|[.,]\d)"
    r"(?P<suffix>\s?%|×|x(?![A-Za-z])|-fold)?"
)
REFERENCE = re.compile(r"(?:Table|Figure|Fig\.|Section|Eq\.|Appendix|Chapter|Step)\s*$")
NAME_BEFORE = re.compile(r"(?<![\w-])[A-Z][A-Za-z]*\s$")
WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100,
    "thousand": 1000, "twice": 2, "half": 0.5, "double": 2, "triple": 3,
}  # fmt: skip
COMPARED = re.compile(r"\s*(?:to|vs\.?|versus|compared to|compared with|over)\s*")
CLAUSE_END = re.compile(r"\s*[,;.)]|\s*$|\s+(?:on|in|for|and|with|across|while|at|after|when)\b")
WORD_RE = re.compile(r"\b(" + "|".join(WORDS) + r")\b", re.I)


@dataclass(frozen=True)
class Num:
    start: int
    end: int
    value: float
    decimals: int
    kind: str  # plain, percent, multiplier
    eligible: bool  # a claim a summary could get wrong (not a year, reference or name)

    @property
    def text(self) -> str:
        return fmt(self.value, self.decimals)


def numbers_in(text: str) -> list[Num]:
    found = []
    for m in NUMBER.finditer(text):
        value = float(m["num"].replace(",", "") + (m["dec"] or ""))
        decimals = len(m["dec"] or ".") - 1
        suffix = (m["suffix"] or "").strip()
        kind = "percent" if suffix == "%" else "multiplier" if suffix else "plain"
        before = text[max(0, m.start() - 12) : m.start()]
        year = kind == "plain" and decimals == 0 and 1900 <= value <= 2100
        name = kind == "plain" and bool(NAME_BEFORE.search(before))
        marker = bool(re.search(r"[(\[]$", before)) and text[m.end() : m.end() + 1] in ")]"
        marker = marker or (text[m.end() : m.end() + 1] == ")" and "(" not in before[-3:])
        eligible = not (year or name or marker or REFERENCE.search(before))
        found.append(Num(m.start(), m.end(), value, decimals, kind, eligible))
    return found


def stated_values(source: str) -> list[float]:
    """Every value the source states, as the issue defines it (both percent and fraction)."""
    text = plain(source)
    values = [n.value for n in numbers_in(text) if n.eligible or n.kind != "plain" or n.value > 99]
    values += [float(WORDS[w.lower()]) for w in WORD_RE.findall(text)]
    return values + [v / 100 for v in values] + [v * 100 for v in values]


def is_stated(value: float, decimals: int, stated: list[float]) -> bool:
    half = 0.5 * 10.0**-decimals + 1e-9
    return any(abs(s - value) <= half for s in stated)


def fmt(value: float, decimals: int, comma: bool = False, group: str = "") -> str:
    text = f"{value:,.{decimals}f}".replace(",", "\0")
    if comma:
        text = text.replace(".", ",")
    return text.replace("\0", group)


# --- summaries ----------------------------------------------------------------------------------

CORRECT_FORMS = (
    "verbatim", "rounded", "to percent", "to fraction", "thousands", "derived difference",
    "derived ratio",
    "in words", "decimal comma", "chinese",
)  # fmt: skip
PLANTED_FORMS = (
    "changed digit", "transposed digits", "percent x10", "scale x10", "wrong multiplier",
    "decimal comma", "chinese", "in words",
)  # fmt: skip
EN_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 8: "eight", 10: "ten"}
WORD_TIMES = {"twice": 2, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
ZH_DIGITS = {2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 8: "八", 10: "十"}
LOCAL_TEMPLATES = {
    "de": (
        "- Im Ergebnis erreicht die Methode {v}.",
        "- Wichtigster Wert: {v} auf dem Benchmark.",
    ),
    "fr": ("- La méthode atteint {v} sur le jeu de test.", "- Résultat principal : {v}."),
    "es": ("- El método alcanza {v} en la evaluación.", "- Resultado principal: {v}."),
}
LOCAL_PERCENT = {"de": "{n} %", "fr": "{n} %", "es": "{n} %"}
LOCAL_GROUP = {"de": ".", "fr": "\u202f", "es": "."}


@dataclass
class Summary:
    """A summary being written, with the forms and places of the numbers it was given."""

    text: str = ""
    marks: list[tuple[int, int, str, bool]] = field(default_factory=list)
    """(start, end, form, planted) of each number written on purpose."""

    def add(self, text: str) -> None:
        self.text += text

    def number(self, text: str, form: str, planted: bool) -> None:
        self.marks.append((len(self.text), len(self.text) + len(text), form, planted))
        self.text += text


@dataclass
class Builder:
    rng: random.Random
    resamples: int = 0

    def wrong(self, value: float, decimals: int, stated: list[float], change: str) -> float | None:
        """A value the source does not state, made from ``value`` by ``change``."""
        for _ in range(20):
            candidate = self._changed(value, decimals, change)
            if candidate is not None and candidate > 0:
                if not is_stated(candidate, decimals, stated):
                    return candidate
                self.resamples += 1
        return None

    def _changed(self, value: float, decimals: int, change: str) -> float | None:
        digits = list(fmt(value, decimals).replace(",", ""))
        places = [i for i, ch in enumerate(digits) if ch.isdigit()]
        if change == "digit":
            i = self.rng.choice(places)
            choices = [d for d in "0123456789" if d != digits[i] and not (d == "0" and i == 0)]
            digits[i] = self.rng.choice(choices)
        elif change == "transpose":
            pairs = [(a, b) for a, b in itertools.pairwise(places) if digits[a] != digits[b]]
            if not pairs:
                return None
            a, b = self.rng.choice(pairs)
            digits[a], digits[b] = digits[b], digits[a]
            if digits[0] == "0" and len(places) > 1 and "." not in digits[:2]:
                return None
        return float("".join(digits))

    def paper_summaries(self, paper: Paper) -> tuple[Summary, Summary]:
        stated = stated_values(paper.source)
        faithful, planted = Summary(), Summary()
        for s in (faithful, planted):
            s.add("TL;DR: ")
        in_place = [*self.rng.sample(PLANTED_FORMS[:4], 2), "wrong multiplier"]
        for k, sentence in enumerate(paper.sentences[:6]):
            prefix = "" if k == 0 else "- "
            if k == 1:
                for s in (faithful, planted):
                    s.add("## Results\n")
            for s in (faithful, planted):
                s.add(prefix)
            self.sentence(sentence, stated, faithful, planted, in_place)
            for s in (faithful, planted):
                s.add("\n\n" if k == 0 else "\n")
        if "wrong multiplier" in in_place:  # none to change: an invented one
            self.multiplier_line(stated, planted)
        self.local_lines(paper, stated, faithful, planted)
        return faithful, planted

    def multiplier_line(self, stated: list[float], planted: Summary) -> None:
        value = self.wrong(self.rng.choice([1.7, 2.4, 3.1, 4.6, 6.2, 8.3]), 1, stated, "digit")
        if value is None:
            return
        sign = self.rng.choice(["×", "x", "-fold"])
        before, after = self.rng.choice(
            [
                ("- Inference is ", " faster than the strongest baseline.\n"),
                ("- It reaches a ", " speed-up in training.\n"),
                ("- Memory use drops ", " compared to full fine-tuning.\n"),
            ]
        )
        planted.add(before)
        planted.number(fmt(value, 1) + sign, "wrong multiplier", True)
        planted.add(after)

    def sentence(
        self,
        sentence: str,
        stated: list[float],
        faithful: Summary,
        planted: Summary,
        in_place: list[str],
    ) -> None:
        at = 0
        previous: Num | None = None
        for num in numbers_in(sentence):
            if not num.eligible:
                continue
            for s in (faithful, planted):
                s.add(sentence[at : num.start])
            at = num.end
            correct, form = self.correct_form(num, sentence)
            faithful.number(correct, form, False)
            plant = self.plant(num, stated, in_place)
            if plant is not None:
                in_place.remove(plant[1])
                planted.number(plant[0], plant[1], True)
            else:
                planted.number(correct, form, False)
            if (
                previous is not None
                and COMPARED.fullmatch(sentence[previous.end : num.start])
                and CLAUSE_END.match(sentence, num.end)
            ):
                self.derived(previous, num, faithful, planted)
            previous = num
        for s in (faithful, planted):
            s.add(sentence[at:])

    def derived(self, old: Num, new: Num, faithful: Summary, planted: Summary) -> None:
        """A faithful model's comment on "from A to B": the change, said as such."""
        if old.kind == new.kind == "percent":
            diff = new.value - old.value
            text = f"{diff:+.{max(old.decimals, new.decimals)}f} points"
            form = "derived difference"
        elif old.kind == new.kind == "plain" and min(old.value, new.value) > 0:
            ratio = max(old.value, new.value) / min(old.value, new.value)
            if ratio < 1.2 or self.rng.random() < 0.5:
                return
            text = f"{ratio:.1f}× {'higher' if new.value > old.value else 'lower'}"
            form = "derived ratio"
        else:
            return
        for s in (faithful, planted):
            s.add(" (")
            s.number(text, form, False)
            s.add(")")

    def correct_form(self, num: Num, sentence: str) -> tuple[str, str]:
        raw = sentence[num.start : num.end]
        unit = raw[len(raw.rstrip("%×x-fold ")) :] if num.kind != "plain" else ""
        options: list[tuple[str, str]] = [(raw, "verbatim")] * 3
        if num.decimals >= 2 and round(num.value, 1) >= 1:
            options.append((fmt(round(num.value, 1), 1) + unit, "rounded"))
        if num.kind == "plain" and 0 < num.value < 1 and num.decimals >= 2:
            options.append((fmt(num.value * 100, num.decimals - 2) + "%", "to percent"))
        if num.kind == "percent":
            options.append((fmt(num.value / 100, num.decimals + 2), "to fraction"))
        if num.kind == "plain" and num.decimals == 0 and num.value >= 1000:
            group = self.rng.choice([",", "\u202f", "", " "])
            options.append((fmt(num.value, 0, group=group), "thousands"))
        if num.kind == "multiplier" and num.decimals == 0 and int(num.value) in EN_WORDS:
            word = EN_WORDS[int(num.value)]
            options.append((self.rng.choice([f"{word}fold", f"{word} times"]), "in words"))
        return self.rng.choice(options)

    def plant(self, num: Num, stated: list[float], forms: list[str]) -> tuple[str, str] | None:
        raw_unit = {"percent": "%", "multiplier": "×", "plain": ""}[num.kind]
        for form in forms:
            value: float | None = None
            decimals = num.decimals
            if form == "changed digit":
                value = self.wrong(num.value, decimals, stated, "digit")
            elif form == "transposed digits":
                value = self.wrong(num.value, decimals, stated, "transpose")
            elif form == "percent x10" and num.kind == "percent":
                factor = 10.0 if num.value < 10 else 0.1
                decimals = decimals if factor > 1 else decimals + 1
                value = num.value * factor
                value = None if is_stated(value, decimals, stated) else value
            elif form == "scale x10" and num.kind == "plain" and num.value >= 100:
                value = num.value * 10
                value = None if is_stated(value, decimals, stated) else value
            elif form == "wrong multiplier" and num.kind == "multiplier":
                value = self.wrong(num.value, decimals, stated, "digit")
            if value is not None:
                return fmt(value, decimals) + raw_unit, form
        return None

    def local_lines(
        self, paper: Paper, stated: list[float], faithful: Summary, planted: Summary
    ) -> None:
        """Lines in other languages: the paper's numbers in local forms, then wrong ones."""
        nums = [n for s in paper.sentences for n in numbers_in(s) if n.eligible]
        if not nums:
            return
        for s in (faithful, planted):
            s.add("## In other words\n")
        self.words_correct(paper, faithful, planted)
        num = self.rng.choice(nums)
        self.local_line(num, num.value, faithful, planted, False)
        zh = self.rng.choice(nums)
        self.chinese_line(zh, zh.value, faithful, planted, False)
        wrong_forms = ["decimal comma", "chinese", "in words"]
        for form in self.rng.sample(wrong_forms, 2):
            num = self.rng.choice(nums)
            if form == "in words":
                self.words_line(stated, planted)
                continue
            value = self.wrong(num.value, num.decimals, stated, "digit")
            if value is None:
                continue
            if form == "decimal comma":
                self.local_line(num, value, None, planted, True)
            else:
                self.chinese_line(num, value, None, planted, True)

    def local_line(
        self, num: Num, value: float, faithful: Summary | None, planted: Summary, wrong: bool
    ) -> None:
        language = self.rng.choice(sorted(LOCAL_TEMPLATES))
        template = self.rng.choice(LOCAL_TEMPLATES[language])
        number = fmt(value, num.decimals, comma=True, group=LOCAL_GROUP[language])
        if num.kind == "percent":
            number = LOCAL_PERCENT[language].format(n=number)
        elif num.kind == "multiplier":
            number = {"de": f"{number}-fach", "fr": f"{number} fois", "es": f"{number} veces"}[
                language
            ]
        before, after = template.split("{v}")
        for s in (faithful, planted):
            if s is not None:
                s.add(before)
                s.number(number, "decimal comma", wrong)
                s.add(after + "\n")

    def chinese_line(
        self, num: Num, value: float, faithful: Summary | None, planted: Summary, wrong: bool
    ) -> None:
        if num.kind == "percent":
            before, number, after = "- 准确率提升至 ", f"{fmt(value, num.decimals)}%", "。"
        elif num.kind == "multiplier":
            before, number, after = "- 速度提升", f"{fmt(value, num.decimals)}倍", "。"
        elif value >= 10000 and num.decimals == 0:
            before, number, after = "- 数据集包含", f"{value / 10000:g}万", "个样本。"
        else:
            before, number, after = "- 论文报告的数值为 ", fmt(value, num.decimals), "。"
        for s in (faithful, planted):
            if s is not None:
                s.add(before)
                s.number(number, "chinese", wrong)
                s.add(after + "\n")

    def words_correct(self, paper: Paper, faithful: Summary, planted: Summary) -> None:
        """A multiplier the paper states, written the other way (3x <-> three times)."""
        text = plain(paper.source)
        said = [
            int(n.value)
            for n in numbers_in(text)
            if n.kind == "multiplier" and n.decimals == 0 and int(n.value) in EN_WORDS
        ]
        written = [
            WORD_TIMES[m[1].lower()]
            for m in re.finditer(
                r"\b(twice|two|three|four|five|ten)(?:\s+times|-?fold)\b", text, re.I
            )
            if m[1].lower() in WORD_TIMES
        ]
        written += [2 for _ in re.finditer(r"\btwice\b", text, re.I)]
        if said:
            n = self.rng.choice(said)
            number = self.rng.choice(
                [f"{EN_WORDS[n]}fold", f"{EN_WORDS[n]} times", f"{ZH_DIGITS[n]}倍"]
            )
        elif written:
            n = self.rng.choice(written)
            number = self.rng.choice([f"{n}×", f"{n}x", f"{n}-fold"])
        else:
            return
        for s in (faithful, planted):
            s.add("- In short: ")
            s.number(number, "in words", False)
            s.add(" faster than before.\n")

    def words_line(self, stated: list[float], planted: Summary) -> None:
        options = [n for n in EN_WORDS if not is_stated(float(n), 0, stated)]
        if not options:
            self.resamples += 1
            return
        n = self.rng.choice(options)
        if self.rng.random() < 0.3:
            planted.add("- 推理速度提高了")
            planted.number(f"{ZH_DIGITS[n]}倍", "in words", True)
            planted.add("。\n")
            return
        if self.rng.random() < 0.5:
            planted.add("- The method is ")
            planted.number(f"{EN_WORDS[n]} times faster", "in words", True)
            planted.add(" than the strongest baseline.\n")
        else:
            planted.add("- It gives a ")
            planted.number(f"{EN_WORDS[n]}fold", "in words", True)
            planted.add(" reduction in memory.\n")


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class Tally:
    total: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)


def score(summary: Summary, report: NumberReport, tally: Tally, planted: bool) -> None:
    """Each number written on purpose, by form: the planted ones of a planted summary, or the
    correct ones of a faithful summary and the claims the checker found elsewhere in it
    (copied numbers this benchmark did not pick, such as counts in words) as "other copied"."""
    flags = [(c.start, c.end) for c in report.unsupported]
    marks = [(start, end) for start, end, _, _ in summary.marks]
    for start, end, form, is_planted in summary.marks:
        if is_planted != planted:
            continue
        tally.total[form] += 1
        if any(a < end and start < b for a, b in flags):
            tally.flagged[form] += 1
    if planted:
        return
    for claim in extract_claims(summary.text):
        if not any(a < claim.end and claim.start < b for a, b in marks):
            tally.total["other copied"] += 1
            if (claim.start, claim.end) in flags:
                tally.flagged["other copied"] += 1


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:6.2f}%" if whole else "     -"


@dataclass
class Pipeline:
    """One run of the bot's summarizer over the scripted papers."""

    summaries: int = 0
    calls: int = 0
    with_marks: int = 0
    numbers: int = 0
    marked: int = 0


async def pipeline(
    scripted: list[tuple[Paper, Summary, Summary]],
    planted: bool,
    interval: float,
    corrects: bool = True,
) -> Pipeline:
    """The real summarizer over ``scripted`` (paper, faithful, planted) with the fake model
    answering the faithful or planted summary, and to a correction the faithful one (or, when
    it does not ``correct``, its first answer again)."""
    by_id = {
        p.arxiv_id: (faithful.text, with_plants.text) for p, faithful, with_plants in scripted
    }
    current: list[str] = []  # the paper of the last summary request (papers go one by one)

    def respond(call: ChatCall) -> str:
        if not is_correction(call):
            found = re.search(r"<id>arXiv:(\S+?)v\d+</id>", call.last_user_text)
            assert found is not None, "a summary request names its paper"
            current[:] = [found[1]]
        faithful, with_plants = by_id[current[0]]
        first = with_plants if planted else faithful
        if is_correction(call):
            return faithful if corrects else first
        return first

    fakes = [
        FakePaper(p.arxiv_id, p.title, p.abstract, ["Ada Lovelace"], ["cs.CL"], html=p.abstract)
        for p, _, _ in scripted
    ]
    run = Pipeline()
    async with FakeArxiv(fakes) as arxiv, FakeOpenAI(respond) as llm:
        http = ArxivHttp(interval=interval, retries=1, retry_delay=0.01)
        client = AsyncOpenAI(base_url=llm.base_url, api_key="sk-test", max_retries=0)
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqliteStore.open(Path(tmp) / "bench.db")
            try:
                summarizer = Summarizer(
                    store=store,
                    fulltext=FullTextSource(http, arxiv.html_url_template, arxiv.pdf_url_template),
                    client=client,
                    model=FAKE_MODEL,
                    daily_calls=10 * len(fakes),
                    daily_tokens=10**10,
                    clock=utc_now,
                )
                for fake in fakes:
                    paper = BotPaper(
                        arxiv_id=fake.arxiv_id,
                        version=1,
                        title=fake.title,
                        abstract=fake.abstract,
                        authors=tuple(fake.authors),
                        categories=tuple(fake.categories),
                        announce_type="new",
                        published=utc_now().date(),
                    )
                    made = await summarizer.summary(paper, "en")
                    assert made.numbers is not None
                    run.summaries += 1
                    run.numbers += made.numbers.found
                    run.marked += made.numbers.marked
                    run.with_marks += MARK in made.text
            finally:
                await client.close()
                await http.aclose()
                await store.close()
        run.calls = len(llm.calls)
    return run


def benchmark(
    data: Path, papers: int, seed: int, scripted: int = 0, interval: float = 3.0
) -> None:
    rng = random.Random(seed)
    pool = load_papers(data)
    chosen = rng.sample(pool, min(papers, len(pool)))
    builder = Builder(rng)
    correct, planted = Tally(), Tally()
    faithful_flagged = planted_flagged = 0
    seconds = 0.0
    made: list[tuple[Paper, Summary, Summary]] = []
    for paper in chosen:
        faithful, with_plants = builder.paper_summaries(paper)
        made.append((paper, faithful, with_plants))
        for summary in (faithful, with_plants):
            started = time.perf_counter()
            report = check(summary.text, paper.source)
            seconds += time.perf_counter() - started
            if summary is faithful:
                faithful_flagged += not report.ok
                score(summary, report, correct, planted=False)
            else:
                planted_flagged += not report.ok
                score(summary, report, planted, planted=True)

    print(f"data:              {data} ({len(pool)} abstracts with numbers)")
    print(f"papers:            {len(chosen)} (seed {seed}), 2 summaries each")
    print(f"planted resampled: {builder.resamples} (value stated by the source, drawn again)")
    print(f"check time:        {1000 * seconds / (2 * len(chosen)):.2f} ms per summary")
    print()
    print(f"{'planted form':<22}{'planted':>8}{'caught':>8}{'recall':>9}")
    for form in PLANTED_FORMS:
        n, k = planted.total[form], planted.flagged[form]
        print(f"{form:<22}{n:>8}{k:>8}{pct(k, n):>9}")
    n, k = sum(planted.total.values()), sum(planted.flagged.values())
    caught = k
    print(f"{'all planted':<22}{n:>8}{k:>8}{pct(k, n):>9}   (target >= 95%)")
    print()
    print(f"{'correct form':<22}{'numbers':>8}{'flagged':>8}{'rate':>9}")
    for form in (*CORRECT_FORMS, "other copied"):
        n, k = correct.total[form], correct.flagged[form]
        print(f"{form:<22}{n:>8}{k:>8}{pct(k, n):>9}")
    cn, ck = sum(correct.total.values()), sum(correct.flagged.values())
    print(f"{'all correct':<22}{cn:>8}{ck:>8}{pct(ck, cn):>9}   (target <= 2%)")
    print()
    flags = caught + ck
    print(
        f"precision of flags: {pct(caught, flags).strip()} ({caught} of {flags} flags are planted)"
    )
    print(
        f"correction calls:   {pct(faithful_flagged, len(chosen)).strip()} of faithful "
        f"summaries, {pct(planted_flagged, len(chosen)).strip()} of planted ones "
        "(one extra model call each)"
    )
    if scripted > 0:
        report_pipeline(made[:scripted], interval)


def report_pipeline(scripted: list[tuple[Paper, Summary, Summary]], interval: float) -> None:
    print()
    print(
        f"the bot's summarizer: {len(scripted)} papers, fake model as scripted, arXiv interval "
        f"{interval:g} s"
    )
    print("first answer: what the model says first; the correction is the faithful summary, or")
    print("(not corrected) the planted one again")
    print(f"{'first answer':<14}{'summaries':>10}{'calls':>7}{'per summary':>13}"
          f"{'numbers':>9}{'marked':>8}{'with marks':>12}")  # fmt: skip
    runs = (("faithful", False, True), ("planted", True, True), ("not corrected", True, False))
    for name, planted, corrects in runs:
        run = asyncio.run(pipeline(scripted, planted, interval, corrects))
        extra = (run.calls - run.summaries) / run.summaries
        print(
            f"{name:<14}{run.summaries:>10}{run.calls:>7}{run.calls / run.summaries:>9.3f}"
            f" (+{extra:.3f}){run.numbers:>9}{run.marked:>8}{run.with_marks:>12}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.number_check", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--data", type=Path, help="folder of arXiv-day *.jsonl files")
    parser.add_argument("--papers", type=int, default=600, help="papers to sample (600)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--scripted", type=int, default=30, help="papers through the bot's summarizer (30; 0: off)"
    )
    parser.add_argument(
        "--arxiv-interval", type=float, default=3.0, help="arXiv pacing in seconds (3, as run)"
    )
    args = parser.parse_args(argv)
    if args.papers < 1:
        parser.error("--papers must be at least 1")
    if args.scripted < 0:
        parser.error("--scripted must be 0 or more")
    benchmark(find_data(args.data), args.papers, args.seed, args.scripted, args.arxiv_interval)


if __name__ == "__main__":
    main()
