"""Word structure: numbering labels rendered into the text, heading styles
as heading levels, and heading paths that name the section each sentence
is under (a short notice with sections 一、二、三, written three ways)."""
from __future__ import annotations

import docx
import pytest
from conftest import policy_docx, sections

from assistant.chunking import chunk_document
from assistant.corpus import read_document
from assistant.docx_structure import chinese_number, format_number
from assistant.loaders import load_text

NUMBERS = "一二三"


@pytest.mark.parametrize("headings", ["typed", "numbered", "styled"])
def test_each_sentence_gets_the_heading_it_is_under(tmp_path, headings):
    path = policy_docx(tmp_path / "notice.docx", headings)
    doc = read_document(path, "notice.docx")
    chunks = chunk_document(doc)
    for i, (heading, sentence) in enumerate(sections()):
        holder = next(c for c in chunks if sentence in c.text)
        expected = heading if headings == "styled" else f"{NUMBERS[i]}、{heading}"
        assert holder.section == expected, (headings, sentence, [(c.section, c.text) for c in chunks])


def test_word_numbering_is_rendered_as_the_reader_sees_it(tmp_path):
    text = load_text(policy_docx(tmp_path / "n.docx", "numbered")).text
    assert "一、申领对象\n" in text and "二、申领标准\n" in text and "三、申领流程\n" in text


def test_heading_styles_are_recorded_but_the_title_is_not_a_section(tmp_path):
    loaded = load_text(policy_docx(tmp_path / "s.docx", "styled"))
    lines = {start: loaded.text[start:].split("\n", 1)[0] for start, _ in loaded.headings}
    assert sorted(lines.values()) == sorted(h for h, _ in sections())
    assert all(level == 2 for _, level in loaded.headings)
    doc = read_document(tmp_path / "s.docx", "s.docx")
    assert doc.meta.title == "关于开展海鸥创新券申领工作的通知（测试用）"  # still the document's title


def test_nested_numbering_restarts_under_a_new_parent(tmp_path):
    from conftest import _W, _chinese_list
    from docx.oxml import parse_xml

    document = docx.Document()
    document.add_paragraph("测试文件")
    num_id = _chinese_list(document)
    for level, words in [(0, "总体要求"), (1, "目标"), (1, "原则"), (0, "重点任务"), (1, "加大投入")]:
        p = document.add_paragraph(words)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr xmlns:w="{_W}"><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    document.save(tmp_path / "nested.docx")
    lines = load_text(tmp_path / "nested.docx").text.split("\n")
    assert lines[1:] == ["一、总体要求", "（一）目标", "（二）原则", "二、重点任务", "（一）加大投入"]


def test_number_formats():
    assert [chinese_number(n) for n in (1, 10, 11, 20, 21, 100, 105, 110)] == [
        "一", "十", "十一", "二十", "二十一", "一百", "一百零五", "一百一十"]
    assert format_number(3, "decimal") == "3" and format_number(2, "ideographTraditional") == "乙"
    assert format_number(4, "upperRoman") == "IV" and format_number(3, "decimalEnclosedCircle") == "③"
    assert format_number(1, "bullet") == ""
