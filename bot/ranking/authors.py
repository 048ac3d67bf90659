"""Followed authors: how users write a name, and how it is found among a paper's authors.

A followed name is split into given names and a surname; a paper's author string is not
parsed the same way (arXiv prints names however their owners typed them), but searched: the
followed surname must be the author's last word(s), and the words before it must agree with
the followed given names. The rules, all applied to both sides alike:

- Case, diacritics and LaTeX accents do not matter (``Schölkopf`` = ``Scholkopf`` =
  ``Sch\\"olkopf``); a German umlaut, ``ø`` and ``å`` also match their two-letter spelling
  (``Schölkopf`` = ``Schoelkopf``). Without the umlaut there is nothing to tell ``oe`` from
  ``o`` (``Yue`` and ``Yu`` are different surnames), so ``Scholkopf`` does not find
  ``Schoelkopf``.
- Spaces, hyphens and apostrophes inside a surname do not matter (``van der Maaten`` =
  ``Van Der Maaten`` = ``vanderMaaten``, ``O'Brien`` = ``OBrien``). A surname's particles
  (van, de, la, ...) are part of it when the user types them; an author's particles the user
  left out are ignored (``Benjamin Durme`` finds ``Benjamin Van Durme``).
- One more surname word after the followed one is allowed (Spanish and Portuguese double
  surnames: ``Fernando De la Torre`` finds ``Fernando De la Torre Frade``), except after a
  common surname (a third word after ``Wang`` is not a second surname, and ``Kumar`` is
  often a middle name), where the first word would be a given name, and where the author
  lacks one of the followed given names (``Md Rizwan Parvez`` is not ``Md Parvez Mia``).
- The first given name must agree: full names exactly (``Jun`` is not ``Jun-Yan``, ``Le`` is
  not ``Lele``; ``Jean-Baptiste`` = ``Jean Baptiste`` = ``JeanBaptiste``), an initial with the
  name's initials (``Y.`` = ``Yann``, ``J.-B.`` = ``JB`` = ``J.`` = ``Jean-Baptiste``; ``Y.``
  is not ``Xiang``). Leading initials before a full given name are skipped when both sides
  have a full one (``J. Marius Zöllner`` = ``Marius Zöllner``; ``F. Richard Yu`` is not
  ``Fisher Yu``). Middle names are compared only where both sides have them (``Geoffrey E.
  Hinton`` = ``Geoffrey Hinton``; not ``Geoffrey X. Hinton``).
- With a common surname, a given name typed in full is not found in a paper's initial
  (``Wei Wang`` does not find ``W. Wang``); with any other it is (``Yann LeCun`` finds
  ``Y. LeCun``).
- East Asian order: a two-word name whose first word is a common East Asian surname and whose
  second is not (``He Kaiming``, ``Li Fei-Fei``, ``Baek Seong-Eun``) is also read surname
  first, on either side. When both words are common surnames (``Chen Wang``, ``Wang Chen``)
  the order cannot be told and the name is read only as written.
- Names in CJK characters (Chinese, Japanese, Korean) match the same characters, spaces
  ignored.

A surname alone follows everyone with that surname, which is useless for ``Li`` or ``Kim``:
a surname alone is refused when it is at most three letters long or one of the common
surnames below (or one CJK character), unless the user confirmed it (``confirmed=True``);
an initial is enough to narrow it (``Y. Li``), though such a name still finds many people
(64 different ``Y* Li`` in one week of cs announcements): :attr:`AuthorName.broad` says so.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.text.author_lists import split_authors as split_authors
from bot.text.latex import readable
from bot.text.unicode import clean_text

MAX_AUTHOR_LENGTH = 100

_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
_APOSTROPHES = "'\u2019\u02bc`"
_HYPHENS = "-\u2010\u2011\u2012\u2013"
_HYPHEN = re.compile(f"[{re.escape(_HYPHENS)}]")
_DOTS_AND_HYPHENS = re.compile(f"[.{re.escape(_HYPHENS)}]")
_NO_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_ALLOWED_MARKS = set(".,") | set(_APOSTROPHES) | set(_HYPHENS)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "dei", "des", "di", "da", "dos", "das"}
    | {"du", "la", "le", "las", "los", "ter", "ten", "zu", "vom", "af", "av", "bin", "ibn"}
    | {"al", "el", "st", "saint", "mac", "lo"}
)
# Particles that are never a given name ("Le Song" and "De Cheng" have given names).
_SURNAME_ONLY_PARTICLES = frozenset(
    {"van", "von", "der", "den", "ter", "ten", "dos", "das", "del", "della", "des", "vom"}
    | {"zu", "la", "las", "los"}
)
# Letters that Unicode does not decompose into a base letter and a mark.
_BASE_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "\u0131": "i"}
    | {"þ": "th", "ŀ": "l", "ħ": "h", "ŧ": "t", "ĸ": "k", "ŋ": "n"}
)
# The two-letter spellings of the letters above that have one (Schölkopf = Schoelkopf).
_LONG_FORMS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa"})


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common romanised East Asian surnames (Chinese pinyin and Wade-Giles/Cantonese, Korean,
# Vietnamese, Japanese): they decide the reading order of two-word names.
_EAST_ASIAN_SURNAMES = _word_set(
    """
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng
    liang xie song tang han feng deng cao peng zeng xiao tian dong yuan pan yu jiang cai lu
    wei ye du cheng su ding ren shen yao jin fu zhong xue lyu lv cui tan jia qian wen qin qiu
    kong bai meng fang shi mao hou duan lei hao long shao wan gu lai yin qi yan chang dai fan
    xiong mo kang niu ou bao hong zou xia shang ji ge ning gong tao yi zhan ni xing yue zhai
    ke geng jiao mu che ai liao miao ran tong shu jing an bi cong zhuo lan rong ruan qu sang
    nie chu gan rao zhuang
    cheung chan wong lee leung chow ng ho lam lau tsai hsu chiang tseng kuo lo yeh chou hsieh
    tsao chiu kwok tse yip fong cheng
    kim park choi jung jeong cho jo yoon yun jang lim im oh seo shin kwon hwang ahn yoo jeon
    ko moon son bae baek heo nam noh ha ryu cha woo min koo
    nguyen tran le pham hoang huynh phan vu vo dang bui do ngo duong ly dinh truong dao mai
    trinh luong
    sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada
    sasaki yamaguchi matsumoto inoue kimura hayashi shimizu
    """
)
# Surnames too common to follow alone; with the East Asian ones above.
_COMMON_SURNAMES = _EAST_ASIAN_SURNAMES | _word_set(
    """
    smith johnson williams brown jones miller davis wilson taylor anderson thomas moore martin
    jackson white harris clark lewis walker hall young allen king wright scott green baker
    adams nelson hill robinson campbell roberts evans turner parker collins edwards
    garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores
    rivera gomez diaz silva santos oliveira souza pereira costa ferreira alves rocha
    muller mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann
    rossi russo ferrari bianchi romano ricci bernard dubois durand petit moreau
    ivanov smirnov kuznetsov popov petrov nowak kowalski novak
    kumar singh sharma gupta patel shah das khan ali ahmed hassan ibrahim hussain rahman
    yilmaz kaya demir
    """
)


class AuthorNameError(ValueError):
    """A followed name a user or operator wrote that cannot be used; the message says why."""


class NeedsConfirmation(AuthorNameError):
    """A common surname alone (``Li``): followed only once the user confirms that they want
    every author with it. ``name`` is the name as typed, to confirm."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True, slots=True)
