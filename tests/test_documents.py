"""The data that flows between modules."""
from __future__ import annotations

from assistant.documents import Answer, Chunk, Citation, DocMeta, Document


def meta(**changes) -> DocMeta:
    fields = dict(title="关于印发政策意见的通知", issuer="慈溪市人民政府办公室", date="2025-09-16",
                  doc_number="慈政办发〔2025〕20号", doc_type="政策文件", completeness="节选")
    return DocMeta(**{**fields, **changes})


def test_doc_meta_year_and_excerpt():
    assert meta().year == 2025 and meta().is_excerpt
    assert meta(date="2021").year == 2021
    assert meta(date="").year is None and meta(date="近年").year is None
    assert not meta(completeness="基本完整").is_excerpt and not meta(completeness="").is_excerpt


def test_chunk_metadata_round_trip_is_exact():
    chunk = Chunk("04.txt#3", "04.txt", 3, "每增100万元最高奖励500元", 820, 836, "一、强化数实深度融合", meta(), page=4, last=True)
    flat = chunk.to_metadata()
    assert all(isinstance(v, (str, int, float, bool)) for v in flat.values())  # Chroma takes scalars only
    assert flat["year"] == 2025 and flat["page"] == 4
    assert Chunk.from_metadata(chunk.id, chunk.text, flat) == chunk


def test_a_chunk_without_page_or_date_round_trips_too():
    chunk = Chunk("a.txt#0", "a.txt", 0, "正文", 0, 2, "", meta(date="", completeness=""))
    flat = chunk.to_metadata()
    assert flat["page"] == -1 and flat["year"] == 0
    assert Chunk.from_metadata(chunk.id, chunk.text, flat) == chunk


def test_embed_text_carries_title_issuer_date_number_and_section():
    chunk = Chunk("04.txt#0", "04.txt", 0, "正文一句。", 0, 5, "一、总则", meta())
    assert chunk.embed_text == "关于印发政策意见的通知\n慈溪市人民政府办公室 2025-09-16 慈政办发〔2025〕20号\n一、总则\n正文一句。"


def test_page_at_maps_offsets_to_pages():
    doc = Document("a.pdf", "h", "x" * 300, meta(), pages=[(0, 1), (100, 2), (250, 3)])
    assert [doc.page_at(o) for o in (0, 99, 100, 249, 250, 299)] == [1, 1, 2, 2, 3, 3]
    assert Document("a.txt", "h", "text", meta()).page_at(3) is None


def test_answer_json_has_the_question_and_every_citation_field():
    citation = Citation(1, "04.txt#0", "04.txt", "标题", "慈溪市人民政府办公室", "2025-09-16", "一、总则", "引文", 0.5,
                        page=None, is_excerpt=True, chunk_start=10, quote_start=14)
    data = Answer("问题？", "回答[1]", [citation]).to_json()
    assert data["question"] == "问题？" and data["answer"] == "回答[1]" and data["refused"] is False
    assert data["verified"] is None  # only an answer served from a verified one says who verified it when
    served = Answer("问题？", "回答", verified={"id": 4, "by": "王芳", "at": "2026-11-30"}).to_json()
    assert served["verified"] == {"id": 4, "by": "王芳", "at": "2026-11-30"}
    assert data["citations"] == [{
        "n": 1, "chunk_id": "04.txt#0", "source": "04.txt", "title": "标题", "issuer": "慈溪市人民政府办公室",
        "date": "2025-09-16", "section": "一、总则", "quote": "引文", "score": 0.5, "page": None,
        "is_excerpt": True, "chunk_start": 10, "quote_start": 14,
    }]
