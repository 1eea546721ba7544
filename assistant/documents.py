"""The plain data that flows between loaders, chunking, the store and answers."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LoadedText:
    """What a loader extracts from one file, before metadata is worked out.

    ``pages`` lists ``(start_offset, page_number)`` pairs into ``text`` for
    paginated formats (PDF); it is empty where pages do not exist.
    """

    text: str
    pages: list[tuple[int, int]] = field(default_factory=list)
    # (start_offset, level) of lines the file itself marks as headings (Word
    # heading styles); chunking reads every other line's level from its text.
    headings: list[tuple[int, int]] = field(default_factory=list)


VALIDITY = ("有效", "已废止", "已被替代")  # "" = not stated


@dataclass
class DocMeta:
    title: str = ""
    issuer: str = ""
    date: str = ""  # ISO date, or a bare year where the source gives no day
    published: str = ""  # ISO 发布日期 where the page's information block states it
    doc_number: str = ""  # e.g. 慈政办发〔2025〕20号
    code: str = ""  # 规范性文件编号 as the text prints it, e.g. BCXD01-2025-0003
    doc_type: str = ""  # 建议答复, 政策文件, 通知公告, 工作报告, 工作计划, 其他
    source_url: str = ""
    completeness: str = ""  # 节选 marks an excerpt; empty when unknown/complete
    completeness_note: str = ""
    validity: str = ""  # one of VALIDITY, or "" when not stated
    inferred: bool = False  # True when worked out from the text, not front matter
    # JSON object of the file's own values of fields that agents' edits or
    # issuer names normalisation replaced ("" when none); see meta_edits.py.
    original: str = ""

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date[:4].isdigit() else None

    @property
    def is_excerpt(self) -> bool:
        return "节选" in self.completeness


@dataclass
class Document:
    """One source file. ``text`` is the body (front matter removed); chunk
    offsets refer to it."""

    source: str  # file name relative to the corpus folder
    sha256: str  # of the file's bytes
    text: str
    meta: DocMeta
    pages: list[tuple[int, int]] = field(default_factory=list)
    headings: list[tuple[int, int]] = field(default_factory=list)  # as in LoadedText

    def page_at(self, offset: int) -> int | None:
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


@dataclass
class Chunk:
    """A passage of a document. ``text`` is ``document.text[start:end]``
    verbatim; ``embed_text`` adds title, issuer, date and heading path so
    that both dense and keyword search see the context."""

    id: str
    source: str
    index: int
    text: str
    start: int
    end: int
    section: str  # heading path, e.g. "2、 引才用才政策 > 二是明确项目资助经费申请要求"
    meta: DocMeta
    page: int | None = None
    last: bool = False  # the document's final chunk (an excerpt is cut off here)

    @property
    def embed_text(self) -> str:
        head = " ".join(x for x in (self.meta.issuer, self.meta.date, self.meta.doc_number) if x)
        parts = [self.meta.title, head, self.section, self.text]
        return "\n".join(p for p in parts if p)

    def to_metadata(self) -> dict:
        """Flat metadata for the vector store (scalars only, no None)."""
        meta = asdict(self.meta)
        meta.update(
            source=self.source,
            index=self.index,
            start=self.start,
            end=self.end,
            section=self.section,
            page=self.page if self.page is not None else -1,
            last=self.last,
            year=self.meta.year or 0,
        )
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict) -> Chunk:
        doc_meta = DocMeta(**{k: meta[k] for k in DocMeta.__dataclass_fields__ if k in meta})
        page = meta.get("page", -1)
        return cls(
            id=chunk_id,
            source=meta["source"],
            index=int(meta["index"]),
            text=text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            section=meta.get("section", ""),
            meta=doc_meta,
            page=None if page is None or int(page) < 0 else int(page),
            last=bool(meta.get("last", False)),
        )


@dataclass(frozen=True)
class SourcePassage:
    """A passage as an LLM sees it: its number for [n] citations, a header
    (title · issuer · date · section) and the verbatim text."""

    n: int
    header: str
    text: str


@dataclass
class Citation:
    """One numbered source of an answer. ``quote`` is a verbatim substring
    of the cited chunk's text."""

    n: int
    chunk_id: str
    source: str
    title: str
    issuer: str
    date: str
    section: str
    quote: str
    score: float
    page: int | None = None
    is_excerpt: bool = False
    chunk_start: int = 0  # offset of the chunk in the document text
    quote_start: int = 0  # offset of the quote in the document text

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    mode: str = "extractive"  # extractive | llm
    notice: str = ""  # e.g. why an LLM answer was replaced by the extractive one
    latency_ms: float = 0.0
    # Served from a verified answer: {"id", "by", "at", "origin", "no_basis", "contact"} (served.py).
    verified: dict | None = None
    # Under a verified answer, the passages retrieval found, offered collapsed.
    related: list[Citation] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "notice": self.notice,
            "citations": [c.to_json() for c in self.citations],
            "verified": self.verified,
        }
