"""The model's Markdown, read into the neutral content tree.

Model output is untrusted: everything becomes text nodes, so no renderer can be tricked into
markup. Raw HTML stays visible text, links survive only to arXiv and DOI (anything else keeps
its words, not its target), and LaTeX becomes readable Unicode outside code.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.contract.messages import (
    Block,
    Bold,
    BulletList,
    Code,
    CodeBlock,
    Heading,
    Inline,
    Italic,
    Link,
    Paragraph,
    Text,
)
from bot.text.latex import readable

ALLOWED_LINK_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "doi.org", "dx.doi.org"})
LINK_REMOVED = "[link removed]"

_DOT = r"(?:\s*(?:\.|\[\.\]|\(\.\)|\[dot\]|\(dot\))\s*)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# Top-level domains common enough that a bare "name.tld" is linkified by chat clients (a
# "name.tld/path" is treated as a link whatever the TLD).
_COMMON_TLDS = (
    "com|net|org|edu|gov|io|ai|co|me|info|biz|xyz|app|dev|ly|gl|to|gg|sh|cc|tv|us|eu|uk|de|"
    "ru|cn|site|online|top|club|shop|link|click|live|pro|ws|tk|ml|ga|cf|gq|page|zip|mov"
)
_BARE_URL = re.compile(
    r"(?<![\w@.-])(?:"
    # a scheme, also defanged or spaced: https://, hxxp://, http ://, javascript:, data:
    r"(?:[a-z][a-z0-9+.-]{1,15}|h[tx]{2}ps?)\s*(?::|\[:\])\s*/\s*/\s*[^\s<>\"'`]*"
    r"|(?:javascript|vbscript|data|file|mailto|tel|sms|callto)\s*:[^\s<>\"'`]+"
    # an e-mail address: chat clients make it a mailto: link
    rf"|[a-z0-9._%+-]+@(?:{_LABEL}{_DOT})+[a-z]{{2,63}}(?![\w-])"
    rf"|www{_DOT}[^\s<>\"'`]+"
    rf"|(?:{_LABEL}{_DOT})+[a-z]{{2,63}}/[^\s<>\"'`]*"
    rf"|(?:{_LABEL}\.)+(?:{_COMMON_TLDS})(?![\w-])(?::\d+)?"
    r")",
    re.I,
)
_TRAILING = ".,;:!?)]}'\""

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|(\d{1,3})[.)])\s+(.*)$")
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|\[(?P<ltext>[^\]\n]+)\]\((?P<url>[^)\s]+)\)"
    r"|(?P<bold>\*\*(?=\S)(?:.+?)(?<=\S)\*\*|__(?=\S)(?:.+?)(?<=\S)__)"
    r"|(?P<italic>(?<![*\w])\*(?=\S)(?:[^*\n]+?)(?<=\S)\*(?![*\w])"
    r"|(?<![_\w])_(?=\S)(?:[^_\n]+?)(?<=\S)_(?![_\w]))"
)


def safe_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "") in ALLOWED_LINK_HOSTS


def _allowed_address(found: str) -> bool:
    """An arXiv or DOI address, written any way (with or without a scheme, defanged)."""
    text = re.sub(_DOT, ".", found, flags=re.I)
    text = re.sub(r"^h[tx]{2}p(s?)\s*(?::|\[:\])\s*/\s*/", r"http\1://", text, flags=re.I)
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    allowed = host in ALLOWED_LINK_HOSTS or host.endswith(".arxiv.org")
    return allowed and parts.scheme in ("http", "https") and not parts.username


def unlinked(text: str) -> str:
    """The model's text with every address that is not arXiv or DOI replaced by
    :data:`LINK_REMOVED`: chat clients make bare URLs (``evil.example/x``, ``www.x.com``)
    clickable, so they must not survive as text either."""

    def replace(m: re.Match[str]) -> str:
        found = core = m[0]
        while core and core[-1] in _TRAILING:  # sentence punctuation, an unmatched bracket
            if core[-1] == ")" and core.count("(") >= core.count(")"):
                break
            core = core[:-1]
        rest = found[len(core) :]
        return found if _allowed_address(core) else LINK_REMOVED + rest

    return _BARE_URL.sub(replace, text)


def _readable_text(text: str) -> str:
    """:func:`readable` for a run of text between inline nodes: the conversion trims, but the
    spaces that separate the run from its neighbours must stay."""
    text = unlinked(text)
    out = readable(text)
    if out == text or not out:
        return out
    return (" " if text[:1].isspace() else "") + out + (" " if text[-1:].isspace() else "")


def parse_inline(text: str) -> tuple[Inline, ...]:
    out: list[Inline] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(Text(_readable_text(text[pos : m.start()])))
        if m["code"]:
            out.append(Code(m["code"][1:-1]))
        elif m["ltext"]:
            label = readable(unlinked(m["ltext"]))
            out.append(Link(label, m["url"]) if safe_link(m["url"]) else Text(label))
        elif m["bold"]:
            out.append(Bold(parse_inline(m["bold"][2:-2])))
        else:
            out.append(Italic(parse_inline(m["italic"][1:-1])))
        pos = m.end()
    if pos < len(text):
        out.append(Text(_readable_text(text[pos:])))
    return tuple(n for n in out if not (isinstance(n, Text) and not n.text))


def parse_markdown(text: str) -> tuple[Block, ...]:
    """Headings, bullet and numbered lists, fenced code and paragraphs; nothing else is
    special."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[tuple[Inline, ...]] = []
    numbered = False
    code: list[str] | None = None

    def flush() -> None:
        nonlocal numbered
        if paragraph:
            blocks.append(Paragraph(parse_inline(" ".join(paragraph))))
            paragraph.clear()
        if items:
            blocks.append(BulletList(tuple(items), numbered=numbered))
            items.clear()
            numbered = False

    for line in text.split("\n"):
        if code is not None:
            if _FENCE.match(line):
                blocks.append(CodeBlock("\n".join(code)))
                code = None
            else:
                code.append(line)
            continue
        if _FENCE.match(line):
            flush()
            code = []
            continue
        if not line.strip():
            flush()
            continue
        if m := _HEADING.match(line):
            flush()
            blocks.append(Heading(parse_inline(m[2])))
        elif m := _BULLET.match(line):
            is_numbered = bool(m[1])
            if paragraph or (items and is_numbered != numbered):
                flush()
            numbered = is_numbered
            items.append(parse_inline(m[2].strip()))
        elif items and line.startswith(("  ", "\t")):  # a list item's continuation line
            items[-1] = (*items[-1], Text(" "), *parse_inline(line.strip()))
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    if code is not None:
        blocks.append(CodeBlock("\n".join(code)))
    flush()
    return tuple(blocks)
