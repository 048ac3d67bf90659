"""A local fake of the OpenAI chat-completions API, for tests.

The fake listens on 127.0.0.1 only (random free port) and speaks the wire format the official
``openai`` client (3.x, ``httpx2``) expects, so the project's real client code works unchanged:

* ``POST /v1/chat/completions``: the full ``chat.completion`` object (``id``, ``object``,
  ``created``, ``model``, ``choices[0].message {role, content}``, ``finish_reason "stop"``,
  ``usage``). The answer's text comes from :attr:`FakeOpenAI.responder`.
* ``POST /v1/embeddings``: the ``list`` of ``embedding`` objects, one per input in order,
  as floats or base64 (``encoding_format``), with ``usage``. Vectors are deterministic
  hashed bags of words (:func:`hashed_embedding`): texts sharing words are close. Requests
  are recorded in :attr:`FakeOpenAI.embedding_calls`; :attr:`FakeOpenAI.embeddings_down`
  answers 503 to every one (an endpoint that is down).
* ``GET /v1/models`` (and ``GET /v1/models/{id}``): a one-model list, ``fake-model``.
* Any other path: 404 with ``{"error": {"message": "Invalid URL (METHOD /path)", ...}}``.

All answers are ``Content-Type: application/json``; errors use OpenAI's shape
``{"error": {"message", "type", "param", "code"}}`` so the client raises the right exception
(400 ``BadRequestError``, 401 ``AuthenticationError``, 429 ``RateLimitError``, 5xx
``InternalServerError``...). Remember that the client itself retries 408, 409, 429 and 5xx
(``max_retries``, default 2) with a 0.5 s, 1 s, ... backoff unless the answer carries
``retry-after-ms``/``retry-after``; see :meth:`FakeOpenAI.fail_next` and
``default_retry_after_ms`` to keep retry tests fast.

Use ``async with FakeOpenAI() as fake:`` in async tests, then
``AsyncOpenAI(base_url=fake.base_url, api_key="sk-test")``; or ``with FakeOpenAIThread() as
fake:`` (same object, served from its own event loop in a background thread) in sync tests and
for subprocess-driven CLI tests.

Every chat-completions request, in this order:

1. is counted in :attr:`~FakeOpenAI.attempts` (and wakes :meth:`~FakeOpenAI.wait_for_attempts`)
   and enters the in-flight count behind :meth:`~FakeOpenAI.max_concurrency`;
2. has its outcome decided on arrival: 401 if the bearer token is not ``api_key``, else 400 if
   the body is not a valid request, else the next queued failure, else success;
3. waits while the gate is held (:meth:`~FakeOpenAI.hold` / :meth:`~FakeOpenAI.release`),
   then ``delay`` seconds;
4. is answered. Only 200 answers are recorded in :attr:`~FakeOpenAI.calls`.
"""

from __future__ import annotations

import array
import asyncio
import base64
import collections
import contextlib
import hashlib
import inspect
import itertools
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

from aiohttp import web

from tests.fakes.local_server import Headers as _Headers
from tests.fakes.local_server import LocalServer
from tests.fakes.server_thread import ServerThread

__all__ = [
    "HOSTILE_FRAGMENTS",
    "LANGUAGE_NAMES",
    "MALFORMED_ANSWERS",
    "SECTIONS",
    "ChatCall",
    "EmbeddingCall",
    "Failure",
    "FakeOpenAI",
    "FakeOpenAIThread",
    "Responder",
    "correcting_responder",
    "default_responder",
    "grounded_answer_responder",
    "hashed_embedding",
    "hostile_markup_responder",
    "injection_echo_responder",
    "is_correction",
    "static_responder",
]

FAKE_MODEL = "fake-model"
SECTIONS = (
    "## Contributions",
    "## Method and setup",
    "## Results",
    "## Conclusions and limitations",
)
# Names the default responder recognises in the system message (matched case-sensitively as
# whole words; a few endonyms map to the English name).
LANGUAGE_NAMES = (
    "Arabic", "Bengali", "Bulgarian", "Catalan", "Chinese", "Croatian", "Czech", "Danish",
    "Dutch", "English", "Estonian", "Finnish", "French", "German", "Greek", "Hebrew", "Hindi",
    "Hungarian", "Indonesian", "Italian", "Japanese", "Korean", "Latvian", "Lithuanian",
    "Malay", "Norwegian", "Persian", "Polish", "Portuguese", "Romanian", "Russian", "Serbian",
    "Slovak", "Slovenian", "Spanish", "Swahili", "Swedish", "Tamil", "Thai", "Turkish",
    "Ukrainian", "Urdu", "Vietnamese",
)  # fmt: skip
_ENDONYMS = {
    "中文": "Chinese", "汉语": "Chinese", "Deutsch": "German", "Français": "French",
    "Español": "Spanish", "日本語": "Japanese", "한국어": "Korean", "Русский": "Russian",
    "Italiano": "Italian", "Português": "Portuguese",
}  # fmt: skip

