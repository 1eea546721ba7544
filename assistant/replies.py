"""Official replies (建议答复, 提案答复) as questions they answer themselves.

A reply to a deputy's suggestion names the suggestion (《关于…的建议》, 第190号
建议), greets the deputy in a head paragraph that ends 答复如下, and then
answers point by point (1、… 2、… or 一、… 二、…). Each of these becomes a
question that leads to the matching part of the reply:

- the suggestion's title → the whole reply: who replied when, and its points;
- its number (第190号建议) → the head paragraph;
- each numbered point → that point's section.

The questions are worded a few ways (bare, 的答复, 是怎么答复的) so that the
same kind-of-question check that guards verified answers (similar.py) lets
each usual wording through. Spans are offsets into ``Document.text``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import paragraphs
from .documents import Document

REPLY_TYPES = ("建议答复", "提案答复")
_TITLE = re.compile(r"《(关于[^》]{2,80}?的(建议|提案))》")
_NUMBER = re.compile(r"第\s*(\d+)\s*号(建议|提案)")
_ADDRESSEE = re.compile(r"^\S{2,12}(代表|委员)[:：]\s*$", re.M)
_REPLY_FOLLOWS = re.compile(r"答复如下[:：]?")
_CLOSING = re.compile(r"^(最后|此复|特此|联系人|联系电话|抄送)")
_POINT_NUMBER = re.compile(r"^[（(]?[一二三四五六七八九十\d]+[）)]?[、.．]?\s*")
_ANSWER_CHARS = 260
_ENDS = ("。", "；", "！", "？", ":", "：")


@dataclass(frozen=True)
class ReplyQuestion:
    key: str  # unique within the document
    question: str
    paraphrases: list[str]
    answer: str
    spans: list[tuple[int, int]]  # what it cites, in document text


def is_reply(doc_type: str) -> bool:
    return doc_type in REPLY_TYPES


def reply_questions(doc: Document) -> list[ReplyQuestion]:
    """The questions an official reply answers by itself (none when the
    document does not name a suggestion or proposal)."""
    text = doc.text
    title, number = _TITLE.search(text), _NUMBER.search(text)
    if not title and not number:
        return []
    kind = (title or number).group(2)  # type: ignore[union-attr]
    head = _head(text)
    points = _points(text)
    whom = _who_when(doc)
    out = []
    if title:
        name = title.group(1)
        listed = "；".join(_point_title(text, s) for s, _ in points)
        numbered = f"（第{number.group(1)}号{kind}）" if number else ""
        answer = f"《{name}》{numbered}由{whom}答复（《{doc.meta.title}》）。"
        answer += f"答复分为以下几个方面：{listed}。" if listed else ""
        spans = ([head] if head else []) + [(s, _first_sentence(text, s, e)) for s, e in points]
        out.append(ReplyQuestion("title", name, [f"《{name}》是怎么答复的？", f"{name}的答复"], answer, spans))
    refer = f"第{number.group(1)}号{kind}" if number else f"《{title.group(1)}》"  # type: ignore[union-attr]
    if number and head:
        answer = f"《{doc.meta.title}》（{'，'.join(x for x in (doc.meta.issuer, cn_date(doc.meta.date)) if x)}）：{_excerpt(text, *head)}"
        out.append(ReplyQuestion("head", refer, [f"{refer}的答复", f"{refer}是怎么答复的？"], answer, [head]))
    for i, (start, end) in enumerate(points, start=1):
        point = _point_title(text, start)
        answer = f"据{whom}《{doc.meta.title}》：{_excerpt(text, start, end)}"
        wordings = [f"{refer}答复中的{point}", f"{refer}答复中{point}是怎么说的？"]
        out.append(ReplyQuestion(f"point-{i}", wordings[0], wordings[1:], answer, [(start, end)]))
    return out


def _who_when(doc: Document) -> str:
    return f"{doc.meta.issuer}于{cn_date(doc.meta.date)}" if doc.meta.date else doc.meta.issuer


def cn_date(date: str) -> str:
    """2022-06-22 → 2022年6月22日 (a bare year → 2021年)."""
    parts = date.split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{int(parts[0])}年{int(parts[1])}月{int(parts[2])}日"
    return f"{date}年" if date.isdigit() else date


def _head(text: str) -> tuple[int, int] | None:
    """From the deputy's name line to 答复如下."""
    follows = _REPLY_FOLLOWS.search(text)
    if not follows:
        return None
    greeting = [m for m in _ADDRESSEE.finditer(text, 0, follows.start())]
    start = greeting[-1].start() if greeting else text.rfind("\n", 0, follows.start()) + 1
    return start, follows.end()


def _points(text: str) -> list[tuple[int, int]]:
    """Spans of the top-level numbered points, each up to the next point or
    the closing words."""
    paras = paragraphs(text)
    levels = [p.level for p in paras if p.level is not None]
    if not levels:
        return []
    top = min(levels)
    spans: list[list[int]] = []
    for para in paras:
        line = text[para.start:para.end]
        if para.level == top:
            spans.append([para.start, para.end])
        elif spans and spans[-1][1] >= 0:
            if para.level is None and (_CLOSING.match(line) or _signature(line)):
                spans[-1][1] = -spans[-1][1]  # closed: nothing more joins it
            else:
                spans[-1][1] = para.end
    return [_trimmed(text, s, abs(e)) for s, e in spans]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without whitespace at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _signature(line: str) -> bool:
    return len(line.strip()) < 30 and not re.search(r"[，。；,;]", line)


def _point_title(text: str, start: int) -> str:
    line = text[start:text.find("\n", start) if "\n" in text[start:] else len(text)]
    title = re.split(r"[。；;：:]", line, maxsplit=1)[0]
    return _POINT_NUMBER.sub("", title).strip()


def _first_sentence(text: str, start: int, end: int) -> int:
    stop = re.search(r"[。；;]|\n", text[start:end])
    return _trimmed(text, start, start + stop.end() if stop else end)[1]


def _excerpt(text: str, start: int, end: int) -> str:
    """The span with its line breaks closed up, cut at a sentence end when long."""
    body = re.sub(r"(?<=[。；：:，,！？])\s*\n\s*", "", text[start:end].strip())
    body = re.sub(r"\s*\n\s*", " ", body)
    limit = min(len(body), _ANSWER_CHARS)
    if limit == len(body) and body.endswith(_ENDS):
        return body
    cut = max(body.rfind(mark, 0, limit + 1) for mark in _ENDS)
    return (body[: cut + 1] if cut > limit // 3 else body[:limit]) + "……（全文见来源）"
