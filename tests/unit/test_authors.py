"""Followed authors against real arXiv author strings.

The author column holds names as arXiv printed them in the announcements of
/work/shared/data/arxiv-days (2025-04 to 2026-01), except where marked ``# variant``: other
spellings of the same names, which arXiv prints for other papers.
"""

from __future__ import annotations

import random

import pytest

from bot.ranking.authors import (
    MAX_AUTHOR_LENGTH,
    AuthorIndex,
    AuthorName,
    AuthorNameError,
    NeedsConfirmation,
    explain,
    followed_key,
    match_any,
    matches,
    normalize_followed,
    parse_author,
    parse_authors,
    read_followed,
    split_authors,
)

MATCHES = [
    # case, middle names and initials
    ("Yann LeCun", "Yann LeCun"),
    ("yann lecun", "Yann LeCun"),
    ("Y. LeCun", "Yann LeCun"),
    ("Yann LeCun", "Y. LeCun"),  # variant
    ("LeCun, Yann", "Yann LeCun"),
    ("LeCun, Y.", "Yann LeCun"),
    ("Alexei Efros", "Alexei A. Efros"),
    ("A. A. Efros", "Alexei A. Efros"),
    ("Andrew Ng", "Andrew Y. Ng"),
    ("André Martins", "André F. T. Martins"),
    ("Cees Snoek", "Cees G. M. Snoek"),
    ("C. G. M. Snoek", "Cees G. M. Snoek"),
    ("Björn Schuller", "Björn W. Schuller"),
    ("Marius Zöllner", "J. Marius Zöllner"),
    # diacritics, umlauts, LaTeX accents
    ("Bernhard Schölkopf", "Bernhard Schölkopf"),
    ("Bernhard Scholkopf", "Bernhard Schölkopf"),
    ("Schölkopf", "Bernhard Schölkopf"),
    ("Schölkopf", "B. Schoelkopf"),  # variant
    ("Bernhard Schölkopf", 'Bernhard Sch\\"olkopf'),  # variant, as in the arXiv API
    ("Bernhard Schölkopf", 'B. Sch{\\"o}lkopf'),  # variant
    ("Björn Ommer", "Bjoern Ommer"),  # variant
    ("Anders Søgaard", "Anders Søgaard"),
    ("Anders Sogaard", "Anders Søgaard"),
    ("Anders Søgaard", "Anders Soegaard"),  # variant
    ("Dilek Hakkani-Tür", "Dilek Hakkani-Tur"),
    ("Dilek Hakkani-Tur", "Dilek Hakkani-Tür"),
    ("Florentin Worgotter", "Florentin Wörgötter"),
    ("Alberto Barron-Cedeno", "Alberto Barrón-Cedeño"),
    ("Håkan Ahlstrom", "Håkan Ahlström"),
    ("Sean O'Brien", "Sean O'Brien"),
    ("Sean OBrien", "Sean O'Brien"),
    # hyphenated given names
    ("Jean-Baptiste Alayrac", "Jean-Baptiste Alayrac"),  # variant
    ("Jean-Baptiste Alayrac", "J.-B. Alayrac"),  # variant
    ("Jean-Baptiste Alayrac", "JB Alayrac"),  # variant
    ("Jean-Baptiste Alayrac", "Jean Baptiste Alayrac"),  # variant
    ("J. Alayrac", "Jean-Baptiste Alayrac"),  # variant
    ("Byoung-Tak Zhang", "Byoung-Tak Zhang"),
    ("Byoung-Tak Zhang", "Byoungtak Zhang"),  # variant
    ("B.-T. Zhang", "Byoung-Tak Zhang"),
    ("Anh-Quan Cao", "Anh-Quan Cao"),
    # multi-part surnames: particles, Spanish double surnames
    ("Laurens van der Maaten", "Laurens van der Maaten"),  # variant
    ("van der Maaten", "Laurens van der Maaten"),  # variant
    ("Laurens van der Maaten", "L. J. P. van der Maaten"),  # variant
    ("Laurens van der Maaten", "Laurens Van Der Maaten"),  # variant
    ("L. vanderMaaten", "Laurens van der Maaten"),  # variant
    ("Luc Van Gool", "Luc Van Gool"),
    ("Luc van Gool", "Luc Van Gool"),
    ("Van Gool", "Luc Van Gool"),
    ("Anton van den Hengel", "Anton van den Hengel"),
    ("Benjamin Van Durme", "Benjamin Van Durme"),
    ("Benjamin Durme", "Benjamin Van Durme"),
    ("Alexander van Oers", "Alexander M. van Oers"),
    ("Fernando De la Torre", "Fernando De la Torre Frade"),
    ("Fernando de la Torre Frade", "Fernando De la Torre Frade"),
    ("Diego de las Casas", "Diego de las Casas"),
    ("Enric Junqué de Fortuny", "Enric Junqué de Fortuny"),
    ("Alberto Barrón", "Alberto Barrón-Cedeño"),
    ("Adrian Penate-Sanchez", "Adrian Penate-Sanchez"),
    ("Borja Rodríguez Gálvez", "Borja Rodríguez Gálvez"),
    ("Alessandro Ferreira", "Alessandro dos Santos Ferreira"),
    # East Asian names, in either order when the order can be told
    ("Kaiming He", "Kaiming He"),  # variant
    ("He Kaiming", "Kaiming He"),  # variant
    ("Kaiming He", "He Kaiming"),  # variant
    ("Li Fei-Fei", "Li Fei-Fei"),
    ("Fei-Fei Li", "Li Fei-Fei"),
    ("Feifei Li", "Li Fei-Fei"),
    ("Seong-Eun Baek", "Baek Seong-Eun"),
    ("Baek Seong-Eun", "Baek Seong-Eun"),
    ("Chen Wang", "Chen Wang"),
    ("Wei Chen", "Wei Chen"),
    ("Yang Li", "Yang li"),
    ("Y. Li", "Yang Li"),
    ("Y. Li", "Yi Li"),
    ("Y Li", "Yixuan Li"),
    ("Y. Li", "Y. Li"),  # variant
    ("X. Li", "X. Q. Li"),
    ("Jun Zhu", "Jun Zhu"),
    ("Jun-Yan Zhu", "Junyan Zhu"),  # variant
    ("Le Song", "Le Song"),  # variant
    ("Le Zhang", "Le Zhang"),
    ("Chen Change Loy", "Chen Change Loy"),
    ("何恺明", "何恺明"),  # variant
    ("何恺明", "何 恺明"),  # variant
    ("Kaiming He 何恺明", "何恺明"),  # variant
    # a surname that is one letter or ends with an initial (Indian names)
    ("Haihong E", "Haihong E"),
    ("Sethuraman T", "Sethuraman T"),
    ("Srinath R", "R. Srinath"),  # variant
    ("Ashwin T S", "Ashwin T S"),
    # other real shapes: capitals as initials, suffixes, collaborations
    ("OFM Riaz Rahman Aranya", "OFM Riaz Rahman Aranya"),
    ("O. Aranya", "OFM Riaz Rahman Aranya"),
    ("Rashidul Islam", "MD Rashidul Islam"),
    ("Yann LeCun", "Yann LeCun Jr."),  # variant
    ("Kimi Team", "Kimi Team"),
    ("Team Hunyuan3D", "Team Hunyuan3D"),
    ("Xiaomi LLM-Core Team", "Xiaomi LLM-Core Team"),
]

