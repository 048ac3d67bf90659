"""Keywords: how users write them, and how they are found in a paper.

Matching is on whole words, case-insensitive, with phrases and simple plurals, so ``LLM``
finds "LLMs" and "LLM-based", ``RL`` does not find "world" and ``Fast`` does not find
"breakfast" (the legacy script's substring test did). Hyphens, line breaks and spaces are all
word separators, so ``mixture of experts`` also finds "Mixture-of-Experts". A hyphenated
compound is also indexed joined ("pre-training" is found by ``pretraining``), and a one-word
keyword also finds its two halves written apart ("pre training"). Keywords in scripts written
without spaces (CJK) are matched as substrings, the only test that works there.

Words as researchers write them:

- An acronym keyword (written in capitals: ``LLM``, ``RL``) also finds compound acronyms that
  start or end with it: "MLLMs", "vLLM", "dLLM" (one lowercase prefix letter), "RLHF",
  "RLVR", "DRL", "MARL". Never inside a word with lowercase letters ("world", "Bellman",
  "control"), nor in acronyms that are words of their own ("URL", "HTML"), nor in a text
  written all in capitals, where every word looks like an acronym.
- A word keyword finds its inflections: ``train`` finds "training" and "trained", ``fast``
  finds "faster" and "fastest", ``efficient`` finds "efficiently" and "efficiency". The forms
  are generated from the keyword as written, never by stemming the paper: a stemmer would
  also make ``reasoning`` find "for this reason", ``generalization`` find "general" and
  ``transformer`` find "transform" (Snowball does all three). So the base form finds the
  others, and ``training`` finds only "training(s)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.errors import BadInput
from bot.text.unicode import as_typed_identifier, invisible_in

MAX_KEYWORD_LENGTH = 100

_WORD = re.compile(r"[^\W_]+")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")
# Tried at word starts only, never backtracking into a word: linear, where the plain
# r"[^\W_]+(?:-[^\W_]+)+" retries every position of every word (same matches, 3x slower).
_COMPOUND = re.compile(r"(?<![^\W_])[^\W_]++(?:-[^\W_]++)+")
_NO_SPACES_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_QUOTES = "\"'\u201c\u201d\u2018\u2019"


class KeywordError(BadInput):
    """A keyword a user or operator wrote that cannot be used; the message says why."""


def normalize_keyword(raw: str) -> str:
    """One keyword as we store and show it: NFKC (fullwidth letters are letters), single
    spaces; harmful invisible characters are refused (they would show in everyone's
    /settings), joiners that scripts need are kept."""
    hidden = invisible_in(raw.replace("\t", " ").replace("\n", " ").replace("\r", " "))
    if hidden is not None:
        raise KeywordError(f"a keyword cannot contain the invisible character {hidden}")
    text = as_typed_identifier(raw)
    text = " ".join(text.split()).strip(_QUOTES)
    text = " ".join(text.split())
    if not text:
        raise KeywordError("an empty keyword is not allowed")
    if len(text) > MAX_KEYWORD_LENGTH:
        raise KeywordError(
            f"keyword '{text[:30]}…' is {len(text)} characters long; "
            f"the limit is {MAX_KEYWORD_LENGTH}"
        )
    if not _WORD.search(text):
        raise KeywordError(f"keyword '{text}' has no letters or digits")
    return text


def normalize_keywords(raws: Iterable[str]) -> list[str]:
    """Normalise a list, dropping case-insensitive duplicates (first spelling wins)."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in raws:
        kw = normalize_keyword(raw)
        if kw.casefold() not in seen:
            seen.add(kw.casefold())
            out.append(kw)
    return out


def stem(token: str) -> str:
    """A deliberately small plural rule, applied to both sides of a comparison."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("es") and token[-3] in "sxz":
        return token[:-2]
    if len(token) > 4 and token.endswith(("ches", "shes")):
        return token[:-2]
    if len(token) >= 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Stemmed, case-folded words of a text, in order. An acronym's plural ("GPUs", "LLMs")
    loses its ``s`` before case folding, where the English rules would keep it ("gpus" looks
    like "corpus")."""
    return [_token(w) for w in _WORD.findall(text)]


