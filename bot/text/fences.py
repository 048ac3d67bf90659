"""Fences around untrusted text in prompts.

Every prompt we send puts untrusted text (a paper, a summary, passages of a paper) between
tags such as ``<paper>`` and ``</paper>``. The text itself must not be able to close or open
one of those fences, whichever prompt it goes into, so there is one list of tags for all.
"""

from __future__ import annotations

import re

FENCE_TAGS = ("paper", "summary", "passage", "question", "title", "authors", "id")
"""Every tag a prompt of ours fences untrusted text with."""

_FENCE_TAG = re.compile(r"<\s*/?\s*(" + "|".join(FENCE_TAGS) + r")\b[^<>]*>", re.I)


def unfenced(text: str) -> str:
    """Untrusted text with our fence tags made harmless (``</paper>`` -> ``[paper]``)."""
    return _FENCE_TAG.sub(lambda m: f"[{m[1].lower()}]", text)