NON_MATCHES = [
    # an initial narrows the given name, it does not stand for every Li
    ("Y. Li", "Xiang Li"),
    ("Y. Li", "Ang Li"),
    ("Y. Li", "Li Yang"),
    ("Y. LeCun", "Xavier LeCun"),  # variant
    # full given names must be equal: a compound is not its first half
    ("Jun Zhu", "Jun-Yan Zhu"),  # variant
    ("Jun-Yan Zhu", "Jun Zhu"),
    ("Le Song", "Lele Song"),  # variant
    ("Jean-Baptiste Alayrac", "Jean Alayrac"),  # variant
    ("Yang Li", "Yangning Li"),
    ("Yang Li", "Yi Li"),
    ("Wei Chen", "Weiwei Chen"),  # variant
    # with a common surname, an initial in the paper is not evidence of a full given name
    ("Xiang Li", "X. Q. Li"),
    ("Wei Wang", "W. Wang"),
    ("Kaiming He", "K. He"),  # variant
    # both words are common surnames: the order cannot be told, so it is kept
    ("Chen Wang", "Wang Chen"),  # variant
    ("Wang Chen", "Chen Wang"),
    ("Le Zhang", "Zhang Le"),  # variant
    ("Yang Li", "Li Yang"),  # variant
    # a surname only where the surname is, and East Asian surnames get no second surname
    ("Kaiming He", "Kaiming Hetian"),  # variant
    ("Kaiming He", "Kaiming He Xu"),  # variant
    ("Wei Chen", "Chen Wei"),  # variant
    ("Chen Li", "Chen Li Erran"),  # variant
    ("Jun Zhu", "Zhu Jun Wang"),  # variant
    # no extra surname after a common one, in a given name's place, or with given names
    # missing; full given names are compared with full given names
    ("Sandeep Kumar", "Sandeep Kumar Singh"),
    ("Borja Rodríguez", "Borja Rodríguez Gálvez"),
    ("Linus", "Linus Ericsson"),
    ("Jianzhong", "Jianzhong Guo"),
    ("Md Rizwan Parvez", "Md Parvez Mia"),
    ("F. Richard Yu", "Fisher Yu"),
    ("Mohammad Zabed Hossain", "M. Rubaiyat Hossain Mondal"),
    ("L D M S S Teja", "Lekkala Sai Teja"),
    # middle names that disagree; an umlaut cannot be guessed from a plain o
    ("Geoffrey E. Hinton", "Geoffrey X. Hinton"),  # variant
    ("André F. T. Martins", "André G. Martins"),  # variant
    ("Bernhard Scholkopf", "Bernhard Schoelkopf"),  # variant
    # different people with similar names
    ("Luc Van Gool", "Luc Van Goolen"),  # variant
    ("Daniel Torres", "Ricardo Torres"),
    ("Fernando De la Torre", "Fernando Torres"),  # variant
    ("Laurens van der Maaten", "Laurens Maat"),  # variant
    ("Bernhard Schölkopf", "Bernhard Scholl"),  # variant
    ("Andrew Ng", "Andrew Yang"),  # variant
    ("Fei-Fei Li", "Fei Li"),  # variant
    ("Seong-Eun Baek", "Seong Baek"),  # variant
    ("何恺明", "何明"),  # variant
    ("何恺明", "Kaiming He"),  # variant: characters match characters
    ("Team Hunyuan3D", "Team Hunyuan"),  # variant
    ("Kimi Team", "MiniCPM Team"),
    # a given name is required when one is followed
    ("Yang Li", "Li"),  # variant
    ("Yang Zhang", "Zhang"),
]


