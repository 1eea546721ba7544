import re

import pytest
from conftest import CORPUS, SEED

from assistant.chunking import chunk_document, paragraphs
from assistant.documents import Document
from assistant.metadata import build_meta, split_front_matter

SECTION = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[章编]|[一二三四五六七八九十百零〇]+、)")


def _doc(name=None, text=None):
    raw = (CORPUS / name).read_text("utf-8") if name else text
    front, body = split_front_matter(raw)
    return Document(name or "t.txt", "x", body, build_meta(front, body))


def _all_docs():
    return [_doc(p.name) for p in sorted(CORPUS.iterdir())]


def test_chunks_are_verbatim_spans_with_offsets():
    for doc in _all_docs():
        for chunk in chunk_document(doc):
            assert doc.text[chunk.start:chunk.end] == chunk.text
            assert chunk.source == doc.source and chunk.meta is doc.meta


def test_size_bounds_and_no_orphans():
    """Chunks stay within the bounds; a short one is always a whole section
    (一、/第X章 with its body), which never shares a chunk with the next."""
    for doc in _all_docs():
        chunks = chunk_document(doc, max_chars=480, min_chars=120)
        for chunk in chunks:
            assert len(chunk.text) <= 480 + 120, (doc.source, chunk.index)
        if len(chunks) > 1:
            for chunk, after in zip(chunks, chunks[1:] + [None]):
                if len(chunk.text) < 100:
                    assert SECTION.match(chunk.text), (doc.source, chunk.index, chunk.text)
                    assert after is None or SECTION.match(after.text), (doc.source, chunk.index)


def test_seed_reply_sections_follow_its_numbering():
    chunks = chunk_document(_doc(SEED))
    sections = [c.section for c in chunks]
    assert any(s.startswith("1、 产业资金保障") for s in sections)
    assert any(s.startswith("2、 引才用才政策") for s in sections)
    tranche = next(c for c in chunks if "按20%、20%、30%分三期拨付" in c.text)
    assert tranche.section.startswith("2、 引才用才政策")
    # The signature block is not a chunk of its own: it closes the last passage.
    assert chunks[-1].text.rstrip().endswith("2022年6月22日")
    assert "最后，衷心感谢" in chunks[-1].text


def test_inline_points_become_sub_headings():
    chunks = chunk_document(_doc(SEED), max_chars=200, min_chars=60)
    assert any(c.section == "2、 引才用才政策 > 二是明确项目资助经费申请要求" for c in chunks)


def test_headings_travel_with_their_content():
    text = "一、总体要求\n（一）目标\n1. 到2027年投入超300亿元。\n二、重点任务\n" + "加大投入。" * 60
    chunks = chunk_document(_doc(text=text), max_chars=200, min_chars=20)
    for chunk in chunks:
        assert not re.fullmatch(r"[一二三四五六七八九十]+、\S{0,10}", chunk.text.strip())
    first = chunks[0]
    assert "到2027年投入超300亿元" in first.text and first.text.startswith("一、总体要求")
    assert first.section == "一、总体要求 > （一）目标 > 1. 到2027年投入超300亿元"


def test_articles_and_chapters():
    doc = _doc("06_cixi_zfb_2024-11-08_chanye_chuangxin_pingtai_guanli_zanxing_banfa.txt")
    chunks = chunk_document(doc)
    first_article = next(c for c in chunks if "第一条" in c.text)
    assert first_article.section.startswith("第一章  总则")


def test_web_page_furniture_is_left_out():
    for name in ("01_cixi_kjj_2023-06-25_rd18-2_jianyi332_dafu.txt",
                 "04_cixi_zfb_2025-09-16_2025_chanye_gaozhiliang_zhengce_yijian.txt",
                 "05_cixi_kjj_2025-04-29_kjj_2025_gongzuo_yaodian.txt"):
        for chunk in chunk_document(_doc(name)):
            assert "索引号" not in chunk.text and "113302820029365B" not in chunk.text
            assert "12330282688011591A" not in chunk.text
            assert "面向社会" not in chunk.text, (name, chunk.text[:60])


def test_long_paragraph_is_split_at_sentence_ends():
    text = "标题\n" + "".join(f"第{i}句话说明政策内容和申报条件。" for i in range(80))
    chunks = chunk_document(_doc(text=text), max_chars=300, min_chars=80)
    assert len(chunks) > 3
    for chunk in chunks[:-1]:
        assert chunk.text.endswith("。")