@lru_cache(maxsize=1 << 16)  # a day's abstracts use the same few thousand words over and over
def _token(word: str) -> str:
    return stem((word[:-1] if _ACRONYM_PLURAL.fullmatch(word) else word).casefold())


def compounds(text: str) -> set[str]:
    """Hyphenated compounds of a text, joined (``pre-training`` -> ``pretraining``)."""
    return {stem(c.replace("-", "")) for c in _COMPOUND.findall(text.casefold())}


def is_substring_keyword(keyword: str) -> bool:
    return bool(_NO_SPACES_SCRIPT.search(keyword))


# A keyword's word needle: the forms each of its words may take in a paper, in order.
Needle = tuple[frozenset[str], ...]

_ACRONYM_KEYWORD = re.compile(r"[A-Z0-9]*[A-Z][A-Z0-9]*")
# One lowercase prefix letter ("vLLM"), the capitals and digits, an optional plural "s".
_ACRONYM_WORD = re.compile(r"[a-z]?([A-Z0-9]*[A-Z][A-Z0-9]*?)s?")
# Acronyms that are words of their own and only happen to start or end with another one.
_STANDALONE_ACRONYMS = frozenset(
    {"URL", "CTRL", "CURL", "HTML", "XML", "YAML", "UML", "SQL", "NLP", "GPU", "CPU", "TPU"}
    | {"NPU", "GPT", "API", "PDF", "JSON", "HTTP", "HTTPS", "RGB"}
)
_SHOUTED_FUNCTION_WORDS = frozenset({"THE", "AND", "FOR", "WITH", "FROM", "VIA", "OF"})
_MAX_ACRONYM = 10  # longer capitals are shouting, not an acronym
_VOWELS = "aeiou"
_COMPARABLE = 6  # only short words get comparatives: "fast"er, not "transform"er
_MIN_HALF = 3  # "pre training" for ``pretraining``, never "in to" for ``into``


def phrase_tokens(text: str) -> tuple[list[str], dict[int, frozenset[str]]]:
    """The words of a text as :func:`tokens` has them, and, by position, the acronyms each
    compound acronym contains (``MLLMs`` -> ``MLLM``, ``LLM``, ``ML``, ...: capitals, which
    no case-folded word can equal). Nothing is split in a text written in capitals."""
    words = _WORD.findall(text)
    found = [_token(w) for w in words]
    if _shouting(words):
        return found, {}
    parts = {}
    for at, word in enumerate(words):
        inner = _acronym_parts(word)
        if inner:
            parts[at] = inner
    return found, parts


def _shouting(words: list[str]) -> bool:
    """A text in capitals: a function word in capitals, or mostly long words in capitals."""
    if not _SHOUTED_FUNCTION_WORDS.isdisjoint(words):
        return True
    long_words = [w for w in words if len(w) > 3 and w.isalpha()]
    return len(long_words) >= 3 and sum(w.isupper() for w in long_words) * 2 > len(long_words)


@lru_cache(maxsize=1 << 16)
def _acronym_parts(word: str) -> frozenset[str]:
    """The acronyms a compound acronym starts or ends with, itself included."""
    match = _ACRONYM_WORD.fullmatch(word)
    if match is None:
        return frozenset()
    body = match[1]
    if not 2 <= len(body) <= _MAX_ACRONYM or body in _STANDALONE_ACRONYMS:
        return frozenset()
    return frozenset(body[:end] for end in range(2, len(body) + 1)) | frozenset(
        body[start:] for start in range(len(body) - 1)
    )


def is_acronym(word: str) -> bool:
    """``LLM``, ``RL``, ``FP8``: a keyword word written in capitals (its plural too)."""
    word = word[:-1] if _ACRONYM_PLURAL.fullmatch(word) else word
    return len(word) >= 2 and _ACRONYM_KEYWORD.fullmatch(word) is not None


