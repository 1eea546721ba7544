"""A Word document's text as its reader sees it, with its outline.

python-docx gives a paragraph's typed text only. Two things a reader sees
in Word are not in it, and both carry the document's structure:

* **Numbering.** A list numbered by Word (一、 二、, （一）, 1.) keeps its
  labels in numbering.xml, not in the text. Each numbered paragraph gets its
  label rendered in front of it here (counters per list and level, lower
  levels restarting under a higher one), so the text reads as it does in
  Word and the Chinese numbering patterns of ``chunking`` find the headings.
* **Heading styles.** A paragraph styled 标题 1 / Heading 2 (or with an
  outline level) is a heading of that level, whatever its words. The first
  paragraph is the document's title, not a section, and is never one.

``blocks(document)`` yields ``(text, heading level or None)`` for every
paragraph and table cell in document order (table cells are never headings).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_CN_DIGITS = "零一二三四五六七八九"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
          (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def blocks(document) -> Iterator[tuple[str, int | None]]:
    numbering = Numbering(document)
    first = True
    for paragraph, in_table in _paragraphs(document):
        text = paragraph.text
        label = numbering.label(paragraph._p, paragraph.style)
        level = None if in_table else heading_level(paragraph._p, paragraph.style)
        if first and text.strip():
            level, first = None, False  # the title
        yield label + text, level


def _paragraphs(container, in_table: bool = False):
    """Paragraphs of the body and of every table cell (nested too), in order;
    a merged cell once, however many grid columns it spans."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if not isinstance(block, Table):
            yield block, in_table
            continue
        for row in block.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    yield from _paragraphs(cell, True)


def _styles(style) -> Iterator:
    """The paragraph's style and the styles it is based on."""
    seen = 0
    while style is not None and seen < 10:
        yield style
        style, seen = style.base_style, seen + 1


def _ppr_value(element, *path: str) -> str | None:
    """``w:val`` of ``pPr/<path>`` under a paragraph or style element."""
    node = element.find(f"{_W}pPr")
    for tag in path:
        if node is None:
            return None
        node = node.find(f"{_W}{tag}")
    return None if node is None else node.get(f"{_W}val")


def heading_level(p, style) -> int | None:
    """1–9 for a heading paragraph (outline level or heading style), else None."""
    outline = _ppr_value(p, "outlineLvl")
    for s in _styles(style):
        if outline is None:
            outline = _ppr_value(s.element, "outlineLvl")
        match = _HEADING_NAME.match((s.name or "").strip())
        if match:
            return int(match.group(1))
    if outline is not None and outline.isdigit() and int(outline) < 9:
        return int(outline) + 1
    return None


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    legal: bool = False  # isLgl: show every level's number in decimal


class Numbering:
    """Word's list numbering: each numbered paragraph's label, in order."""

    def __init__(self, document):
        self._levels: dict[str, dict[int, _Level]] = {}  # numId -> ilvl -> level
        self._counters: dict[str, list[int | None]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {a.get(f"{_W}abstractNumId"): _levels(a) for a in root.findall(f"{_W}abstractNum")}
        for num in root.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = dict(abstract.get(ref.get(f"{_W}val") if ref is not None else None, {}))
            for override in num.findall(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                start = override.find(f"{_W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = _Level(int(start.get(f"{_W}val", "1")), levels[ilvl].fmt,
                                          levels[ilvl].text, levels[ilvl].legal)
            self._levels[num.get(f"{_W}numId")] = levels

    def label(self, p, style) -> str:
        num_id, ilvl = _ppr_value(p, "numPr", "numId"), _ppr_value(p, "numPr", "ilvl")
        for s in _styles(style):
            num_id = num_id or _ppr_value(s.element, "numPr", "numId")
            ilvl = ilvl or _ppr_value(s.element, "numPr", "ilvl")
        levels = self._levels.get(num_id or "")  # numId 0 switches a style's numbering off
        level = int(ilvl) if ilvl and ilvl.isdigit() else 0
        if not levels or level not in levels:
            return ""
        counters = self._counters.setdefault(num_id or "", [None] * 9)
        current = counters[level]
        counters[level] = levels[level].start if current is None else current + 1
        for lower in range(level + 1, 9):
            counters[lower] = None
        return self._render(levels, counters, level)

    @staticmethod
    def _render(levels: dict[int, _Level], counters: list[int | None], level: int) -> str:
        def number(match: re.Match) -> str:
            i = int(match.group(1)) - 1
            spec = levels.get(i, _Level())
            counted = counters[i] if i < len(counters) else None
            value = spec.start if counted is None else counted
            return format_number(value, "decimal" if levels[level].legal and i != level else spec.fmt)

        label = re.sub(r"%([1-9])", number, levels[level].text)
        return label + " " if label[-1:].isascii() and label[-1:].isalnum() else label


def _levels(abstract) -> dict[int, _Level]:
    out = {}
    for lvl in abstract.findall(f"{_W}lvl"):
        start = _val(lvl, "start", "1")
        out[int(lvl.get(f"{_W}ilvl", "0"))] = _Level(
            int(start) if start.isdigit() else 1, _val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText", ""),
            lvl.find(f"{_W}isLgl") is not None,
        )
    return out


def _val(element, tag: str, default: str) -> str:
    node = element.find(f"{_W}{tag}")
    return default if node is None else node.get(f"{_W}val", default)


def format_number(n: int, fmt: str) -> str:
    """``n`` in one of Word's number formats (unknown formats: decimal)."""
    if fmt in ("bullet", "none"):
        return ""
    if fmt.startswith("chineseCounting") or fmt in ("ideographLegalTraditional", "taiwaneseCounting",
                                                   "japaneseCounting"):
        return chinese_number(n)
    if fmt == "ideographTraditional":
        return _HEAVENLY_STEMS[(n - 1) % 10]
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter") and n > 0:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman") and n > 0:
        roman, rest = "", n
        for value, letters in _ROMAN:
            while rest >= value:
                roman, rest = roman + letters, rest - value
        return roman if fmt == "lowerRoman" else roman.upper()
    return str(n)


def chinese_number(n: int) -> str:
    """一 … 十, 十一, 二十一, 一百零五 (numbers 1–9999; others in digits)."""
    if not 0 < n < 10000:
        return str(n)
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero and out:
                out += "零"
            out += ("" if (unit == "十" and digit == 1 and not out) else _CN_DIGITS[digit]) + unit
            zero = False
        elif out:
            zero = True
    return out
