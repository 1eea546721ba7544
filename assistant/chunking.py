"""Structure-aware chunking for Chinese official documents.

The text is read as logical paragraphs (hard-wrapped PDF lines are joined),
page furniture (索引号, 发布机构 … blocks of government web pages) is left
out, and headings (第X章, 一、, （一）, 第X条, 1、, 1., 一是…) build a heading
path. Paragraphs are packed into chunks that start at a heading whenever the
chunk so far is big enough, so a heading always travels with its content
and a short signature block joins the passage before it. A paragraph longer
than the size bound is split at sentence ends by langchain's splitter.
Every chunk is a verbatim span ``document.text[start:end]``.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .documents import Chunk, Document

_CN_NUM = "一二三四五六七八九十百零〇"
# (level, pattern) — lower level = higher in the hierarchy.
_HEADINGS: list[tuple[int, re.Pattern]] = [
    (1, re.compile(rf"^第[{_CN_NUM}\d]+[章编]")),
    (2, re.compile(rf"^[{_CN_NUM}—]+、")),
    (3, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (3, re.compile(rf"^第[{_CN_NUM}\d]+条")),
    (4, re.compile(r"^\d{1,2}[、.．](?!\d)")),
    (6, re.compile(r"^[（(]\d{1,2}[）)]")),
]
_INLINE_POINT = re.compile(rf"(?<=[。；;：:])\s*(?=[{_CN_NUM}]是)")  # 一是… 二是…
_INLINE_LEVEL = 5
_SENTENCE_END = "。！？；!?;：:"
_INDEX_NO = re.compile(r"^[0-9A-Z]{10,}/\d{4}-\d+$")
_FURNITURE = re.compile(
    r"^(索引号|发布机构|公开方式|组配分类|主题分类|发布日期|成文日期|公开范围|政策层级|"
    r"规范性文件编号|文件编号|有效性|信息来源|阅读量|时间|本文来源|会员登录|您当前所在位置|政策库|"
    r"-\s*信息来源|—\s*\d+\s*—$|\d{2}\.\d{2}\.\d{4}\s+\d{2}:\d{2}$)"
)
# Headings at this level or above (第X章, 一、) start a chunk of their own
# unless they sit under the chunk's current heading: a chunk never runs from
# one such section into the next, so its heading path names every sentence.
_SECTION_LEVEL = 2
_LABEL_ONLY = re.compile(r"^[\u4e00-\u9fa5]{2,8}[:：]$")
_TITLE_MAX = 30
_WRAP_MIN = 20  # hard-wrapped (PDF) lines are long; short lines are titles or labels


@dataclass
class Paragraph:
    start: int
    end: int
    level: int | None = None  # heading level, None for body text
    title: str = ""


def chunk_document(doc: Document, max_chars: int = 480, min_chars: int = 120) -> list[Chunk]:
    paras = _split_long(doc.text, paragraphs(doc.text, dict(doc.headings)), max_chars)
    spans = _pack(doc.text, paras, max_chars, min_chars)
    chunks = [_make_chunk(doc, i, start, end, section) for i, (start, end, section) in enumerate(spans)]
    if chunks:
        chunks[-1].last = True
    return chunks


def chunk_id(source: str, index: int) -> str:
    return f"{hashlib.sha256(source.encode()).hexdigest()[:16]}-{index:04d}"


def _make_chunk(doc: Document, index: int, start: int, end: int, section: str) -> Chunk:
    return Chunk(
        id=chunk_id(doc.source, index),
        source=doc.source,
        index=index,
        text=doc.text[start:end],
        start=start,
        end=end,
        section=section,
        meta=doc.meta,
        page=doc.page_at(start),
    )


# --- paragraphs -------------------------------------------------------------


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank line, whitespace trimmed."""
    spans, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        pos += len(raw) + 1
    return spans


def _furniture(text: str, lines: list[tuple[int, int]]) -> set[int]:
    """Indices of lines that are web-page furniture rather than content."""
    skip: set[int] = set()
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if _FURNITURE.match(line):
            skip.add(i)
            if _LABEL_ONLY.match(line) and i + 1 < len(lines):
                skip.add(i + 1)  # the value under a bare "索引号:" label
        elif _INDEX_NO.match(line):
            # Unlabelled metadata block: the index number and the short
            # value lines after it (发布机构, 主动公开, dates …).
            skip.add(i)
            for j in range(i + 1, len(lines)):
                value = text[lines[j][0]:lines[j][1]]
                if len(value) > 20 or re.search(r"[，,。：:；]", value) or _heading_level(value):
                    break
                skip.add(j)
    return skip


def _heading_level(line: str) -> int | None:
    for level, pattern in _HEADINGS:
        if pattern.match(line):
            return level
    return None


def _heading_title(text: str) -> str:
    """The heading's own words: up to the first sentence end, capped; an
    article (第X条) is named by its number alone."""
    article = re.match(rf"第[{_CN_NUM}\d]+条", text)
    if article:
        return article.group(0)
    title = re.split(r"[。；;：:]", text, maxsplit=1)[0].strip()
    return title if len(title) <= _TITLE_MAX else title[:_TITLE_MAX] + "…"


