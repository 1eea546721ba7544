"""Official replies as questions: the two shipped 建议答复 documents and a
generated 提案答复, read by the real loaders. Every span is a verbatim part
of the document text, and each question leads to its matching part."""
from pathlib import Path

from conftest import CORPUS, SEED

from assistant.corpus import read_document
from assistant.replies import is_reply, reply_questions

REPLY_332 = "01_cixi_kjj_2023-06-25_rd18-2_jianyi332_dafu.txt"
PROPOSAL = """---
title: 关于市政协第五次会议第12号提案的答复
issuer: 测试局
date: 2025-03-04
doc_type: 提案答复
---
张三委员：
您提出的《关于支持测试产业发展的提案》（第12号提案）收悉，现答复如下：
一、关于资金支持
我局每年安排测试专项资金100万元。
二、关于人才引进
对引进的测试人才给予安家补贴。
此复。
测试局
2025年3月4日
"""


def questions(path: Path, source: str):
    doc = read_document(path, source)
    return doc, {q.key: q for q in reply_questions(doc)}


def test_the_190_reply_title_number_and_points():
    doc, found = questions(CORPUS / SEED, SEED)
    assert is_reply(doc.meta.doc_type)
    assert set(found) == {"title", "head", "point-1", "point-2", "point-3", "point-4"}
    title = found["title"]
    assert title.question == "关于加大民营企业科技创新扶持力度的建议"
    assert "慈溪市科学技术局于2022年6月22日答复" in title.answer
    assert "产业资金保障；引才用才政策；人才精准服务；企业服务平台" in title.answer
    head = found["head"]
    assert head.question == "第190号建议" and "第190号建议是怎么答复的？" in head.paraphrases
    start, end = head.spans[0]
    assert doc.text[start:end].startswith("刘红星代表：") and doc.text[start:end].endswith("答复如下：")
    assert "刘红星代表" in head.answer and "慈溪市科学技术局，2022年6月22日" in head.answer
    point = found["point-2"]
    assert point.question == "第190号建议答复中的引才用才政策"
    start, end = point.spans[0]
    section = doc.text[start:end]
    assert section.startswith("2、 引才用才政策。") and "20%、20%、30%分三期拨付" in section
    assert "3、" not in section  # it stops at the next point
    last = doc.text[slice(*found["point-4"].spans[0])]
    assert last.endswith("提高创新服务水平。") and "最后" not in last  # the closing thanks are left out


def test_the_332_reply_an_excerpt_keeps_its_points():
    doc, found = questions(CORPUS / REPLY_332, REPLY_332)
    assert found["title"].question == "关于提升中小企业科技创新能力的建议"
    assert found["head"].question == "第332号建议"
    assert [found[f"point-{i}"].question for i in (1, 2, 3)] == [
        "第332号建议答复中的建议对决策具有很好参考价值",
        "第332号建议答复中的我市中小企业发展现状",
        "第332号建议答复中的提升中小企业科技创新能力的具体举措",
    ]
    # The excerpt is cut mid-sentence: the answer stops at the last whole sentence.
    assert found["point-3"].answer.endswith("提供估值依据。……（全文见来源）")


def test_every_span_is_verbatim_and_trimmed():
    for source in (SEED, REPLY_332):
        doc, found = questions(CORPUS / source, source)
        for q in found.values():
            for start, end in q.spans:
                part = doc.text[start:end]
                assert part and part == part.strip(), (source, q.key)


def test_a_proposal_reply_and_a_document_that_is_no_reply(tmp_path):
    path = tmp_path / "proposal.txt"
    path.write_text(PROPOSAL, "utf-8")
    doc, found = questions(path, "proposal.txt")
    assert found["title"].question == "关于支持测试产业发展的提案"
    assert found["head"].question == "第12号提案"
    assert found["point-1"].question == "第12号提案答复中的关于资金支持"
    assert doc.text[slice(*found["point-2"].spans[0])] == "二、关于人才引进\n对引进的测试人才给予安家补贴。"
    notice = tmp_path / "notice.txt"
    notice.write_text("关于开展测试工作的通知\n各单位：请按要求报送材料。\n测试局\n2025年3月4日\n", "utf-8")
    assert reply_questions(read_document(notice, "notice.txt")) == []