Failure = int | tuple[int, dict[str, str]]
"""A queued failure: a status, or ``(status, response headers)``."""

# Control headers in a failure's header dict: read by the fake, not sent to the client.
_CONTROL_HEADERS = frozenset({"x-insufficient-quota"})
_RETRY_HEADERS = frozenset({"retry-after", "retry-after-ms"})


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class ChatCall:
    """One chat-completions request."""

    model: str
    messages: list[dict[str, Any]]
    body: dict[str, Any]  # the whole JSON body
    headers: dict[str, str]  # incl. Authorization; lookups ignore case
    attempt: int = 0  # 1-based arrival number among all attempts (extra field)
    answer: str | None = field(default=None)  # the content sent back, once answered (extra)

    def text_of(self, role: str) -> str:
        """All text of the messages with this role, joined by blank lines."""
        return "\n\n".join(_content_text(m) for m in self.messages if m.get("role") == role)

    @property
    def system_text(self) -> str:
        """Text of the system (and ``developer``) messages."""
        return "\n\n".join(
            _content_text(m) for m in self.messages if m.get("role") in ("system", "developer")
        )

    @property
    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                return _content_text(m)
        return ""


Responder = Callable[[ChatCall], str | Awaitable[str]]
"""Returns the assistant message's content (an async function is allowed too)."""


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    return ""


# --------------------------------------------------------------------------------------------
# Responders

_TITLE_RE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_LANG_NAMES = (*LANGUAGE_NAMES, *_ENDONYMS)
_LANG_RE = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, _LANG_NAMES)) + r")(?!\w)")
_IN_LANG_RE = re.compile(r"\bin\s+(" + "|".join(map(re.escape, _LANG_NAMES)) + r")(?!\w)")


def title_words(user_text: str, n: int = 8) -> str | None:
    """The first ``n`` words of the text between ``<title>`` and ``</title>``, or None."""
    m = _TITLE_RE.search(user_text)
    if m is None or not m.group(1).split():
        return None
    return " ".join(m.group(1).split()[:n])


def language_of(system_text: str) -> str | None:
    """The language the system message asks for: the first name after "in " (as in "Write
    the summary in German"), else the first language name mentioned; None if there is none."""
    m = _IN_LANG_RE.search(system_text) or _LANG_RE.search(system_text)
    if m is None:
        return None
    return _ENDONYMS.get(m.group(1), m.group(1))


def _tldr_prefix(call: ChatCall) -> str:
    language = language_of(call.system_text)
    return f"[{language}] " if language else ""


_CONTRIBUTIONS = (
    "A new formulation of the problem that makes the main difficulty explicit.",
    "A simple method that replaces a hand-tuned component with a learned one.",
    "A theoretical analysis with a bound that matches the observed behaviour.",
    "An open-source implementation and a cleaned-up benchmark split.",
)
_METHOD = (
    "Experiments on three public benchmarks with the standard train/test splits.",
    "Baselines are re-run with the authors' code under the same compute budget.",
    "Metrics are accuracy and wall-clock cost, averaged over five seeds.",
    "Ablations remove each component in turn.",
)
_RESULTS = (
    "Improves over the strongest baseline on average.",
    "Matches prior accuracy at a fraction of the training cost.",
    "The ablations show the learned component accounts for most of the gain.",
    "Gains shrink on the smallest data set.",
)
_CONCLUSIONS = (
    "The approach is a drop-in replacement for existing pipelines.",
    "Limitation: evaluated only on English-language data.",
    "Limitation: the analysis assumes bounded inputs; not stated how it degrades otherwise.",
    "Future work: scaling to larger models.",
)


def _pick(pool: tuple[str, ...], seed: int, count: int) -> list[str]:
    start = seed % len(pool)
    return [pool[(start + i) % len(pool)] for i in range(count)]