def test_embed_text_carries_document_context():
    chunk = chunk_document(_doc(SEED))[2]
    assert chunk.embed_text.startswith("对市十八届人大一次会议第190号建议的答复\n慈溪市科学技术局 2022-06-22")
    assert chunk.section in chunk.embed_text and chunk.text in chunk.embed_text


def test_hard_wrapped_pdf_lines_are_joined():
    """A long line that ends mid-sentence continues on the next line: one
    paragraph, spanning both lines (a chunk would hold the text either way,
    so the paragraphs themselves are checked)."""
    wrapped = "坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n资源，牢固树立创新强省工作导向，加快建设创新型城市。"
    text = f"一、总体要求\n{wrapped}\n"
    spans = [(text[p.start:p.end], p.level) for p in paragraphs(text)]
    assert spans == [("一、总体要求", 2), (wrapped, None)]


@pytest.mark.parametrize(
    "text, pieces",
    [
        # a line that ends a sentence is not continued
        ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一。\n资源，牢固树立创新强省工作导向。",
         ["坚持把发展作为第一要务、创新作为第一动力、人才作为第一。", "资源，牢固树立创新强省工作导向。"]),
        # a short line (a title, a label) is not a wrapped line, nor continued by a short one
        ("关于印发通知\n各镇人民政府、街道办事处，市级各部门：", ["关于印发通知", "各镇人民政府、街道办事处，市级各部门："]),
        ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n资源。", ["坚持把发展作为第一要务、创新作为第一动力、人才作为第一", "资源。"]),
        # a heading is never joined to the line before it
        ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n二、重点任务和主要举措以及工作要求", [
            "坚持把发展作为第一要务、创新作为第一动力、人才作为第一", "二、重点任务和主要举措以及工作要求"]),
        # three wrapped lines make one paragraph; a short last line (under
        # 20 characters, like a title or a label) stands alone
        ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n资源，牢固树立创新强省工作导向，持续推进科技\n创新工作，加快建设创新型城市和人才高地。", [
            "坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n资源，牢固树立创新强省工作导向，持续推进科技\n创新工作，加快建设创新型城市和人才高地。"]),
        ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n资源，牢固树立创新强省工作导向。", [
            "坚持把发展作为第一要务、创新作为第一动力、人才作为第一", "资源，牢固树立创新强省工作导向。"]),
    ],
)
def test_which_lines_are_joined(text, pieces):
    assert [text[p.start:p.end] for p in paragraphs(text)] == pieces


def test_only_the_final_chunk_is_marked_last():
    chunks = chunk_document(_doc(SEED))
    assert [c.last for c in chunks] == [False] * (len(chunks) - 1) + [True]


# --------------------------------------------------------------- paragraphs, line by line


def spans(text: str, marked: dict[int, int] | None = None) -> list[tuple[str, int | None, str]]:
    return [(text[p.start:p.end], p.level, p.title) for p in paragraphs(text, marked)]


def test_labelled_furniture_and_the_value_under_a_bare_label_are_left_out():
    text = ("索引号:\n113302820029365B/2022-00123\n发布机构：慈溪市科学技术局\n"
            "  关于公布2022年第一批企业研发机构名单的通知  \n正文第一段说明了具体的工作安排和要求内容。\n")
    assert spans(text) == [("关于公布2022年第一批企业研发机构名单的通知  \n正文第一段说明了具体的工作安排和要求内容。", None, "")]
    assert spans("正文一段。\n索引号:") == [("正文一段。", None, "")]  # a bare label on the last line
    assert spans("正文一段。\n发布机构：\n慈溪市科学技术局") == [("正文一段。", None, "")]  # its value on the last line
    assert spans("有效性：有效\n正文一段。") == [("正文一段。", None, "")]  # a labelled value: the next line stays


VALUE_20 = "慈溪市科学技术局慈溪市科学技术局慈溪市科"  # 20 characters
assert len(VALUE_20) == 20


