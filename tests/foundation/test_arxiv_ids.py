"""bot/arxiv/ids.py: every accepted form, and the rejections a user sees."""

from __future__ import annotations

import pytest

from bot.arxiv.ids import ACCEPTED_FORMS, ArxivId, InvalidArxivId, parse_arxiv_id, split_version


@pytest.mark.parametrize(
    ("text", "arxiv_id", "version"),
    [
        # new style, five digits (2015 on), with and without version
        ("2512.03394", "2512.03394", None),
        ("2512.03394v2", "2512.03394", 2),
        ("1501.00001", "1501.00001", None),
        ("2512.03394v12", "2512.03394", 12),
        # new style, four digits (2007-04 to 2014-12)
        ("0704.0001", "0704.0001", None),
        ("1412.9999v3", "1412.9999", 3),
        # old style, with and without subject class
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v1", "hep-th/9901001", 1),
        ("math.AG/0601001", "math.AG/0601001", None),
        ("math.AG/0601001v2", "math.AG/0601001", 2),
        ("cond-mat/9108001", "cond-mat/9108001", None),
        ("hep-th/0703999", "hep-th/0703999", None),  # the last old-style month
        # arXiv: prefix (any case, optional space)
        ("arXiv:2512.03394", "2512.03394", None),
        ("ARXIV:2512.03394v3", "2512.03394", 3),
        ("arxiv: hep-th/9901001", "hep-th/9901001", None),
        # abs / pdf / html URLs, http and https, www and export hosts, .pdf suffix
        ("https://arxiv.org/abs/2512.03394", "2512.03394", None),
        ("https://arxiv.org/abs/2512.03394v2", "2512.03394", 2),
        ("http://arxiv.org/abs/2512.03394", "2512.03394", None),
        ("https://www.arxiv.org/abs/2512.03394", "2512.03394", None),
        ("http://export.arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1),
        ("https://arxiv.org/pdf/2512.03394", "2512.03394", None),
        ("https://arxiv.org/pdf/2512.03394v2", "2512.03394", 2),
        ("https://arxiv.org/pdf/2512.03394v2.pdf", "2512.03394", 2),
        ("https://arxiv.org/pdf/2512.03394.pdf", "2512.03394", None),
        ("https://arxiv.org/pdf/math.AG/0601001v1.pdf", "math.AG/0601001", 1),
        ("https://arxiv.org/html/2512.03394v1", "2512.03394", 1),
        ("https://arxiv.org/html/2512.03394v1/", "2512.03394", 1),
        ("arxiv.org/abs/2512.03394", "2512.03394", None),
        ("https://arxiv.org/abs/2512.03394?context=cs.LG", "2512.03394", None),
        ("https://arxiv.org/abs/2512.03394#S2", "2512.03394", None),
        # surrounding whitespace, as pasted into a chat
        ("  2512.03394\n", "2512.03394", None),
        # digits of other scripts read as what they look like (README: typed text)
        ("\u0662\u0665\u0661\u0662.\u0660\u0663\u0663\u0669\u0664", "2512.03394", None),
        ("\uff12\uff15\uff11\uff12.\uff10\uff13\uff13\uff19\uff14v2", "2512.03394", 2),
    ],
)
def test_accepted_forms(text: str, arxiv_id: str, version: int | None) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed == ArxivId(arxiv_id, version)
    assert parsed.id == arxiv_id
    assert parsed.version == version


def test_versioned_and_str() -> None:
    assert parse_arxiv_id("2512.03394v2").versioned == "2512.03394v2"
    assert str(parse_arxiv_id("https://arxiv.org/pdf/2512.03394v2.pdf")) == "2512.03394v2"
    assert parse_arxiv_id("2512.03394").versioned == "2512.03394"
    assert str(parse_arxiv_id("hep-th/9901001v1")) == "hep-th/9901001v1"


@pytest.mark.parametrize(
    "text",
    [
        # wrong digit count for the era
        "1501.0001",  # five digits from 1501
        "2512.0339",
        "1412.00001",  # four digits until 1412
        "0704.00001",
        "2512.033945",
        "2512.033",
        # impossible months
        "2513.00001",
        "2500.00001",
        "0713.0001",
        "hep-th/9913001",
        # new style before 2007-04
        "0703.0001",
        "0612.0001",
        # old style after 2007-03, or before 1991-08
        "hep-th/0704001",
        "hep-th/1501001",
        "hep-th/9107001",
        # unknown archive, bad old-style shapes
        "foo-bar/9901001",
        "notanarchive/9901001",
        "hep-th/990100",
        "hep-th/99010011",
        "math.ag/0601001",  # subject classes are upper case
        "hep-th/9901001.pdf",
        # versions
        "2512.03394v0",
        "2512.03394v",
        "2512.03394v12345",
        "2512.03394V2",
        # other hosts, including look-alikes
        "https://evil.org/abs/2512.03394",
        "https://arxiv.org.evil.com/abs/2512.03394",
        "https://evilarxiv.org/abs/2512.03394",
        "https://arxiv.com/abs/2512.03394",
        "https://arx\u0131v.org/abs/2512.03394",  # dotless i
        "https://arxiv.org/list/2512.03394",
        "ftp://arxiv.org/abs/2512.03394",
        # garbage
        "garbage",
        "2512-03394",
        "2512.03394 2512.03394",
        "arXiv:",
        "https://arxiv.org/abs/",
        "arXiv:https://arxiv.org/abs/2512.03394",
        "<script>2512.03394</script>",
        "",
        "   ",
    ],
)
def test_rejected_forms(text: str) -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    message = str(info.value)
    assert "is not an arXiv identifier" in message
    assert ACCEPTED_FORMS in message
    for form in ("2512.03394v2", "arXiv:2512.03394", "hep-th/9901001", "https://arxiv.org/abs/"):
        assert form in message


def test_invalid_id_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Accepted forms"):
        parse_arxiv_id("nope")


@pytest.mark.parametrize(
    "text",
    [
        "x" * 100_000,
        "1" * 100_000,
        "https://arxiv.org/abs/" + "a" * 100_000,
        "https://arxiv.org/abs/" + "/" * 100_000,
        "a-" * 50_000 + "/9901001",
    ],
)
def test_very_long_input_is_rejected_with_a_short_message(text: str) -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id(text)
    message = str(info.value)
    assert len(message) < 300
    assert text[:57] + "..." in message
    assert ACCEPTED_FORMS in message


def test_message_quotes_short_input_whole() -> None:
    with pytest.raises(InvalidArxivId) as info:
        parse_arxiv_id("  2512.0339  ")
    assert str(info.value).startswith("'2512.0339' is not an arXiv identifier.")


@pytest.mark.parametrize(
    ("versioned", "expected"),
    [
        ("2512.03394v2", ("2512.03394", 2)),
        ("2512.03394", ("2512.03394", None)),
        ("hep-th/9901001v10", ("hep-th/9901001", 10)),
    ],
)
def test_split_version(versioned: str, expected: tuple[str, int | None]) -> None:
    assert split_version(versioned) == expected


def test_full_width_digits_read_as_the_identifier_they_look_like() -> None:
    typed = "\uff12\uff15\uff11\uff12.\uff10\uff13\uff13\uff19\uff14"
    assert str(parse_arxiv_id(typed)) == "2512.03394"
