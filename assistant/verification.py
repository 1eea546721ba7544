"""Checking verified answers against the documents, and keeping them true.

- A citation is a file the index holds and a quote found verbatim in that
  file's text (or equal to a span of it once whitespace is ignored; the
  exact span is stored). Anything else is refused with a Chinese reason.
- ``keep_in_step`` compares every answered item's cited document hashes
  with the manifest: a document that changed or went sends the item back
  to the worklist as 待复核; items generated from official replies
  (replies.py) are rebuilt from the new version, or dropped with it. The
  chat runs it whenever the manifest changes, before serving anything, and
  the agents' page and the command line before they show anything.
- ``sync_chat`` brings refused questions and 踩 ratings from the feedback
  log onto the worklist; a 踩 on a served verified answer withdraws it.
- Verified answers travel between offices as JSONL (``export_jsonl``,
  ``import_jsonl``); an import checks each citation against the local
  corpus and reports each one that fails.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .corpus import read_document
from .documents import Document
from .errors import ReasonError
from .feedback import FeedbackLog
from .loaders import LoadError
from .manifest import Manifest
from .replies import is_reply, reply_questions
from .verified import (
    AGENT,
    DOCUMENT,
    MIN_QUOTE_CHARS,
    Edit,
    Generated,
    Imported,
    Item,
    Quote,
    VerifiedBook,
    VerifiedError,
    check_answer,
    check_question,
)
from .worklist import ANSWERED

RECENT_COMMENTS = 200  # 踩 ratings whose later comments are still picked up


def open_book(settings: Settings) -> VerifiedBook:
    return VerifiedBook(settings.verified_db, settings.worklist_due_days)


# --- citations ----------------------------------------------------------------------


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where ``quote`` is in ``text``: verbatim, or else ignoring whitespace
    (the span then runs from the quote's first to its last character)."""
    at = text.find(quote)
    if at >= 0:
        return at, at + len(quote)
    wanted = "".join(quote.split())
    if not wanted:
        return None
    kept = [(i, ch) for i, ch in enumerate(text) if not ch.isspace()]
    found = "".join(ch for _, ch in kept).find(wanted)
    if found < 0:
        return None
    return kept[found][0], kept[found + len(wanted) - 1][0] + 1


def library_document(settings: Settings, source: str, manifest: Manifest | None = None) -> Document:
    """The indexed document ``source`` as the index knows it; VerifiedError
    if the library does not hold it, or the file changed since it was indexed."""
    manifest = manifest or Manifest.load(settings.manifest_path)
    entry = manifest.entries.get(source)
    path = Path(settings.corpus_dir) / source
    if entry is None or entry.status != "ok" or not path.is_file():
        raise VerifiedError(f"文件“{source}”不在文档库中（可能已被删除），不能引用。")
    try:
        doc = read_document(path, source)
    except (LoadError, OSError):
        raise VerifiedError(f"文件“{source}”无法读取，不能引用。") from None
    if doc.sha256 != entry.sha256:
        raise VerifiedError(f"文件“{source}”已修改但尚未重新导入，请导入完成后再引用。")
    return doc


def check_quote(settings: Settings, source: str, quote: str, manifest: Manifest | None = None) -> Quote:
    """A citation of ``source`` checked against its text (VerifiedError in Chinese)."""
    source, quote = (source or "").strip(), (quote or "").strip()
    if not source:
        raise VerifiedError("请先选择要引用的文件。")
    if len("".join(quote.split())) < MIN_QUOTE_CHARS:
        raise VerifiedError(f"请粘贴要引用的原文（至少 {MIN_QUOTE_CHARS} 个字）。")
    doc = library_document(settings, source, manifest)
    span = locate(doc.text, quote)
    if span is None:
        title = f"《{doc.meta.title}》" if doc.meta.title else f"“{source}”"
        raise VerifiedError(
            f"引文未在{title}中找到，未保存。请从原文中复制连续的一段文字粘贴（可在问答页点“查看原文”核对）。"
        )
    start, end = span
    return Quote(source, doc.meta.title, doc.text[start:end], start, end, doc.sha256)


def recheck(settings: Settings, quotes: list[Quote]) -> list[Quote]:
    """The citations checked again against the current library (at save time)."""
    manifest = Manifest.load(settings.manifest_path)
    return [check_quote(settings, q.source, q.quote, manifest) for q in quotes]


