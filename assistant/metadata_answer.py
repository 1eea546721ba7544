"""Questions about a document itself (its 文号, issuing body, date, title,
validity, or whether the text is complete), answered from its metadata and
citing the document's head.

A field the document does not state (a 2023 policy whose 文号 the copy does
not give) is not guessed: the answer says so, with the document cited,
beside the fields asked that it does state; it is a refusal when it states
none of them.
"""
from __future__ import annotations

from .answer import cn_date
from .documents import Answer, Chunk, Citation
from .reading import Reading
from .sentences import split_sentences

_FIELD_NAMES = {
    "doc_number": "文号",
    "issuer": "发文机关",
    "date": "成文日期",
    "published": "发布日期",
    "title": "标题",
    "validity": "有效性",
    "completeness": "完整性",
    "code": "规范性文件编号",
}


def metadata_answer(reading: Reading, documents: list[list[Chunk]], scores: list[float]) -> Answer:
    """The answer for ``reading`` from the metadata of the given documents
    (each as its chunks, in order; two for a comparison); each is cited by
    its first sentence."""
    parts, citations, missing = [], [], []
    for n, (chunks, score) in enumerate(zip(documents, scores), start=1):
        head, last = chunks[0], chunks[-1]
        citations.append(_head_citation(n, head, score))
        values = {field: _value(field, head, last, reading.meta_fields) for field in reading.meta_fields}
        title = f"《{head.meta.title}》" if head.meta.title else head.source
        gaps = [_FIELD_NAMES[f] for f, v in values.items() if not v]
        said = [values[f] for f in reading.meta_fields if f != "title" and values[f]]
        if gaps and not said:
            missing.append(f"{title}没有标注{'、'.join(gaps)}[{n}]")
            continue
        # Some fields asked are stated, some not: the stated ones, and the gap named (有文号吗 → 未标注文号).
        gap = f"，未标注{'、'.join(gaps)}" if gaps else ""
        parts.append(f"{title}{'，' if said else ''}{'，'.join(said)}{gap}。[{n}]")
    if missing and not parts:
        text = f"现有文件中，{'；'.join(missing)}，无法回答，为避免误导不作推测。"
        return Answer(question=reading.question, text=text, citations=citations, refused=True)
    return Answer(question=reading.question, text="".join(parts) + "".join(f"{m}。" for m in missing),
                  citations=citations)


def states(chunk: Chunk, fields: list[str]) -> bool:
    """Does the chunk's document state each of these metadata fields?"""
    return all(_value(f, chunk, chunk, fields) for f in fields)


def named_sources(reading: Reading, cited: list[tuple[int, Chunk]]) -> str:
    """For a question asking which document says what is quoted: each
    quoted document ([n], one of its chunks) by its title, with the
    metadata fields asked (its 文号…), or that it does not state one."""
    named = []
    for n, chunk in cited:
        fields = [f for f in reading.meta_fields if f not in ("title", "completeness")]
        if chunk.meta.doc_number and "doc_number" not in fields:
            fields.insert(0, "doc_number")  # which document: its 文号 names it best
        said = [_value(f, chunk, chunk, reading.meta_fields) or f"未标注{_FIELD_NAMES[f]}" for f in fields]
        title = f"《{chunk.meta.title}》" if chunk.meta.title else chunk.source
        named.append(f"[{n}]{title}{'，' if said else ''}{'，'.join(said)}")
    return f"\n以上原文出自{'；'.join(named)}。"


def _value(field: str, head: Chunk, last: Chunk, asked: list[str]) -> str:
    meta = head.meta
    if field == "doc_number":
        return f"文号为{meta.doc_number}" if meta.doc_number else ""
    if field == "issuer":
        verb = "答复单位" if meta.doc_type == "建议答复" else "发文机关"
        return f"{verb}为{meta.issuer}" if meta.issuer else ""
    if field == "date":
        return f"成文日期为{cn_date(meta.date)}" if meta.date else ""
    if field == "published":
        if meta.published:
            return f"发布日期为{cn_date(meta.published)}"
        written = "" if "date" in asked or not meta.date else f"，成文日期为{cn_date(meta.date)}"
        return f"页面未标注发布日期{written}" if meta.date else ""
    if field == "title":
        return meta.title
    if field == "code":
        return f"规范性文件编号为{meta.code}" if meta.code else ""
    if field == "validity":
        validity = str(getattr(meta, "validity", ""))  # DocMeta.validity comes with agents' metadata edits
        return f"有效性为“{validity}”" if validity else ""
    if field == "completeness":
        if not meta.is_excerpt:
            return "资料库中的文本为全文" if meta.completeness else ""
        spans = split_sentences(last.text)
        tail = last.text[spans[-1][0]:spans[-1][1]] if spans else ""
        return f"资料库中的文本为节选，正文在“{tail}”处截断" if tail else "资料库中的文本为节选"
    return ""


def _head_citation(n: int, head: Chunk, score: float) -> Citation:
    spans = split_sentences(head.text)
    start, end = spans[0] if spans else (0, min(len(head.text), 60))
    return Citation(
        n=n, chunk_id=head.id, source=head.source, title=head.meta.title, issuer=head.meta.issuer,
        date=head.meta.date, section=head.section, quote=head.text[start:end], score=round(score, 4),
        page=head.page, is_excerpt=head.meta.is_excerpt, chunk_start=head.start, quote_start=head.start + start,
    )