class _Word:
    """One word of a name, folded. ``parts`` are its hyphen-separated pieces, each with its
    plain spelling first and, when it has an umlaut-like letter, its two-letter spelling."""

    parts: tuple[tuple[str, ...], ...]
    initials_only: bool
    surname_ok: bool = True

    @property
    def keys(self) -> frozenset[str]:
        return _joined(self.parts)

    @property
    def initials(self) -> str:
        return "".join(p[0][0] for p in self.parts) if not self.initials_only else self.plain

    @property
    def plain(self) -> str:
        return "".join(p[0] for p in self.parts)


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way to read a name: given names (first name first) and the surname's words."""

    given: tuple[_Word, ...]
    surname: tuple[_Word, ...]


@dataclass(frozen=True, slots=True)
class AuthorName:
    """A followed author. ``text`` is the name as the user typed it (cleaned), what is
    stored and shown; ``confirmed`` records that the user asked for every author with a
    common surname. ``AuthorName(text, confirmed)`` parses like :func:`parse_author` (and
    raises like it), so a stored name loads from those two fields."""

    text: str
    confirmed: bool = False
    _readings: tuple[_Reading, ...] = field(default=(), repr=False, compare=False)
    _cjk: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._readings and not self._cjk:
            parsed = parse_author(self.text, confirmed=self.confirmed)
            object.__setattr__(self, "text", parsed.text)
            object.__setattr__(self, "_readings", parsed._readings)
            object.__setattr__(self, "_cjk", parsed._cjk)

    @property
    def key(self) -> str:
        """The same for two spellings of one name (``LeCun, Yann`` and ``yann lecun``): what
        duplicates are detected by."""
        if not self._readings:
            return self._cjk
        first = self._readings[0]
        words = " ".join(w.plain for w in (*first.given, *first.surname))
        return f"{words} {self._cjk}".strip()

    @property
    def broad(self) -> bool:
        """A common surname narrowed by initials only (``Y. Li``) or not at all (a confirmed
        ``Li``): it finds many people, which is worth telling the user when they follow it."""
        if len(self._cjk) == 1 and not self._readings:
            return True
        return any(
            _common(_plain(r.surname)) and all(w.initials_only for w in r.given)
            for r in self._readings
        )