def _summary(tldr: str, sections: list[list[str]]) -> str:
    parts = [f"TL;DR: {tldr}"]
    for heading, bullets in zip(SECTIONS, sections, strict=True):
        parts.append(heading + "\n" + "\n".join(f"- {b}" for b in bullets))
    return "\n\n".join(parts)


def default_responder(call: ChatCall) -> str:
    """A deterministic Markdown summary of the paper in the last user message.

    ``TL;DR: [Language] The paper "<first 8 title words>" ...`` (the ``[Language]`` marker only
    when the system message names a language, the title only when the user message has
    ``<title>...</title>``, else "the paper"), then the four :data:`SECTIONS` with 1-3 bullets
    each. The same messages always give the same text; different papers get different bullets.
    """
    user = call.last_user_text
    seed = int.from_bytes(hashlib.sha256(user.encode()).digest()[:4], "big")
    words = title_words(user)
    subject = f'The paper "{words}"' if words else "The paper"
    tldr = (
        f"{_tldr_prefix(call)}{subject} proposes a simple, scalable method and reports "
        "consistent gains over strong baselines at lower cost."
    )
    sections = [
        _pick(_CONTRIBUTIONS, seed, 1 + seed % 3),
        _pick(_METHOD, seed >> 2, 1 + (seed >> 4) % 3),
        _pick(_RESULTS, seed >> 6, 1 + (seed >> 8) % 3),
        _pick(_CONCLUSIONS, seed >> 10, 1 + (seed >> 12) % 3),
    ]
    return _summary(tldr, sections)


HOSTILE_FRAGMENTS = (
    "<b>unclosed",
    "<script>alert(1)</script>",
    "R&D",
    "]]>",
    "@everyone",
    "@here",
    "<@&123456>",
    "[click](http://evil.example/phish)",
    "**bold**",
    "__x__",
    r"$\alpha < \beta$",
    "论文",
    "🤖",
    "zero\u200bwidth",
    "\u202eRTL override",
    "```python\nprint('<i>not closed')\n```",
)
"""Every fragment :func:`hostile_markup_responder` puts in its answer (each verbatim)."""


def hostile_markup_responder(call: ChatCall) -> str:
    """A well-formed summary (TL;DR line and the four sections) full of markup that a renderer
    must neutralise: every inline :data:`HOSTILE_FRAGMENTS` item is on the TL;DR line, the
    fenced code block is under ``## Method and setup``."""
    inline = [f for f in HOSTILE_FRAGMENTS if "\n" not in f]
    fenced = [f for f in HOSTILE_FRAGMENTS if "\n" in f]
    tldr = _tldr_prefix(call) + " ".join(inline)
    sections = [
        ["<b>bold claim without a closing tag", "Pings @everyone and <@&123456> & @here"],
        ["Code follows:\n\n" + "\n".join(fenced) + "\n"],
        [r"Accuracy $\alpha < \beta$ & recall > baseline ]]> [more](http://evil.example/phish)"],
        ["论文 🤖 **done** __x__ \u200b\u202e"],
    ]
    return _summary(tldr, sections)


def injection_echo_responder(call: ChatCall) -> str:
    """A summary whose ``## Contributions`` quotes the first 200 characters of the last user
    message verbatim (``call.last_user_text[:200]`` is a substring of the answer), so a test
    can see where text injected by a paper ended up."""
    user = call.last_user_text
    tldr = f"{_tldr_prefix(call)}The paper's text is quoted below as received."
    sections = [
        [f"The input begins: {user[:200]}"],
        [f"The user message has `{len(user)}` characters."],
        ["not stated"],
        ["not stated"],
    ]
    return _summary(tldr, sections)


_PAPER_RE = re.compile(r"<paper>(.*)</paper>", re.S)
_QUESTION_RE = re.compile(r"<question>(.*)</question>", re.S)
_HEADING_RE = re.compile(r"^## (.+)$", re.M)
_QA_STOPWORDS = frozenset(
    ("what", "which", "does", "that", "this", "with", "from", "have", "they", "their", "there",
     "about", "paper", "when", "where")
)  # fmt: skip


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 4} - _QA_STOPWORDS