@pytest.mark.parametrize(
    "after, kept",
    [
        ("慈溪市科技局\n主动公开\n2022-06-22\n", []),  # short value lines: all furniture
        (VALUE_20 + "\n", []),  # 20 characters is still a value
        (VALUE_20 + "学\n", [VALUE_20 + "学"]),  # 21 is text
        ("说明，带逗号\n", ["说明，带逗号"]),  # punctuation: text
        ("一、总体要求\n", ["一、总体要求"]),  # a heading ends the block
    ],
)
def test_an_unlabelled_metadata_block_ends_at_the_first_line_of_text(after, kept):
    text = "113302820029365B/2022-00123\n慈溪市科技局\n" + after + "正文。"
    assert [t for t, _, _ in spans(text)] == kept + ["正文。"]


def test_headings_are_marked_with_their_level_and_title():
    title_30 = "三、" + "一二三四五六七八九十" * 2 + "一二三四五六七八"
    title_31 = "四、" + "一二三四五六七八九十" * 2 + "一二三四五六七八九"
    text = ("第三条 企业研发机构认定按以下程序。\n一、总体要求。其余内容：另外\n（一）目标：到2027年\n"
            f"{title_30}\n{title_31}\n5、 申报材料\n（2）附件\n第一章  总则\n正文。")
    assert spans(text) == [
        ("第三条 企业研发机构认定按以下程序。", 3, "第三条"),  # an article is named by its number
        ("一、总体要求。其余内容：另外", 2, "一、总体要求"),  # up to the first sentence end
        ("（一）目标：到2027年", 3, "（一）目标"),
        (title_30, 2, title_30),  # 30 characters: kept whole
        (title_31, 2, title_31[:30] + "…"),  # longer: cut at 30
        ("5、 申报材料", 4, "5、 申报材料"),
        ("（2）附件", 6, "（2）附件"),
        ("第一章  总则", 1, "第一章  总则"),
        ("正文。", None, ""),  # body text has no title
    ]


def test_lines_the_file_marks_as_headings_keep_their_level():
    text = "标题行\n申领对象\n正文内容在这里。\n"
    assert spans(text, {4: 2}) == [("标题行", None, ""), ("申领对象", 2, "申领对象"), ("正文内容在这里。", None, "")]
    assert spans(text, None) == spans(text, {}) == [("标题行", None, ""), ("申领对象", None, ""), ("正文内容在这里。", None, "")]


def test_inline_points_become_sub_paragraphs_with_exact_offsets():
    text = "  前言。\n总体要求：一是加强引导；二是完善政策。\n"
    assert spans(text) == [("前言。", None, ""), ("总体要求：", None, ""), ("一是加强引导；", 5, "一是加强引导"),
                           ("二是完善政策。", 5, "二是完善政策")]
    heading = "一、工作措施：一是加强引导；二是完善政策。"
    assert spans(heading) == [("一、工作措施：", 2, "一、工作措施"), ("一是加强引导；", 5, "一是加强引导"),
                              ("二是完善政策。", 5, "二是完善政策")]


def test_a_line_after_furniture_is_not_joined_to_the_text_before_it():
    text = ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n索引号：113302820029365B\n"
            "资源，牢固树立创新强省工作导向，加快建设创新型城市。\n")
    assert [t for t, _, _ in spans(text)] == ["坚持把发展作为第一要务、创新作为第一动力、人才作为第一",
                                              "资源，牢固树立创新强省工作导向，加快建设创新型城市。"]


def test_a_wrapped_line_of_exactly_twenty_characters_joins_and_continues():
    first, second = "坚持把发展作为第一要务、创新作为第一动力、人才作为第一", "资源牢固树立创新强省工作导向加快建设创新"  # 20
    assert len(second) == 20
    third = "型城市和人才高地，持续推进科技创新工作。"
    text = f"{first}\n{second}\n{third}"
    assert [t for t, _, _ in spans(text)] == [text]


def test_a_long_paragraph_cut_after_a_hard_wrap_leaves_no_whitespace_at_a_chunk_edge():
    """Found by hypothesis: a hard-wrapped line joined to a paragraph that
    is then cut for length kept its newline at the end of the first piece."""
    text = ("坚持把发展作为第一要务、创新作为第一动力、人才作为第一\n"
            + "补助资金按20%、20%、30%分三期拨付；后续资金根据考核结果拨付。" * 3)
    chunks = chunk_document(_doc(text=text), max_chars=120, min_chars=20)
    assert [c.text for c in chunks] == [c.text.strip() for c in chunks] and len(chunks) >= 2
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert "".join(c.text for c in chunks) == text.replace("\n", "")