def parse_author(text: str, *, confirmed: bool = False) -> AuthorName:
    """A followed name as a user types it: ``Yann LeCun``, ``Y. LeCun``, ``LeCun, Yann``,
    ``van der Maaten``, ``何恺明``. Raises :class:`AuthorNameError` (a ``ValueError``) with a
    message for the user when the name cannot be followed. ``confirmed`` allows a common
    surname alone (``Li``), which follows every author with that surname."""
    name = _validated(text)
    cjk = "".join(_CJK.findall(name))
    latin = " ".join(_CJK.sub(" ", name).split())
    readings = _readings_of(latin) if _has_letters(latin) else ()
    if not readings and len(cjk) == 0:
        raise AuthorNameError(f"'{name}' has no surname; type at least a surname")
    if not confirmed:
        _refuse_common_surname_alone(name, readings, cjk)
    return AuthorName(text=name, confirmed=confirmed, _readings=readings, _cjk=cjk)


def parse_authors(texts: Iterable[str]) -> list[AuthorName]:
    """Parse a list, dropping duplicates (two spellings of one name; the first wins)."""
    seen: set[str] = set()
    out: list[AuthorName] = []
    for text in texts:
        author = parse_author(text)
        if author.key not in seen:
            seen.add(author.key)
            out.append(author)
    return out


CONFIRMED = "!"
"""Written after a name (``Li!``) it confirms a common surname alone: the one text form of a
followed name in commands, settings, the command line and the database."""


def read_followed(text: str) -> AuthorName:
    """A followed name in its text form (``Yann LeCun``, ``Li!``). The confirmation is kept
    only where it is needed, so ``Yann LeCun!`` is just ``Yann LeCun``."""
    stripped = text.strip()
    confirmed = stripped.endswith(CONFIRMED)
    name = stripped.removesuffix(CONFIRMED)
    try:
        return parse_author(name)
    except NeedsConfirmation as refused:
        if not confirmed:
            raise NeedsConfirmation(
                f"{refused} (write '{refused.name}{CONFIRMED}' to confirm)", refused.name
            ) from None
        return parse_author(name, confirmed=True)