def grounded_answer_responder(call: ChatCall) -> str:
    """A faithful question-answering model, for ``/ask``: it reads the paper between
    ``<paper>`` and ``</paper>`` in the user messages (sections under ``## Heading`` lines) and
    the last ``<question>``; it answers from the section sharing the most words (of 4 letters or
    more) with the question, naming it on a first ``SECTIONS:`` line and quoting its first sentence
    that has one of those words; when no section shares a word, ``SECTIONS: none`` and "The
    paper does not say."."""
    users = [_content_text(x) for x in call.messages if x.get("role") == "user"]
    paper_m = next((m for m in map(_PAPER_RE.search, users) if m), None)
    question_m = _QUESTION_RE.search(call.last_user_text)
    if paper_m is None or question_m is None:
        return "SECTIONS: none\nI was given no paper or no question."
    asked = _content_words(question_m.group(1))
    body = paper_m.group(1)
    best: tuple[int, str, str] = (0, "", "")
    starts = list(_HEADING_RE.finditer(body))
    for i, head in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        text = body[head.end() : end]
        shared = len(asked & _content_words(text))
        if shared > best[0]:
            best = (shared, head.group(1).strip(), text)
    if best[0] == 0:
        return "SECTIONS: none\nThe paper does not say."
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(best[2].split()))
    quote = next((x for x in sentences if asked & _content_words(x)), sentences[0])
    return f"SECTIONS: {best[1]}\nThe paper says: {quote}"


def is_correction(call: ChatCall) -> bool:
    """Is this the bot's follow-up request to correct a summary's numbers? (It quotes the
    summary between ``<summary>`` and ``</summary>``; a summary request quotes a paper.)"""
    user = call.last_user_text
    return user.startswith("<summary>") and "</summary>" in user


_QUOTED_SUMMARY = re.compile(r"\A<summary>\n(.*?)\n</summary>", re.S)


def correcting_responder(summary: str, corrected: str | None = None) -> Responder:
    """A model scripted for the number check: it answers every summary request with
    ``summary`` (plant a wrong number in it) and every correction request with ``corrected``
    (the fixed summary); with ``corrected`` None it is a model that fails to correct: it
    sends back the summary it was asked to correct, unchanged."""

    def respond(call: ChatCall) -> str:
        if not is_correction(call):
            return summary
        if corrected is not None:
            return corrected
        quoted = _QUOTED_SUMMARY.search(call.last_user_text)
        return quoted.group(1) if quoted else summary

    return respond


def static_responder(content: str) -> Responder:
    """A responder that always answers ``content``."""
    return lambda call: content


# --------------------------------------------------------------------------------------------
# Answers that are not chat completions

_COMPLETION_HEAD = {"id": "chatcmpl-bad", "object": "chat.completion", "created": 0}


def _completion_with(choices: Any) -> str:
    return json.dumps({**_COMPLETION_HEAD, "model": FAKE_MODEL, "choices": choices})


MALFORMED_ANSWERS: dict[str, tuple[str, str]] = {
    "html": (
        "<html><head><title>502 Bad Gateway</title></head>"
        "<body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>",
        "text/html",
    ),
    "plain_text": ("upstream connect error or disconnect/reset before headers", "text/plain"),
    "empty": ("", "application/json"),
    "empty_text": ("", "text/plain"),
    "not_json": ('{"id": "chatcmpl-bad", "choices": [', "application/json"),
    "json_string": ('"ok"', "application/json"),
    "json_list": ("[]", "application/json"),
    "no_choices": (json.dumps(_COMPLETION_HEAD), "application/json"),
    "empty_choices": (_completion_with([]), "application/json"),
    "choices_not_a_list": (_completion_with("stop"), "application/json"),
    "no_message": (_completion_with([{"index": 0, "finish_reason": "stop"}]), "application/json"),
    "null_content": (
        _completion_with([{"index": 0, "message": {"role": "assistant", "content": None}}]),
        "application/json",
    ),
    "empty_content": (
        _completion_with([{"index": 0, "message": {"role": "assistant", "content": "  "}}]),
        "application/json",
    ),
    "content_not_text": (
        _completion_with([{"index": 0, "message": {"role": "assistant", "content": 42}}]),
        "application/json",
    ),
}
"""Bodies a broken endpoint (a proxy, a half-compatible server) answers with status 200, by
name; set :attr:`FakeOpenAI.malformed` to one of the names."""