def paragraphs(text: str, marked: dict[int, int] | None = None) -> list[Paragraph]:
    """Logical paragraphs of ``text``: furniture left out, hard-wrapped lines
    joined, inline points (一是…) split off, headings marked. ``marked``: the
    level of lines the file itself marks as headings, by start offset (Word
    heading styles); other lines' levels come from their numbering."""
    marked = marked or {}
    lines = _lines(text)
    skip = _furniture(text, lines)
    out: list[Paragraph] = []
    joinable = False  # previous line did not end a sentence (hard wrap)
    for i, (s, e) in enumerate(lines):
        if i in skip:
            joinable = False
            continue
        line = text[s:e]
        level = marked.get(s) or _heading_level(line)
        if joinable and level is None and out and len(line) >= _WRAP_MIN:
            out[-1].end = e
        else:
            out.append(Paragraph(s, e, level, _heading_title(line) if level else ""))
        joinable = not line.endswith(tuple(_SENTENCE_END)) and len(line) >= _WRAP_MIN
    return [p for para in out for p in _inline_points(text, para)]


def _inline_points(text: str, para: Paragraph) -> list[Paragraph]:
    """Split a paragraph at inline points 一是…二是… into sub-headings."""
    body = text[para.start:para.end]
    cuts = [m.end() for m in _INLINE_POINT.finditer(body)]
    if not cuts:
        return [para]
    bounds = [0, *cuts, len(body)]
    parts = [Paragraph(para.start, para.start + bounds[1], para.level, para.title)]
    for a, b in zip(bounds[1:], bounds[2:]):
        parts.append(Paragraph(para.start + a, para.start + b, _INLINE_LEVEL, _heading_title(body[a:b])))
    return parts


def _split_long(text: str, paragraphs: list[Paragraph], max_chars: int) -> list[Paragraph]:
    """Cut paragraphs above the size bound at sentence ends."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=["\n", "。", "！", "？", "；", "，", ""],
        keep_separator="end",
        strip_whitespace=False,
    )
    out: list[Paragraph] = []
    for para in paragraphs:
        if para.end - para.start <= max_chars:
            out.append(para)
            continue
        pos = para.start
        for piece in splitter.split_text(text[para.start:para.end]):
            pos = text.index(piece, pos)
            first = pos == para.start
            # A cut after a hard-wrapped line keeps its newline: trim it, so
            # that no chunk starts or ends with whitespace.
            start, end = pos + len(piece) - len(piece.lstrip()), pos + len(piece.rstrip())
            if start < end:
                out.append(Paragraph(start, end, para.level if first else None, para.title if first else ""))
            pos += len(piece)
    return out


# --- packing ----------------------------------------------------------------


def _pack(text: str, paragraphs: list[Paragraph], max_chars: int, min_chars: int) -> list[tuple[int, int, str]]:
    groups: list[list[tuple[Paragraph, tuple[str, ...]]]] = []
    path: list[tuple[int, str]] = []
    for para in paragraphs:
        if para.level is not None:
            path = [(lvl, t) for lvl, t in path if lvl < para.level] + [(para.level, para.title)]
        titles = tuple(t for _, t in path)
        small = bool(groups) and _size(groups[-1]) < min_chars
        # A group still below min_chars may run over the bound a little so
        # that a heading is never left alone.
        limit = max_chars + (min_chars if small else 0)
        joins = para.level is None or (small and not _new_section(groups[-1], para, titles))
        if groups and _fits(groups[-1], para, limit) and joins:
            groups[-1].append((para, titles))
        else:
            groups.append([(para, titles)])
    groups = _merge_small_tail(groups, max_chars, min_chars)
    return [(g[0][0].start, g[-1][0].end, _section(g)) for g in groups]


def _size(group) -> int:
    return group[-1][0].end - group[0][0].start


def _fits(group, para: Paragraph, max_chars: int) -> bool:
    return para.end - group[0][0].start <= max_chars


def _new_section(group, para: Paragraph, titles: tuple[str, ...]) -> bool:
    """A 第X章/一、 heading that is not under the group's current heading."""
    current = group[-1][1]
    return para.level is not None and para.level <= _SECTION_LEVEL and titles[: len(current)] != current


def _merge_small_tail(groups, max_chars: int, min_chars: int):
    """Small trailing groups (a signature block, a closing line) join the
    group before them instead of standing alone; a section (see
    _new_section) does only when it is a bare heading."""
    out: list = []
    for i, group in enumerate(groups):
        last = i == len(groups) - 1  # a heading at the very end has no body
        head = group[0][0]
        own_section = len(group) > 1 and bool(out) and _new_section(out[-1], head, group[0][1])
        if out and _size(group) < min_chars and (head.level is None or last) and not own_section and (
            group[-1][0].end - out[-1][0][0].start <= max_chars * 1.25
        ):
            out[-1].extend(group)
        else:
            out.append(group)
    return out


def _section(group) -> str:
    """Heading path of the group: the deepest path while members descend
    (一、 > （一） > 1.), the common prefix once siblings diverge."""
    paths = [titles for _, titles in group]
    path, diverged = paths[0], False
    for other in paths[1:]:
        if not diverged and other[: len(path)] == path:
            path = other
            continue
        diverged = True
        common = 0
        while common < min(len(path), len(other)) and path[common] == other[common]:
            common += 1
        path = path[:common]
    return " > ".join(path or paths[0])