@pytest.mark.parametrize(("followed", "author"), MATCHES)
def test_matches(followed: str, author: str) -> None:
    assert matches(parse_author(followed), author)


@pytest.mark.parametrize(("followed", "author"), NON_MATCHES)
def test_does_not_match(followed: str, author: str) -> None:
    assert not matches(parse_author(followed), author)


REAL_AUTHORS = sorted({author for _, author in MATCHES + NON_MATCHES} - {"Li", "Zhang"})


@pytest.mark.parametrize("author", REAL_AUTHORS)
def test_every_author_string_followed_as_printed_finds_itself(author: str) -> None:
    assert matches(parse_author(author, confirmed=True), author)


@pytest.mark.parametrize("surname", ["Li", "He", "Kim", "Wu", "Smith", "Nguyen", "Zhang", "何"])
def test_a_common_or_short_surname_alone_is_refused(surname: str) -> None:
    with pytest.raises(AuthorNameError, match="every"):
        parse_author(surname)


def test_a_confirmed_common_surname_follows_everyone_with_it() -> None:
    li = parse_author("Li", confirmed=True)
    assert li.confirmed
    assert li.broad
    assert all(matches(li, a) for a in ["Ang Li", "Xiang Li", "Li Erran Li", "Yang li"])
    assert not any(matches(li, a) for a in ["Liang Xu", "Li Dong", "Chen Li Erran"])