def written(followed: AuthorName) -> str:
    """The text form :func:`read_followed` reads back."""
    return followed.text + CONFIRMED if followed.confirmed else followed.text


def normalize_followed(texts: Iterable[str]) -> list[str]:
    """Text forms of followed names, checked, cleaned and without duplicates (two spellings
    of one name; the first wins). Raises :class:`AuthorNameError` for the first bad one."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        author = read_followed(text)
        if author.key not in seen:
            seen.add(author.key)
            out.append(written(author))
    return out


def followed_key(text: str) -> str:
    """What tells two followed names apart, confirmed or not (``Li`` is ``Li!``): for
    removing a name typed another way."""
    return parse_author(text.strip().removesuffix(CONFIRMED), confirmed=True).key


def explain(followed: AuthorName) -> str:
    """The reason shown beside a paper in a digest."""
    return f"author: {followed.text}"


def matches(followed: AuthorName, author: str) -> bool:
    """Whether ``author`` (one name from a paper, as arXiv prints it) is ``followed``."""
    written = _author_readings(author)
    if followed._cjk and followed._cjk == written.cjk:
        return True
    return any(
        _reading_matches(f, words)
        for f in followed._readings
        if _may_contain(written.letters, f.surname)
        for words in written.orders
    )


def match_any(followed: Sequence[AuthorName], authors: Sequence[str]) -> AuthorName | None:
    """The first followed name (in the user's order) that wrote the paper, or None."""
    for name in followed:
        if any(matches(name, author) for author in authors):
            return name
    return None


class AuthorIndex:
    """The authors of a batch of papers, searched by followed name: one scan of one string
    of the distinct author names finds the few whose letters contain the followed surname,
    and only those are matched (:func:`matches`), so thousands of profiles following authors
    stay cheap. Each name's papers are kept: profiles share the names they follow."""

    def __init__(self, papers_authors: Sequence[Sequence[str]]) -> None:
        papers_of: dict[str, list[int]] = {}
        for paper, authors in enumerate(papers_authors):
            for author in authors:
                papers_of.setdefault(author, []).append(paper)
        self._authors = list(papers_of)
        self._papers = list(papers_of.values())
        self._starts: list[int] = []
        chunks: list[str] = []
        position = 0
        for author in self._authors:
            written = _author_readings(author)
            chunk = f"{written.letters} {written.cjk}\n"  # needles hold neither separator
            self._starts.append(position)
            chunks.append(chunk)
            position += len(chunk)
        self._text = "".join(chunks)
        self._found: dict[AuthorName, frozenset[int]] = {}

    def papers(self, followed: AuthorName) -> frozenset[int]:
        """The indexes of the papers ``followed`` is an author of."""
        found = self._found.get(followed)
        if found is None:
            found = self._found[followed] = frozenset(
                paper
                for n in self._candidates(followed)
                if matches(followed, self._authors[n])
                for paper in self._papers[n]
            )
        return found

    def _candidates(self, followed: AuthorName) -> set[int]:
        needles = {v for r in followed._readings for v in r.surname[0].parts[0]}
        if followed._cjk:
            needles.add(followed._cjk)
        if "" in needles:
            return set(range(len(self._authors)))
        out: set[int] = set()
        for needle in needles:
            at = self._text.find(needle)
            while at != -1:
                out.add(bisect_right(self._starts, at) - 1)
                at = self._text.find(needle, at + 1)
        return out


# -- parsing a followed name --------------------------------------------------------------


def _validated(text: str) -> str:
    name = " ".join(text.split()).strip(_QUOTES).strip()
    if not name:
        raise AuthorNameError("an empty author name is not allowed")
    if len(name) > 4 * MAX_AUTHOR_LENGTH:  # before LaTeX conversion, which may shorten it
        raise AuthorNameError(
            f"author name '{name[:30]}…' is {len(name)} characters long; "
            f"the limit is {MAX_AUTHOR_LENGTH}"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise AuthorNameError("an author name cannot contain control or invisible characters")
    name = clean_text(readable(name))
    if len(name) > MAX_AUTHOR_LENGTH:
        raise AuthorNameError(
            f"author name '{name[:30]}…' is {len(name)} characters long; "
            f"the limit is {MAX_AUTHOR_LENGTH}"
        )
    if not _has_letters(name):
        raise AuthorNameError(f"author name '{name}' has no letters")
    odd = sorted({ch for ch in name if not _name_character(ch)})
    if odd:
        raise AuthorNameError(
            f"author name '{name}' contains {' '.join(odd)}; a name has only letters, "
            "digits, spaces, dots, hyphens, apostrophes and at most one comma (Surname, Given)"
        )
    if name.count(",") > 1:
        raise AuthorNameError(
            f"'{name}' looks like several names; follow one author at a time "
            "(a comma separates the surname from the given names: LeCun, Yann)"
        )
    return name


def _name_character(ch: str) -> bool:
    return ch.isalnum() or ch == " " or ch in _ALLOWED_MARKS or unicodedata.category(ch) == "Mn"


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _readings_of(latin: str) -> tuple[_Reading, ...]:
    surname_text, comma, given_text = latin.partition(",")
    if comma and _fold(given_text) in _SUFFIXES:  # "Martin Luther King, Jr."
        latin, comma = surname_text, ""
    if comma:
        given = tuple(_given_word(w) for w in _raw_words(given_text))
        surname = tuple(_word(w) for w in _raw_words(surname_text))
        return (_Reading(given, surname),) if surname else ()
    raw = _without_suffix(_raw_words(latin))
    if not raw or (len(raw) == 1 and _is_initials(raw[0])):
        return ()
    words = _split_reading(raw)
    other = _swapped(words) or _initials_last(raw)
    return (words,) if other is None else (words, other)


def _split_reading(raw: list[str]) -> _Reading:
    """Surname last, with its particles."""
    start = len(raw) - 1
    while start > 1 and _fold(raw[start - 1]) in _PARTICLES:
        start -= 1
    if _fold(raw[0]) in _SURNAME_ONLY_PARTICLES and start <= 1:
        start = 0  # "van der Maaten", "Van Durme": no given name
    return _Reading(
        tuple(_given_word(w) for w in raw[:start]), tuple(_word(w) for w in raw[start:])
    )


def _initials_last(raw: list[str]) -> _Reading | None:
    """``LeCun Y.``, ``Sethuraman T``: initials after the full words are either a surname's
    initial (common in Indian names on arXiv) or the reference-list style, surname first."""
    if len(raw) < 2 or not _is_initials(raw[-1]) or _is_initials(raw[0]):
        return None
    first_initial = next(i for i, w in enumerate(raw) if _is_initials(w))
    if not all(_is_initials(w) for w in raw[first_initial:]):
        return None
    return _Reading(
        tuple(_given_word(w) for w in raw[first_initial:]),
        tuple(_word(w) for w in raw[:first_initial]),
    )


def _refuse_common_surname_alone(name: str, readings: tuple[_Reading, ...], cjk: str) -> None:
    if cjk and len(cjk) < 2 and not readings:
        raise NeedsConfirmation(
            f"'{name}' alone would follow everyone with that surname; "
            "type the full name, or confirm that you want every one of them",
            name,
        )
    for reading in readings:
        if not reading.given and _common(_plain(reading.surname)):
            raise NeedsConfirmation(
                f"'{name}' alone would follow every author with that surname; add a given "
                f"name or an initial (for example 'Y. {name}'), or confirm that you want "
                "every one of them",
                name,
            )


def _common(surname: str) -> bool:
    return len(surname) <= 3 or surname in _COMMON_SURNAMES


def _swapped(reading: _Reading) -> _Reading | None:
    """The surname-first reading of a two-word name, when its words say it is one."""
    if len(reading.given) != 1 or len(reading.surname) != 1:
        return None
    first, last = reading.given[0], reading.surname[0]
    if first.initials_only or first.plain not in _EAST_ASIAN_SURNAMES:
        return None
    if last.plain in _EAST_ASIAN_SURNAMES:
        return None
    return _Reading((last,), (first,))


# -- reading an author string -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Written:
    orders: tuple[tuple[_Word, ...], ...]
    cjk: str
    letters: str  # every spelling of every word: a quick test that a surname can be there


@lru_cache(maxsize=65536)
def _author_readings(author: str) -> _Written:
    text = clean_text(readable(author))
    cjk = "".join(_CJK.findall(text))
    raw = _without_suffix(_raw_words(_CJK.sub(" ", text)))
    if not raw:
        return _Written((), cjk, "")
    # The last word is a surname even when it is one letter ("Haihong E", "Srinath R").
    words = (*(_given_word(w) for w in raw[:-1]), _word(raw[-1]))
    orders: tuple[tuple[_Word, ...], ...] = (words,)
    if len(words) == 2:
        swapped = _swapped(_Reading((words[0],), (words[1],)))
        if swapped is not None:
            orders = (words, (*swapped.given, *swapped.surname))
    pieces = [p for w in words for p in w.parts]
    letters = "".join(p[0] for p in pieces) + " " + "".join(p[-1] for p in pieces)
    return _Written(orders, cjk, letters)


# -- matching -----------------------------------------------------------------------------


def _reading_matches(followed: _Reading, words: tuple[_Word, ...]) -> bool:
    """Find the followed surname as the author's last word(s) and check the words before it
    against the followed given names. One more surname word may follow an uncommon surname
    ("De la Torre Frade", "Barrón-Cedeño"), never one in a given name's place ("Linus" is
    not "Linus Ericsson") and never a common one ("Sandeep Kumar" is not "Sandeep Kumar
    Singh")."""
    wanted = _joined(tuple(p for w in followed.surname for p in w.parts))
    longest = max(len(k) for k in wanted)
    extra_ok = not _common(_plain(followed.surname))
    last = len(words) - 1
    for start in range(1 if followed.given else 0, len(words)):
        if not words[start].surname_ok:
            continue
        given, extra = words[:start], extra_ok and start > 0
        so_far = frozenset({""})
        for end in range(start, len(words)):
            word = words[end]
            if extra and end == last and len(word.parts) > 1:
                head = {a + b for a in so_far for b in _joined(word.parts[:1])}
                if head & wanted and _given_match(followed, given, complete=True):
                    return True
            so_far = frozenset(a + b for a in so_far for b in word.keys)
            if so_far & wanted:
                if end == last and _given_match(followed, given):
                    return True
                extra_word = extra and end == last - 1 and words[last].surname_ok
                if extra_word and _given_match(followed, given, complete=True):
                    return True
            if min(len(k) for k in so_far) > longest:
                break
    return False


def _may_contain(letters: str, surname: tuple[_Word, ...]) -> bool:
    """Whether the first piece of the surname is anywhere in the author: most authors are
    ruled out by this one substring test."""
    return any(variant in letters for variant in surname[0].parts[0])


def _given_match(followed: _Reading, author: tuple[_Word, ...], *, complete: bool = False) -> bool:
    """The first given names agree, and so do the middle names both sides have (all the
    followed ones when ``complete``: a name read with an extra surname must not also be
    missing given names). Full names are compared with full names when both sides have one
    (``F. Richard Yu`` is not ``Fisher Yu``), and with a common surname a full given name is
    not found in an initial (``W. Wang`` is not evidence of ``Wei Wang``)."""
    if not followed.given:
        return True
    if not author or (complete and len(author) < len(followed.given)):
        return False
    strict = _common(_plain(followed.surname))
    both_full = _has_full(followed.given) and _has_full(author)
    for f_first, f_rest, f_joined in _first_and_rest(followed.given):
        for a_first, a_rest, a_joined in _first_and_rest(author):
            if (both_full or f_joined or a_joined) and (
                f_first.initials_only or a_first.initials_only
            ):
                continue
            if strict and a_first.initials_only and not f_first.initials_only:
                continue
            if _compatible(f_first, a_first) and all(
                _compatible(f, a) for f, a in zip(f_rest, a_rest, strict=False)
            ):
                return True
    return False


def _has_full(words: tuple[_Word, ...]) -> bool:
    return any(not w.initials_only for w in words)


def _first_and_rest(words: tuple[_Word, ...]) -> list[tuple[_Word, tuple[_Word, ...], bool]]:
    """The first given name as written; joined with the next (``Jean Baptiste`` is
    ``Jean-Baptiste``; True in the third place); and the first full one after leading
    initials, the name a person goes by (``J. Marius Zöllner``, ``MD Rashidul Islam``)."""
    out = [(words[0], words[1:], False)]
    if len(words) > 1 and not words[0].initials_only and not words[1].initials_only:
        out.append((_Word(words[0].parts + words[1].parts, False), words[2:], True))
    full = next((i for i, w in enumerate(words) if not w.initials_only), 0)
    if full > 0:
        out.append((words[full], words[full + 1 :], False))
    return out


def _compatible(followed: _Word, author: _Word) -> bool:
    if not followed.initials_only and not author.initials_only:
        return bool(followed.keys & author.keys)
    a, b = followed.initials, author.initials
    return a.startswith(b) or b.startswith(a)


# -- words --------------------------------------------------------------------------------


def _raw_words(text: str) -> list[str]:
    # "Y.LeCun" and "J.-B.Alayrac" are two words; "J.B." and "J.-B." stay one.
    text = re.sub(r"(?<=\.)(?=[^\W\d_]{2})", " ", text)
    words = [w.strip(_APOSTROPHES + _HYPHENS + ",") for w in text.split()]
    return [w for w in words if _has_letters(w)]


def _without_suffix(words: list[str]) -> list[str]:
    while len(words) > 1 and _fold(words[-1]) in _SUFFIXES:
        words = words[:-1]
    return words


def _is_initials(raw: str) -> bool:
    """``Y``, ``Y.``, ``J.B.``, ``J.-B.``: single letters, with dots when more than one."""
    segments = [seg for seg in _DOTS_AND_HYPHENS.split(raw) if seg]
    if len(segments) == 1 and len(segments[0]) == 1:
        return True
    return "." in raw and all(len(seg) == 1 for seg in segments)


def _given_word(raw: str) -> _Word:
    """A word where given names are: initials are recognised (``Y.``, ``J.-B.``, ``JB``)."""
    letters = _DOTS_AND_HYPHENS.sub("", raw).translate(_NO_APOSTROPHES)
    capitals = 2 <= len(letters) <= 3 and letters.isupper() and "." not in raw
    if _is_initials(raw) or capitals:
        return _Word(tuple(_variants(ch) for ch in letters), True, surname_ok=capitals)
    return _word(raw)


def _word(raw: str) -> _Word:
    pieces = [p for p in _HYPHEN.split(raw) if _has_letters(p)]
    return _Word(tuple(_variants(p) for p in pieces), False)


def _variants(piece: str) -> tuple[str, ...]:
    plain = _fold(piece)
    long = _fold(unicodedata.normalize("NFC", piece).casefold().translate(_LONG_FORMS))
    return (plain,) if long == plain else (plain, long)


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    """Lower case, no marks, letters only: what two spellings of a name are compared by."""
    text = text.casefold().translate(_BASE_LETTERS).translate(_NO_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalnum())


def _joined(parts: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    keys = frozenset({""})
    for variants in parts:
        keys = frozenset(k + v for k in keys for v in variants)
    return keys


def _plain(words: tuple[_Word, ...]) -> str:
    return "".join(w.plain for w in words)