# --------------------------------------------------------------------------------------------
# Errors


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _error_object(
    status: int, *, model: str = FAKE_MODEL, insufficient_quota: bool = False
) -> dict[str, Any]:
    """OpenAI's error object for an injected failure."""
    message, etype, code = f"{_reason(status)} (injected by FakeOpenAI)", "", None
    if status == 429 and insufficient_quota:
        message = (
            "You exceeded your current quota, please check your plan and billing details. "
            "For more information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors."
        )
        etype = code = "insufficient_quota"
    elif status == 429:
        message = (
            f"Rate limit reached for {model} in organization org-fake on requests per min "
            "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit "
            "https://platform.openai.com/account/rate-limits to learn more."
        )
        etype, code = "requests", "rate_limit_exceeded"
    elif status == 401:
        message = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
        etype, code = "invalid_request_error", "invalid_api_key"
    elif status == 403:
        message = "Country, region, or territory not supported"
        etype, code = "request_forbidden", "unsupported_country_region_territory"
    elif status == 404:
        message = f"The model `{model}` does not exist or you do not have access to it."
        etype, code = "invalid_request_error", "model_not_found"
    elif status == 500:
        message = "The server had an error while processing your request. Sorry about that!"
        etype = "server_error"
    elif status == 503:
        message = "The server is overloaded or not ready yet."
        etype = "server_error"
    else:
        etype = "server_error" if status >= 500 else "invalid_request_error"
    return {"message": message, "type": etype, "param": None, "code": code}