def add_answer(settings: Settings, book: VerifiedBook, question: str, answer: str, citations: list[tuple[str, str]],
               who: str, paraphrases: tuple[str, ...] = (), no_basis: bool = False, contact: str = "") -> Item:
    """A new verified answer (the command line's ``verified add``), with the
    agents' page's checks and messages: each citation as it is added, then
    the answer as it is saved."""
    question = check_question(question)
    manifest = Manifest.load(settings.manifest_path)
    quotes = [check_quote(settings, source, quote, manifest) for source, quote in citations]
    return book.add(question, AGENT, who, Edit(ANSWERED, who, answer, list(paraphrases), quotes, no_basis, contact))


# --- staying true -------------------------------------------------------------------


def keep_in_step(settings: Settings, book: VerifiedBook) -> list[int]:
    """Withdraw answers whose cited documents changed or went, and rebuild
    the questions of official replies. Returns the withdrawn item ids."""
    manifest = Manifest.load(settings.manifest_path)
    current = {s: e.sha256 for s, e in manifest.entries.items() if e.status == "ok"}
    reasons = {}
    for item in book.servable():
        if item.origin == DOCUMENT:
            continue
        reason = _stale(settings, item, current)
        if reason:
            reasons[item.id] = reason
    withdrawn = book.withdraw(reasons) if reasons else []
    _rebuild_replies(settings, book, manifest)
    return withdrawn


def _stale(settings: Settings, item: Item, current: dict[str, str]) -> str:
    """Why an answer no longer stands ("" if it does)."""
    for quote in item.citations:
        sha = current.get(quote.source)
        if sha is None:
            return f"所引文件“{quote.source}”已从文档库删除"
        if sha != quote.sha256:
            try:
                still = locate(library_document(settings, quote.source).text, quote.quote) is not None
            except VerifiedError:
                still = False
            where = "引文仍在新版本中，请核对后重新确认" if still else "所引原文已不在新版本中"
            return f"所引文件“{quote.source}”已更新：{where}"
    return ""


def _rebuild_replies(settings: Settings, book: VerifiedBook, manifest: Manifest) -> None:
    replies = {s: e for s, e in manifest.entries.items() if e.status == "ok" and not e.same_as and is_reply(e.doc_type)}
    generated = book.document_sources()
    for source in set(generated) - set(replies):
        book.replace_document_entries(source, [])
    for source, entry in replies.items():
        if generated.get(source) == {entry.sha256}:
            continue
        try:
            doc = library_document(settings, source, manifest)
        except VerifiedError:  # changed on disk since indexed: rebuilt after the next ingestion
            book.replace_document_entries(source, [])
            continue
        book.replace_document_entries(source, generated_entries(doc))


def generated_entries(doc: Document) -> list[Generated]:
    by, at = doc.meta.issuer or doc.meta.title, doc.meta.date
    entries = []
    for q in reply_questions(doc):
        quotes = [Quote(doc.source, doc.meta.title, doc.text[s:e], s, e, doc.sha256) for s, e in q.spans]
        entries.append(Generated(q.key, q.question, q.paraphrases, q.answer, quotes, by, at))
    return entries


# --- the chat's refusals and ratings --------------------------------------------------


def sync_chat(book: VerifiedBook, log: FeedbackLog) -> None:
    """Refused questions and 踩 ratings not yet on the worklist go onto it;
    comments users added after rating are carried over."""
    for record in log.refused_since(book.reported("ask")):
        book.report("ask", record.ref, record.ts, record.question, "未找到答案")
    for record in log.dislikes_since(book.reported("feedback")):
        reason = "核实答复被点踩" if record.verified_id else "用户标记没用"
        book.report("feedback", record.ref, record.ts, record.question, reason, record.comment, record.verified_id)
    stored = book.recent_reports("feedback", RECENT_COMMENTS)
    for ref, comment in log.comments(list(stored)).items():
        if comment and comment != stored[ref]:
            book.update_comment("feedback", ref, comment)


# --- sharing ------------------------------------------------------------------------


EXPORT_FIELDS = ("question", "paraphrases", "answer", "citations", "no_basis", "contact", "verified_by", "verified_at")


