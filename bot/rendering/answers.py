"""An answer about a paper as a neutral reply: the paper's linked title, the question, the
answer read through the summaries' safe Markdown path, and where it comes from."""

from __future__ import annotations

from bot.contract.messages import Block, Bold, Link, Paragraph, Reply, bold, italic, para
from bot.model.papers import Paper
from bot.summaries.answers import Answer
from bot.text.latex import readable
from bot.text.markdown_tree import parse_markdown, unlinked

NOT_ANSWERED = "The paper does not answer this."
_SOURCES = {"html": "full text (HTML)", "pdf": "full text (PDF)", "abstract": "abstract"}


def answer_reply(paper: Paper, question: str, answer: Answer) -> Reply:
    """The question is the asker's text and the answer the model's: both stay text (no
    markup, mentions or foreign links survive), and the reply names its paper so a reply to
    it can continue the conversation."""
    blocks: list[Block] = [
        Paragraph((Bold((Link(readable(paper.title), paper.url),)),)),
        para(bold("Q:"), " " + unlinked(" ".join(question.split()))),
    ]
    if not answer.answered:
        blocks.append(para(bold(NOT_ANSWERED)))
    blocks.extend(parse_markdown(answer.text))
    where = _SOURCES[answer.source]
    if answer.sections:
        origin = "From: " + ", ".join(unlinked(readable(s)) for s in answer.sections)
    elif answer.answered:
        origin = "From: the paper (no section named)"
    else:
        origin = "From: nowhere in the paper"
    blocks.append(
        para(italic(f"{origin} · {answer.model} on the {where} of arXiv:{paper.versioned_id}"))
    )
    return Reply(tuple(blocks), paper=paper.versioned_id)