def needles(keyword: str) -> list[Needle]:
    """Every way a (normalised) keyword may be written in a paper, as word needles: the
    keyword word by word; a phrase also joined ("pre-training" -> ``pretraining``); a
    one-word keyword also cut in two ("pre training")."""
    words = _WORD.findall(keyword)
    if not words:
        return []
    main = tuple(word_forms(word) for word in words)
    if len(words) > 1:
        return [main, (word_forms("".join(words)),)]
    word = words[0].casefold()
    halves = [
        (frozenset({_token(word[:cut])}), word_forms(word[cut:]))
        for cut in range(_MIN_HALF, len(word) - _MIN_HALF + 1)
        if not is_acronym(words[0])
    ]
    return [main, *halves]


@lru_cache(maxsize=1 << 14)
def word_forms(word: str) -> frozenset[str]:
    """What one keyword word finds in a paper's :func:`phrase_tokens`: an acronym, itself
    in any case and the compound acronyms that contain it; a word, its inflections."""
    if is_acronym(word):
        return frozenset({_token(word), word[:-1] if _ACRONYM_PLURAL.fullmatch(word) else word})
    base = word.casefold()
    if not (base.isalpha() and len(base) >= 3):
        return frozenset({_token(base)})
    return frozenset(stem(form) for form in _inflections(base))


def _inflections(word: str) -> set[str]:
    """The regular English inflections of a base form, spelled by the usual rules; a form
    that is no word ("fastly") costs a dictionary lookup and finds nothing."""
    forms = {word}
    stems = {word}
    if word.endswith("e") and not word.endswith("ee"):
        stems = {word[:-1]}  # compute -> computing, computed
    elif word[-1] == "y" and word[-2] not in _VOWELS:
        stems = {word[:-1] + "i"}  # study -> studied, easy -> easier
        forms.add(word + "ing")
    elif _ends_short(word):
        stems.add(word + word[-1])  # plan -> planned (and the rarer "planed")
    for root in stems:
        forms.update({root + "ed", root + "ing"} if not root.endswith("i") else {root + "ed"})
        if len(word) <= _COMPARABLE:
            forms.update({root + "er", root + "est"})
    forms.update(_adverbs(word))
    if word.endswith("ient"):
        forms.add(word[:-1] + "cy")  # efficient -> efficiency
    return forms


def _ends_short(word: str) -> bool:
    """Consonant, vowel, consonant at the end of a one-vowel-group word: plan, fit, big."""
    last, middle, first = word[-1], word[-2], word[-3]
    groups = len(re.findall(f"[{_VOWELS}]+", word))
    return (
        groups == 1 and last not in _VOWELS + "wxy" and middle in _VOWELS and first not in _VOWELS
    )


def _adverbs(word: str) -> set[str]:
    if word.endswith("le"):
        return {word[:-1] + "y"}  # simple -> simply
    if word[-1] == "y" and word[-2] not in _VOWELS:
        return {word[:-1] + "ily"}  # easy -> easily
    if word.endswith("ic"):
        return {word + "ally"}  # dynamic -> dynamically
    return {word + "ly"}


def contains_sequence(
    haystack: list[str], parts: dict[int, frozenset[str]], needle: Needle
) -> bool:
    """Whether the words of ``needle`` follow each other somewhere in ``haystack``, each in
    one of its forms (a word, or an acronym inside the compound at that position)."""
    first, size = needle[0], len(needle)
    last_start = len(haystack) - size
    starts = [at for at, word in enumerate(haystack) if word in first and at <= last_start]
    starts += [
        at for at, inner in parts.items() if at <= last_start and not first.isdisjoint(inner)
    ]
    return any(
        all(
            haystack[at + k] in forms or not forms.isdisjoint(parts.get(at + k, ()))
            for k, forms in enumerate(needle[1:], 1)
        )
        for at in starts
    )
