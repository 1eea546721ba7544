"""Document metadata: YAML front matter where present, otherwise inferred from
the layout of Chinese official documents (title on top, issuer and date in
the signature block at the end, 文号 such as 慈政办发〔2025〕20号)."""
from __future__ import annotations

import re
from typing import Any

import yaml

from .documents import DocMeta

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_ISO_DATE = re.compile(r"((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})(?!\d)")
_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]{1,10}[〔\[【(（]\d{4}[〕\]】)）]\s*\d+\s*号")
_SENTENCE_PUNCT = re.compile(r"[。，,；;！？!?]")
# A title may hold a comma inside brackets: …的通知（试行，2024年修订）.
_BRACKETED = re.compile(r"（[^（）]*）|\([^()]*\)")
# A numbered heading (一、 （一） 第X章 1、) starts the body, never the title.
_SECTION_START = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[章节条编]|[一二三四五六七八九十百零〇]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[、.．](?!\d))")
_NOT_FRONT = ("inferred", "original")  # worked out here, never read from front matter
_ISSUER_SUFFIX = re.compile(r"(局|厅|委|办|办公室|办公厅|政府|委员会|中心|院|部|会|管委会|公司)$")

# Title keywords → document type. Order matters: a 通知 that 印发 a policy is a policy.
_DOC_TYPES = [
    (re.compile(r"答复"), "建议答复"),
    (re.compile(r"印发.*(意见|办法|方案|细则|规定|政策)"), "政策文件"),
    (re.compile(r"工作报告"), "工作报告"),
    (re.compile(r"要点|计划"), "工作计划"),
    (re.compile(r"通知|公告|公示|通告"), "通知公告"),
    (re.compile(r"意见|办法|方案|细则|规定|政策"), "政策文件"),
]


def split_front_matter(raw: str) -> tuple[dict, str]:
    """Return (front matter dict, body). Unparseable front matter is kept
    as body text rather than lost."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw.lstrip("\ufeff")
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, raw
    if not isinstance(data, dict):
        return {}, raw
    return data, raw[match.end():]


def build_meta(front: dict, body: str, title_until: int | None = None) -> DocMeta:
    """``title_until``: where the body's first heading starts, if the file
    marks it (Word heading styles); the title is looked for above it."""
    inferred = infer_meta(body, title_until)
    if not front:
        return inferred
    fields: dict[str, Any] = {k: str(front.get(k, "") or "") for k in DocMeta.__dataclass_fields__ if k not in _NOT_FRONT}
    meta = DocMeta(**fields)
    # Fill gaps from the text; front matter wins where it speaks.
    for name in ("title", "issuer", "date", "published", "doc_number", "doc_type", "code"):
        if not getattr(meta, name):
            setattr(meta, name, getattr(inferred, name))
    if not meta.doc_number:
        meta.doc_number = _number_in(meta.title)
    return meta


def infer_meta(body: str, title_until: int | None = None) -> DocMeta:
    lines = [line.strip() for line in body.splitlines()]
    title = infer_title([line.strip() for line in body[:title_until].splitlines()] if title_until else lines)
    issuer, date = infer_signature(lines)
    return DocMeta(
        title=title,
        issuer=issuer,
        date=date,
        doc_number=_number_in(title) or infer_doc_number(lines),
        doc_type=infer_doc_type(title),
        code=infer_code(lines),
        published=infer_published(lines),
        inferred=True,
    )


def infer_title(lines: list[str]) -> str:
    """Leading short lines without sentence punctuation, joined: official
    titles are often broken over two or three lines."""
    parts: list[str] = []
    for line in lines:
        if not line:
            if parts:
                break
            continue
        if (
            len(line) > 40
            or _SENTENCE_PUNCT.search(_BRACKETED.sub("", line))
            or line.endswith((":", "："))
            or _DOC_NUMBER.fullmatch(line)
            or _SECTION_START.match(line)
        ):
            break
        parts.append(line)
        if len(parts) == 3:
            break
    return "".join(parts)


def infer_signature(lines: list[str]) -> tuple[str, str]:
    """The issuer and date of the signature block in the last lines."""
    tail = [line for line in lines if line][-6:]
    for i in range(len(tail) - 1, -1, -1):
        match = _CN_DATE.match(tail[i])
        if not match:
            continue
        year, month, day = (int(g) for g in match.groups())
        date = f"{year:04d}-{month:02d}-{day:02d}"
        issuer = ""
        if i > 0 and len(tail[i - 1]) <= 30 and not _SENTENCE_PUNCT.search(tail[i - 1]):
            if _ISSUER_SUFFIX.search(tail[i - 1]):
                issuer = tail[i - 1]
        return issuer, date
    return "", ""


# A normative document's registration code, on a line of its own in the
# page's information block: BCXD01-2025-0003 (Zhejiang's 规范性文件统一编号).
_CODE = re.compile(r"[A-Z]{4}\d{2}\s*[-—–]\s*(?:19|20)\d{2}\s*[-—–]\s*\d{4}")


def infer_code(lines: list[str]) -> str:
    return next((line for line in lines if _CODE.fullmatch(line)), "")


# 索引号 of a government information-disclosure page: 113302820029365B/2025-188639.
_INDEX_NUMBER = re.compile(r"[0-9A-Z]{10,}/\d{4}-\d+")
_INFO_BLOCK = 10  # lines of such a page's information block


def infer_published(lines: list[str]) -> str:
    """The 发布日期 of the page's information block (发布日期: then the date,
    on the same line or the next non-empty one), as an ISO date. A block
    copied without its labels (索引号, 发布机构, 公开方式, 组配分类, 主题分类,
    发布日期, 成文日期, …: the government information-disclosure order) has
    the 发布日期 as the first date after its 索引号."""
    for i, line in enumerate(lines):
        label, colon, value = line.partition(":") if ":" in line else line.partition("：")
        if label.strip() != "发布日期" or not colon:
            continue
        value = value.strip() or next((v for v in lines[i + 1:i + 4] if v), "")
        if _ISO_DATE.match(value):
            return _iso(value)
    for i, line in enumerate(lines):
        if _INDEX_NUMBER.fullmatch(line.strip()):
            return next((_iso(v) for v in lines[i + 1:i + _INFO_BLOCK] if _ISO_DATE.fullmatch(v.strip())), "")
    return ""


def _iso(value: str) -> str:
    match = _ISO_DATE.match(value.strip())
    assert match is not None
    return "-".join((match.group(1), match.group(2).zfill(2), match.group(3).zfill(2)))


def infer_doc_number(lines: list[str]) -> str:
    """A 文号 standing on its own line near the top (numbers quoted inside
    sentences belong to other documents)."""
    for line in lines[:30]:
        if _DOC_NUMBER.fullmatch(line):
            return line
    return ""


def infer_doc_type(title: str) -> str:
    for pattern, doc_type in _DOC_TYPES:
        if pattern.search(title):
            return doc_type
    return "其他"


def _number_in(text: str) -> str:
    match = _DOC_NUMBER.search(text or "")
    return match.group(0) if match else ""