def export_jsonl(book: VerifiedBook) -> str:
    """Every verified answer agents wrote (not those generated from official
    replies, which each office rebuilds from its own documents), one JSON
    object a line."""
    lines = []
    for item in book.servable():
        if item.origin == DOCUMENT:
            continue
        data = {
            "question": item.question, "paraphrases": item.paraphrases, "answer": item.answer,
            "citations": [q.__dict__ for q in item.citations], "no_basis": item.no_basis, "contact": item.contact,
            "verified_by": item.verified_by, "verified_at": item.verified_at,
        }
        lines.append(json.dumps(data, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass
class ImportReport:
    added: int = 0
    review: int = 0  # imported as 待复核: a citation failed here
    skipped: int = 0  # already held
    failures: list[str] = field(default_factory=list)  # one line per failed citation

    def summary(self) -> str:
        lines = [f"导入 {self.added + self.review} 条：{self.added} 条已核实可直接答复，"
                 f"{self.review} 条因引文未通过核对转为待复核；{self.skipped} 条已存在，跳过。"]
        lines += [f"  {line}" for line in self.failures]
        return "\n".join(lines)


class ImportFileError(ReasonError):
    """An import file that cannot be read as a whole; nothing was imported."""


def import_jsonl(settings: Settings, book: VerifiedBook, path: Path, who: str) -> ImportReport:
    """Load verified answers exported by another office. Every line is read
    and checked before anything is saved: a malformed line or an oversized
    file refuses the whole import. Each citation is checked against this
    office's corpus; an answer with a failing citation is imported as
    待复核, and each failure is reported."""
    entries = _read_import(Path(path), settings.max_file_bytes)
    manifest = Manifest.load(settings.manifest_path)
    held = {(i.question, i.answer) for i in book.items() if i.status == ANSWERED}
    report, plans = ImportReport(), []
    for number, data in entries:
        if (data["question"], data["answer"]) in held:
            report.skipped += 1
            continue
        quotes, failed = [], False
        for k, cite in enumerate(data["citations"], start=1):
            try:
                quotes.append(check_quote(settings, cite["source"], cite["quote"], manifest))
            except VerifiedError as exc:
                failed = True
                report.failures.append(f"第 {number} 行 引文 {k}（{cite['source']}）：{exc.reason}")
        plans.append((data, quotes, failed))
        held.add((data["question"], data["answer"]))
    book.import_items([_imported(data, quotes, failed) for data, quotes, failed in plans], who)
    report.added = sum(not failed for _, _, failed in plans)
    report.review = sum(failed for _, _, failed in plans)
    return report


def _imported(data: dict, quotes: list[Quote], failed: bool) -> Imported:
    return Imported(
        data["question"], data["answer"], data["paraphrases"], quotes, data["no_basis"], data["contact"],
        data["verified_by"], data["verified_at"], "导入时引文未通过本地文件核对" if failed else "",
    )


def _read_import(path: Path, max_bytes: int) -> list[tuple[int, dict]]:
    try:
        size = path.stat().st_size
    except OSError:
        raise ImportFileError(f"找不到导入文件：{path.name}") from None
    if size > max_bytes:
        raise ImportFileError(f"导入文件过大（{size / 1e6:.1f} MB），上限为 {max_bytes / 1e6:g} MB，未导入任何内容。")
    try:
        text = path.read_text("utf-8-sig")
    except (UnicodeDecodeError, OSError):
        raise ImportFileError("导入文件不是 UTF-8 编码的 JSONL 文本，未导入任何内容。") from None
    entries, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append((number, _entry(json.loads(line))))
        except (ValueError, TypeError, KeyError, VerifiedError) as exc:
            problems.append(f"第 {number} 行：{exc.reason if isinstance(exc, VerifiedError) else '不是有效的核实答复记录'}")
    if problems:
        raise ImportFileError("导入文件有误，未导入任何内容：\n" + "\n".join(problems[:20]))
    if not entries:
        raise ImportFileError("导入文件中没有核实答复。")
    return entries


def _entry(data: dict) -> dict:
    """One import line, with the shape and the checks an agent's answer gets."""
    if not isinstance(data, dict):
        raise TypeError
    cites = data.get("citations") or []
    if not isinstance(cites, list) or not all(isinstance(c, dict) and c.get("source") and c.get("quote") for c in cites):
        raise TypeError
    out: dict[str, Any] = {
        "question": check_question(str(data["question"])),
        "answer": str(data["answer"]).strip(),
        "paraphrases": [str(p) for p in data.get("paraphrases") or []],
        "citations": [{"source": str(c["source"]), "quote": str(c["quote"])} for c in cites],
        "no_basis": bool(data.get("no_basis", False)),
        "contact": str(data.get("contact") or ""),
        "verified_by": str(data.get("verified_by") or ""),
        "verified_at": str(data.get("verified_at") or ""),
    }
    if out["verified_at"] and not _is_date(out["verified_at"]):
        raise TypeError
    # What an agent's answer needs; the citations are checked against the corpus later.
    check_answer(out["answer"], bool(cites), out["no_basis"], out["contact"])
    return out


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True