def test_an_uncommon_surname_alone_follows_everyone_with_it() -> None:
    followed = parse_author("Schölkopf")
    assert not followed.broad
    assert matches(followed, "Bernhard Schölkopf")
    assert matches(followed, "B. Schölkopf")
    assert not matches(followed, "Bernhard Scholl")


@pytest.mark.parametrize(
    ("name", "broad"),
    [("Y. Li", True), ("Y. J. Kim", True), ("Yang Li", False), ("Y. LeCun", False)],
)
def test_initials_and_a_common_surname_are_flagged_broad(name: str, broad: bool) -> None:
    assert parse_author(name).broad is broad


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('""', "empty"),
        ("Yann\u200bLeCun", "invisible"),
        ("Yann\u0007LeCun", "control"),
        ("Yann\u202eLeCun", "invisible"),
        ("x" * (MAX_AUTHOR_LENGTH + 1), "limit is 100"),
        ("123 456", "no letters"),
        ("...", "no letters"),
        ("Yann <b>LeCun</b>", "only letters"),
        ("Yann LeCun @ NYU", "only letters"),
        ("LeCun, Yann, Bengio", "one author at a time"),
        ("Y.", "no surname"),
    ],
)
def test_bad_names_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_author(text)


def test_the_longest_name_allowed_is_accepted() -> None:
    name = "A " + "b" * (MAX_AUTHOR_LENGTH - 2)
    assert parse_author(name).text == name


def test_the_name_is_kept_as_typed_with_quotes_and_spaces_cleaned() -> None:
    followed = parse_author('  "Laurens  van der Maaten" ')
    assert followed.text == "Laurens van der Maaten"
    assert explain(followed) == "author: Laurens van der Maaten"
    assert explain(parse_author("何恺明")) == "author: 何恺明"


def test_latex_in_a_typed_name_becomes_letters() -> None:
    assert parse_author('Bernhard Sch\\"olkopf').text == "Bernhard Schölkopf"


def test_two_spellings_of_one_name_are_one_follow() -> None:
    names = parse_authors(["Yann LeCun", "LeCun, Yann", "yann  lecun", "Y. LeCun", "Y LeCun"])
    assert [n.text for n in names] == ["Yann LeCun", "Y. LeCun"]


def test_match_any_names_the_first_followed_author_of_the_paper() -> None:
    followed = parse_authors(["Yann LeCun", "Luc Van Gool", "Anders Søgaard"])
    paper = ["Kevin Zhu", "Anders Soegaard", "Luc Van Gool"]
    assert match_any(followed, paper) == followed[1]
    assert match_any(followed, ["Kevin Zhu", "Sean O'Brien"]) is None
    assert match_any([], paper) is None
    assert match_any(followed, []) is None