def _json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _error_response(
    status: int,
    message: str,
    *,
    etype: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    error = {"message": message, "type": etype, "param": param, "code": code}
    return _json_response({"error": error}, status=status, headers=headers)


def _validate(body: Any) -> web.Response | None:
    """400 in OpenAI's words for a body the real API would reject, else None."""
    if not isinstance(body, dict):
        return _error_response(400, "We could not parse the JSON body of your request.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _error_response(400, "you must provide a model parameter", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error_response(
            400, "[] is too short - 'messages'", param="messages", code="invalid_value"
        )
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "role" not in m:
            return _error_response(
                400, f"Missing required parameter: 'messages[{i}].role'.", param=f"messages[{i}]"
            )
    if body.get("stream"):
        return _error_response(
            400, "stream=True is not supported by FakeOpenAI", param="stream", code="unsupported"
        )
    return None


EMBEDDING_DIMENSIONS = 64
_EMBEDDING_WORD = re.compile(r"[^\W_]+")


def hashed_embedding(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A unit vector: each word (case-folded, a plural ``s`` dropped) adds +-1 to the
    dimension its hash picks, so texts that share words point the same way."""
    vector = [0.0] * dimensions
    for word in _EMBEDDING_WORD.findall(text.casefold()):
        word = word[:-1] if len(word) > 3 and word.endswith("s") else word
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % dimensions] += 1.0 if digest[1] % 2 else -1.0
    norm = sum(v * v for v in vector) ** 0.5
    return [v / norm for v in vector] if norm else vector


@dataclass
class EmbeddingCall:
    """One embeddings request answered 200."""

    model: str
    inputs: list[str]
    body: dict[str, Any]


def _validate_embeddings(body: Any) -> web.Response | None:
    if not isinstance(body, dict):
        return _error_response(400, "We could not parse the JSON body of your request.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return _error_response(400, "you must provide a model parameter", param="model")
    given = body.get("input")
    inputs = [given] if isinstance(given, str) else given
    if (
        not isinstance(inputs, list)
        or not inputs
        or len(inputs) > 2048
        or not all(isinstance(i, str) and i for i in inputs)
    ):
        return _error_response(
            400, "'input' must be a string or 1 to 2048 non-empty strings", param="input"
        )
    if body.get("encoding_format", "float") not in ("float", "base64"):
        return _error_response(400, "encoding_format must be float or base64", param="input")
    return None


# --------------------------------------------------------------------------------------------
# Server


class FakeOpenAI(LocalServer):
    """``async with FakeOpenAI() as fake: AsyncOpenAI(base_url=fake.base_url, api_key="sk-test")``.

    Attributes (all may be changed at any time, also while serving):

    * ``responder``: makes each answer's content (default :func:`default_responder`).
    * ``delay``: seconds every completion waits before answering (latency, timeout tests).
    * ``usage``: ``(prompt_tokens, completion_tokens)`` to report; ``"auto"`` (default)
      computes ``len(all message text)//4`` and ``len(answer)//4``; None omits ``usage``.
    * ``api_key``: requests whose ``Authorization: Bearer`` token differs get 401
      (``invalid_api_key``); None accepts any token, or none.
    * ``default_retry_after_ms``: when set, added as ``retry-after-ms`` to injected failures
      that carry no ``retry-after``/``retry-after-ms`` of their own, so the client's retries
      take milliseconds instead of its 0.5 s, 1 s, ... backoff.
    * ``key_echo``: how a 401 for a wrong key quotes it: ``"masked"`` (``sk-*****wxyz``),
      ``"openai"`` (``sk-abc***...wxyz``, as OpenAI does) or ``"full"`` (as some compatible
      servers do); a redaction test checks that none of them reaches the output.
    * ``malformed``: a :data:`MALFORMED_ANSWERS` name; while set, every request that passes
      the auth, body and failure checks is answered 200 with that body instead of a
      completion (an HTML error page, an empty body, a completion without content...).
      Such answers are counted in ``attempts``, not recorded in ``calls``.
    * ``drip``: when set, a completion answered 200 sends its headers (with the whole
      ``Content-Length``) at once, then its body one byte every ``drip`` seconds, as a broken
      proxy does: each read gets a byte in time, so only a deadline on the whole answer
      ends the wait.
    * ``embeddings_malformed``: like ``malformed``, for ``/v1/embeddings``.
    * ``truncate_to_max_tokens``: when True, an answer longer than the request's
      ``max_completion_tokens``/``max_tokens`` (at 4 characters per token) is cut there and
      ends with ``finish_reason "length"``.

    Records: ``calls`` (every request answered 200, in the order answered), ``received``
    (every chat-completions request, in arrival order), ``attempts`` (their count),
    :meth:`max_concurrency`, ``responder_errors`` (exceptions the responder raised; each one
    answered 500 with ``x-should-retry: false``).

    **Holding:** :meth:`hold` closes a gate that every completion passes after it is counted
    and before its ``delay``: from then on completions wait at the gate (counted in
    ``attempts`` and in flight) until :meth:`release` opens it. Typical use::

        fake.hold()
        tasks = [asyncio.create_task(summarise(p)) for p in papers]
        await fake.wait_for_attempts(len(papers))   # all arrived and are waiting
        assert fake.max_concurrency() == len(papers)
        fake.release()                              # all answer together

    :meth:`release` may be called from any thread (e.g. with :class:`FakeOpenAIThread`);
    stopping the fake releases the gate too.
    """

    def __init__(
        self,
        responder: Responder = default_responder,
        *,
        delay: float = 0.0,
        usage: tuple[int, int] | Literal["auto"] | None = "auto",
        api_key: str | None = "sk-test",
        default_retry_after_ms: float | None = None,
        truncate_to_max_tokens: bool = False,
    ) -> None:
        self.responder: Responder = responder
        self.delay = delay
        self.usage = usage
        self.api_key = api_key
        self.default_retry_after_ms = default_retry_after_ms
        self.truncate_to_max_tokens = truncate_to_max_tokens
        self.malformed: str | None = None
        self.embeddings_malformed: str | None = None
        self.drip: float | None = None
        self.key_echo: Literal["masked", "openai", "full"] = "masked"
        self.models: list[str] = [FAKE_MODEL]
        self.embedding_calls: list[EmbeddingCall] = []
        self.embeddings_down = False
        self.calls: list[ChatCall] = []
        self.received: list[ChatCall] = []
        self.responder_errors: list[BaseException] = []
        self.attempts = 0
        self._lock = threading.Lock()
        self._failures: collections.deque[tuple[int, dict[str, str]]] = collections.deque()
        self._in_flight = 0
        self._max_in_flight = 0
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._held = False
        self._gate: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._ids = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeOpenAI already started")
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._closing = asyncio.Event()
        self._gate = asyncio.Event()
        if not self._held:
            self._gate.set()
        app = web.Application(middlewares=[self._not_found_middleware])
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/models/{model}", self._model)
        await self._serve(app)

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()
        if self._gate is not None:
            self._gate.set()
        await self._close_server()

    # -- URLs ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- programming the fake --------------------------------------------------------------

    def fail_next(self, *failures: Failure) -> None:
        """The next chat-completions requests (in arrival order, after the auth check and the
        body check) answer these failures instead, one each.

        A failure is a status (``429``, ``500``, ``503``, ``400``...) or ``(status, headers)``:
        the headers are sent with the answer, e.g. ``(429, {"retry-after-ms": "10"})`` or
        ``(500, {"x-should-retry": "false"})``, except the control header
        ``x-insufficient-quota`` which makes a 429 an ``insufficient_quota`` error instead of
        ``rate_limit_exceeded``. Bodies are OpenAI error objects."""
        parsed: list[tuple[int, dict[str, str]]] = []
        for failure in failures:
            if isinstance(failure, tuple):
                status, headers = failure
            else:
                status, headers = failure, {}
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise ValueError(f"failure status must be an int in 400..599, not {status!r}")
            parsed.append((status, dict(headers)))
        with self._lock:
            self._failures.extend(parsed)

    def pending_failures(self) -> int:
        """How many queued failures have not been served yet."""
        with self._lock:
            return len(self._failures)

    def hold(self) -> None:
        """Close the gate: completions that reach it wait until :meth:`release`."""
        self._held = True
        if self._gate is not None:
            self._gate.clear()

    def release(self) -> None:
        """Open the gate: every held completion goes on. Safe from any thread."""
        self._held = False
        gate, loop = self._gate, self._loop
        if gate is None:
            return
        if loop is None or threading.get_ident() == self._loop_thread or loop.is_closed():
            gate.set()
        else:
            loop.call_soon_threadsafe(gate.set)

    @property
    def held(self) -> bool:
        return self._held

    def max_concurrency(self) -> int:
        """The most chat completions that were in flight (received, not yet answered or
        abandoned) at the same moment."""
        with self._lock:
            return self._max_in_flight

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    async def wait_for_attempts(self, n: int) -> None:
        """Return once ``attempts >= n`` (event-driven, no polling). Works from any event
        loop, also one in another thread than the fake's. It waits forever: bound it with
        ``async with asyncio.timeout(...)``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.attempts >= n:
                return
            future: asyncio.Future[None] = loop.create_future()
            entry = (n, loop, future)
            self._waiters.append(entry)
        try:
            await future
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    def reset(self) -> None:
        """Forget calls, attempts, queued failures and the concurrency record."""
        with self._lock:
            self.calls.clear()
            self.received.clear()
            self.responder_errors.clear()
            self.attempts = 0
            self._failures.clear()
            self._max_in_flight = self._in_flight

    # -- plumbing --------------------------------------------------------------------------

    def _check_auth(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip() == self.api_key:
            return None
        if not auth:
            return _error_response(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        shown = token.strip()
        if self.key_echo == "full":
            pass
        elif self.key_echo == "openai" and len(shown) > 10:
            shown = f"{shown[:6]}***...{shown[-4:]}"
        else:
            shown = f"{shown[:3]}*****{shown[-4:]}" if len(shown) > 8 else "*****"
        return _error_response(
            401,
            f"Incorrect API key provided: {shown}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )

    @web.middleware
    async def _not_found_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            return _error_response(404, f"Invalid URL ({request.method} {request.path})")
        except web.HTTPMethodNotAllowed:
            return _error_response(
                405, f"Invalid method for URL ({request.method} {request.path})"
            )
        return response

    def _arrived(self) -> int:
        """Count an attempt and wake the waiters it satisfies."""
        with self._lock:
            self.attempts += 1
            n = self.attempts
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            ready = [w for w in self._waiters if w[0] <= n]
            for w in ready:
                self._waiters.remove(w)
        for _, loop, future in ready:
            with contextlib.suppress(RuntimeError):  # the waiter's loop is already closed
                loop.call_soon_threadsafe(_resolve, future)
        return n

    def _left(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _pop_failure(self, model: str) -> web.Response | None:
        with self._lock:
            if not self._failures:
                return None
            status, headers = self._failures.popleft()
        lowered = {k.lower() for k in headers}
        error = _error_object(
            status, model=model, insufficient_quota="x-insufficient-quota" in lowered
        )
        sent = {k: v for k, v in headers.items() if k.lower() not in _CONTROL_HEADERS}
        if self.default_retry_after_ms is not None and not lowered & _RETRY_HEADERS:
            sent["retry-after-ms"] = f"{self.default_retry_after_ms:g}"
        return _json_response({"error": error}, status=status, headers=sent)

    async def _wait_turn(self) -> None:
        assert self._gate is not None
        assert self._closing is not None
        await self._gate.wait()
        delay = self.delay
        if delay > 0 and not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = _Headers(request.headers.items())
        n = self._arrived()
        try:
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = None
            fields: dict[str, Any] = body if isinstance(body, dict) else {}
            messages = fields.get("messages")
            call = ChatCall(
                model=str(fields.get("model", "")),
                messages=list(messages) if isinstance(messages, list) else [],
                body=fields,
                headers=headers,
                attempt=n,
            )
            self.received.append(call)
            outcome = self._check_auth(request) or _validate(body) or self._pop_failure(call.model)
            await self._wait_turn()
            if outcome is not None:
                outcome.headers["x-request-id"] = f"req_fake{n:06d}"
                return outcome
            answer = await self._answer(call)
            if self.drip is not None and answer.status == 200:
                return await self._trickle(request, answer, self.drip)
            return answer
        finally:
            self._left()

    async def _trickle(
        self, request: web.Request, answer: web.Response, every: float
    ) -> web.StreamResponse:
        assert self._closing is not None
        body = answer.body if isinstance(answer.body, bytes) else b""
        stream = web.StreamResponse(status=200, headers={"x-request-id": "req_drip"})
        stream.content_type = answer.content_type
        stream.content_length = len(body)
        await stream.prepare(request)
        try:
            for i in range(len(body)):
                await stream.write(body[i : i + 1])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), every)
                if self._closing.is_set():
                    break
        except (ConnectionResetError, RuntimeError):  # the client gave up and went away
            pass
        return stream

    async def _answer(self, call: ChatCall) -> web.Response:
        request_id = f"req_fake{call.attempt:06d}"
        if self.malformed is not None:
            body, content_type = MALFORMED_ANSWERS[self.malformed]
            return web.Response(
                body=body.encode(),
                status=200,
                content_type=content_type,
                headers={"x-request-id": request_id},
            )
        try:
            result = self.responder(call)
            content = await result if inspect.isawaitable(result) else result
            if not isinstance(content, str):
                raise TypeError(f"responder returned {type(content).__name__}, not str")
        except Exception as exc:
            self.responder_errors.append(exc)
            return _error_response(
                500,
                f"FakeOpenAI responder failed: {type(exc).__name__}: {exc}",
                etype="server_error",
                headers={"x-should-retry": "false", "x-request-id": request_id},
            )
        finish_reason = "stop"
        limit = call.body.get("max_completion_tokens") or call.body.get("max_tokens")
        if self.truncate_to_max_tokens and isinstance(limit, int) and len(content) // 4 > limit:
            content, finish_reason = content[: limit * 4], "length"
        payload: dict[str, Any] = {
            "id": f"chatcmpl-fake{next(self._ids):06d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": call.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "system_fingerprint": None,
        }
        usage = self.usage
        if usage == "auto":
            prompt_chars = sum(len(_content_text(m)) for m in call.messages)
            usage = (prompt_chars // 4, len(content) // 4)
        if usage is not None:
            prompt, completion = usage
            payload["usage"] = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        call.answer = content
        self.calls.append(call)
        return _json_response(
            payload, headers={"x-request-id": request_id, "openai-processing-ms": "1"}
        )

    async def _embeddings(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        denied = self._check_auth(request) or _validate_embeddings(body)
        if denied is not None:
            return denied
        if self.embeddings_down:
            return _error_response(
                503, "The server is overloaded or not ready yet.", etype="server_error"
            )
        if self.embeddings_malformed is not None:
            text, content_type = MALFORMED_ANSWERS[self.embeddings_malformed]
            return web.Response(body=text.encode(), status=200, content_type=content_type)
        given = body["input"]
        inputs: list[str] = [given] if isinstance(given, str) else list(given)
        data = []
        for index, text in enumerate(inputs):
            vector = hashed_embedding(text)
            encoded: Any = vector
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(array.array("f", vector).tobytes()).decode()
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        with self._lock:
            self.embedding_calls.append(EmbeddingCall(body["model"], inputs, body))
        tokens = sum(len(text) for text in inputs) // 4
        return _json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def _model_object(self, model: str) -> dict[str, Any]:
        return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}

    async def _models(self, request: web.Request) -> web.Response:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        return _json_response(
            {"object": "list", "data": [self._model_object(m) for m in self.models]}
        )

    async def _model(self, request: web.Request) -> web.Response:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        model = request.match_info["model"]
        if model not in self.models:
            error = _error_object(404, model=model)
            return _json_response({"error": error}, status=404)
        return _json_response(self._model_object(model))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# --------------------------------------------------------------------------------------------
# Thread wrapper


class FakeOpenAIThread(ServerThread[FakeOpenAI]):
    """``with FakeOpenAIThread() as fake:`` runs a :class:`FakeOpenAI` on its own event loop in
    a background thread; ``fake`` is the ``FakeOpenAI`` object itself. Arguments are passed to
    ``FakeOpenAI``. ``hold``/``release``/``fail_next`` are thread-safe; ``wait_for_attempts``
    works from any event loop; a synchronous responder runs in the fake's thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(FakeOpenAI(*args, **kwargs))
