"""What a question must be before the assistant searches for it.

Questions come from a browser, the API and the command line, so they can be
anything: empty, a pasted document, terminal escapes, invisible direction
marks, emoji. ``clean_question`` keeps the words and removes the rest, and
says in Chinese why a question cannot be answered as given.
"""
from __future__ import annotations

import re
import unicodedata

from .errors import ReasonError

_WORD = re.compile(r"\w")


class QuestionError(ReasonError):
    """A question that cannot be searched."""


def clean_question(text: str | None, max_chars: int) -> str:
    """The question with control and format characters removed and
    whitespace collapsed; QuestionError if nothing askable is left or it is
    too long to be one question."""
    kept = "".join(ch for ch in (text or "") if not _invisible(ch))
    question = " ".join(kept.split())
    if not question:
        raise QuestionError("请输入您要咨询的问题。")
    if not _WORD.search(question):
        raise QuestionError("没有看到问题的文字，请用文字描述您要咨询的政策问题。")
    if len(question) > max_chars:
        raise QuestionError(
            f"问题过长（{len(question)} 字）。请精简到 {max_chars} 字以内，一次问一件事，"
            "例如：“上林英才的项目资助资金怎么拨付？”"
        )
    return question


def _invisible(ch: str) -> bool:
    """Control (Cc), format (Cf: direction marks, zero-width), unassigned
    or private-use characters; whitespace is kept as a separator."""
    return not ch.isspace() and unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")