@pytest.mark.parametrize(
    ("field", "names"),
    [
        # the shapes bot.announcements.split_authors already reads
        ("A B (X, Y), C D", ["A B", "C D"]),
        ("A B, C D, E F", ["A B", "C D", "E F"]),
        ("A (1), B (2) ((1) Univ X, (2) Univ Y)", ["A", "B"]),
        ("A (Lab (L1), Univ), B", ["A", "B"]),
        ("Single Author", ["Single Author"]),
        ("A,  , B", ["A", "B"]),
        ("", []),
        # and the ones it does not
        ("Yann LeCun and Yoshua Bengio", ["Yann LeCun", "Yoshua Bengio"]),
        (
            "Yann LeCun, Yoshua Bengio, and Geoffrey Hinton",
            ["Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"],
        ),
        ("Yann LeCun & Yoshua Bengio", ["Yann LeCun", "Yoshua Bengio"]),
        ("Yann LeCun; Yoshua Bengio", ["Yann LeCun", "Yoshua Bengio"]),
        ("Yann LeCun, Yoshua Bengio et al.", ["Yann LeCun", "Yoshua Bengio"]),
        ("Yann LeCun, et al", ["Yann LeCun"]),
        ("Yann LeCun and others", ["Yann LeCun"]),
        ("Bernhard Sch\\\"olkopf, Jos{\\'e} Garc{\\'\\i}a", ["Bernhard Schölkopf", "José García"]),
        (
            "Alexandre Sablayrolles, Herv{\\'e} J{\\'e}gou",
            ["Alexandre Sablayrolles", "Hervé Jégou"],
        ),
        ("The ATLAS Collaboration", ["The ATLAS Collaboration"]),
        ("G. Aad (CERN) for the ATLAS Collaboration", ["G. Aad", "ATLAS Collaboration"]),
        ("Kimi Team, Yulun Du", ["Kimi Team", "Yulun Du"]),
        (
            "Fernando De la Torre Frade (CMU), Anand Rao",
            ["Fernando De la Torre Frade", "Anand Rao"],
        ),
        ("Li Fei-Fei\n  and Jia Deng", ["Li Fei-Fei", "Jia Deng"]),
    ],
)
def test_split_authors(field: str, names: list[str]) -> None:
    assert split_authors(field) == names


def test_split_authors_feeds_the_matcher() -> None:
    followed = parse_authors(["Bernhard Schölkopf"])
    assert match_any(followed, split_authors('F. Locatello, B. Sch\\"olkopf (MPI)')) == followed[0]


def test_a_stored_name_loads_from_its_text_and_confirmation() -> None:
    stored = parse_author("Li", confirmed=True)
    loaded = AuthorName(stored.text, stored.confirmed)
    assert loaded == stored
    assert matches(loaded, "Xiang Li")
    assert matches(AuthorName("Y. LeCun"), "Yann LeCun")
    with pytest.raises(AuthorNameError):
        AuthorName("Li")


def test_hostile_text_gets_an_answer_not_a_traceback() -> None:
    rng = random.Random(14)
    alphabet = [*"aZé ö.,-'(){}\\\"$%&;~_^`", "\u200b", "\x00", "何", "\n", "et al", " and "]
    followed = parse_authors(["Yann LeCun", "Y. Li", "何恺明", "van der Maaten"])
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        try:
            parsed: AuthorName | str = parse_author(text)
        except AuthorNameError as refused:
            parsed = str(refused)
        assert parsed  # a name, or a reason to give the user
        names = split_authors(text)
        assert all(name == name.strip() and name for name in names)
        match_any(followed, [*names, text])


def test_the_author_index_finds_exactly_what_matching_finds() -> None:
    """The index only narrows the authors to match: over every name and author string of the
    tables (one paper each) it finds the same papers as :func:`matches` on all of them."""
    authors = [author for _, author in (*MATCHES, *NON_MATCHES)] + ["何恺明", "", "Li Wei"]
    index = AuthorIndex([[author] for author in authors])
    names = {name for name, _ in (*MATCHES, *NON_MATCHES)} | {"何恺明", "Li!", "Y. Li"}
    for text in sorted(names):
        try:
            followed = read_followed(text)
        except AuthorNameError:
            continue
        expected = {i for i, author in enumerate(authors) if matches(followed, author)}
        assert index.papers(followed) == expected, text
    assert index.papers(read_followed("Yann LeCun"))  # the tables do find something


def test_a_trailing_bang_confirms_a_common_surname_alone_and_only_that() -> None:
    with pytest.raises(NeedsConfirmation) as refused:
        read_followed("Li")
    assert refused.value.name == "Li"
    assert read_followed("Li!").confirmed
    assert normalize_followed(["Li!", "Yann LeCun!", "LeCun, Yann", "li!"]) == [
        "Li!",
        "Yann LeCun",
    ]
    assert followed_key("Li") == followed_key("Li!") == read_followed("li!").key
    with pytest.raises(AuthorNameError):
        read_followed("!")
