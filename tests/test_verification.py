"""Verified answers against real documents: a real tmp corpus and index
(real ingestion, the real model), the real feedback log and store.
Citations must be verbatim; answers go back for review when a document
they cite changes or goes; replies' questions follow their document;
JSONL export/import between two offices."""
import json
import shutil

import pytest
from conftest import CORPUS, SEED

from assistant.config import Settings
from assistant.documents import Answer
from assistant.feedback import FeedbackLog
from assistant.ingestion import ingest
from assistant.verification import (
    ImportFileError,
    add_answer,
    check_quote,
    export_jsonl,
    import_jsonl,
    keep_in_step,
    locate,
    open_book,
    sync_chat,
)
from assistant.verified import DOCUMENT, Edit, VerifiedError
from assistant.worklist import ANSWERED, REVIEW

DOC = "zz_蓝鲸测试补贴.txt"
TEXT = """---
title: 测试文件：蓝鲸测试补贴说明（测试用）
issuer: 测试单位
date: 2026-01-05
doc_type: 通知公告
---
为检验核实答复功能，设立蓝鲸测试补贴。蓝鲸测试补贴每家企业最高给予3万元，
申请截止日期为2026年3月1日。申请材料通过测试平台在线提交。
"""
QUOTE = "蓝鲸测试补贴每家企业最高给予3万元"
QUESTION = "蓝鲸测试补贴每家企业最高给多少？"


def office(root, with_doc: bool = True) -> Settings:
    """A corpus folder (the 190 reply, and the test document) and its index."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(CORPUS / SEED, corpus / SEED)
    if with_doc:
        (corpus / DOC).write_text(TEXT, "utf-8")
    settings = Settings().with_(corpus_dir=corpus, index_dir=root / "index")
    ingest(corpus, settings=settings)
    return settings


@pytest.fixture
def settings(tmp_path):
    return office(tmp_path / "a")


def rewrite(settings: Settings, text: str) -> None:
    (settings.corpus_dir / DOC).write_text(text, "utf-8")
    ingest(settings.corpus_dir, settings=settings)


# ------------------------------------------------------------------ citations


def test_locate_exact_or_ignoring_whitespace_gives_the_exact_span():
    text = "第一句。\n蓝鲸测试补贴每家企业\n最高给予3万元，其余。"
    assert locate(text, "第一句。") == (0, 4)
    start, end = locate(text, "蓝鲸测试补贴 每家企业最高给予 3万元")
    assert text[start:end] == "蓝鲸测试补贴每家企业\n最高给予3万元"
    assert locate(text, "最高给予5万元") is None
    assert locate(text, "   ") is None


def test_a_quote_is_checked_against_the_document_text(settings):
    quote = check_quote(settings, DOC, QUOTE)
    doc_text = (settings.corpus_dir / DOC).read_text("utf-8")
    assert quote.quote == QUOTE and quote.title == "测试文件：蓝鲸测试补贴说明（测试用）"
    assert len(quote.sha256) == 64
    # A quote pasted across the line break is stored as the document spells it.
    wrapped = check_quote(settings, DOC, "最高给予3万元， 申请截止日期为2026年3月1日")
    assert wrapped.quote == "最高给予3万元，\n申请截止日期为2026年3月1日" and wrapped.quote in doc_text


@pytest.mark.parametrize(
    "source, quote, message",
    [
        (DOC, "蓝鲸测试补贴每家企业最高给予5万元", "引文未在《测试文件：蓝鲸测试补贴说明（测试用）》中找到"),
        ("没有这个文件.txt", QUOTE, "不在文档库中"),
        (DOC, "3万元", "请粘贴要引用的原文（至少 4 个字）"),
        ("", QUOTE, "请先选择要引用的文件"),
    ],
)
def test_a_bad_citation_is_refused_in_chinese(settings, source, quote, message):
    with pytest.raises(VerifiedError) as err:
        check_quote(settings, source, quote)
    assert message in err.value.reason


def test_a_document_changed_but_not_yet_ingested_cannot_be_cited(settings):
    (settings.corpus_dir / DOC).write_text(TEXT + "补充说明。\n", "utf-8")
    with pytest.raises(VerifiedError) as err:
        check_quote(settings, DOC, QUOTE)
    assert "已修改但尚未重新导入" in err.value.reason


def test_add_answer_checks_like_the_page_and_saves_nothing_on_error(settings):
    book = open_book(settings)
    with pytest.raises(VerifiedError) as err:
        add_answer(settings, book, QUESTION, "最高3万元。", [(DOC, "最高给予5万元整")], "王芳")
    assert "引文未在" in err.value.reason
    with pytest.raises(VerifiedError) as err:
        add_answer(settings, book, QUESTION, "  ", [(DOC, QUOTE)], "王芳")
    assert "答复内容为空" in err.value.reason
    assert book.items() == []
    item = add_answer(settings, book, QUESTION, "每家企业最高3万元。", [(DOC, QUOTE)], "王芳", ("蓝鲸补贴上限？",))
    assert item.servable and item.verified_by == "王芳" and item.paraphrases == ["蓝鲸补贴上限？"]


# ------------------------------------------------------------------ staying true


def test_a_changed_document_sends_its_answers_back_for_review(settings):
    book = open_book(settings)
    kept = add_answer(settings, book, QUESTION, "每家企业最高3万元。", [(DOC, QUOTE)], "王芳")
    assert keep_in_step(settings, book) == []  # nothing changed yet
    rewrite(settings, TEXT.replace("申请材料", "有关申请材料"))  # the quote survives the edit
    assert keep_in_step(settings, book) == [kept.id]
    back = book.get(kept.id)
    assert back.status == REVIEW and "已更新：引文仍在新版本中" in back.review_reason
    # Confirmed again on the new version, then the quote itself changes.
    confirmed = Edit(ANSWERED, "王芳", back.answer, citations=[check_quote(settings, DOC, QUOTE)])
    again = book.save(kept.id, confirmed, "王芳", back.version)
    rewrite(settings, TEXT.replace("3万元", "5万元"))
    keep_in_step(settings, book)
    back = book.get(again.id)
    assert back.status == REVIEW and "所引原文已不在新版本中" in back.review_reason


def test_a_deleted_document_sends_its_answers_back_and_is_never_cited(settings):
    book = open_book(settings)
    kept = add_answer(settings, book, QUESTION, "每家企业最高3万元。", [(DOC, QUOTE)], "王芳")
    (settings.corpus_dir / DOC).unlink()
    ingest(settings.corpus_dir, settings=settings)
    keep_in_step(settings, book)
    back = book.get(kept.id)
    assert back.status == REVIEW and "已从文档库删除" in back.review_reason
    assert not any(q.source == DOC for item in book.servable() for q in item.citations)
    with pytest.raises(VerifiedError):
        check_quote(settings, DOC, QUOTE)


def test_reply_questions_follow_their_document(settings):
    book = open_book(settings)
    keep_in_step(settings, book)
    generated = [i for i in book.servable() if i.origin == DOCUMENT]
    assert {i.question for i in generated} >= {"第190号建议", "关于加大民营企业科技创新扶持力度的建议"}
    text = (settings.corpus_dir / SEED).read_text("utf-8")
    for item in generated:
        assert item.verified_by == "慈溪市科学技术局" and item.verified_at == "2022-06-22"
        assert all(text[q.start:q.end] == q.quote for q in item.citations)
    ids = {i.question: i.id for i in generated}
    (settings.corpus_dir / SEED).write_text(text.replace("产业资金保障", "产业资金支持"), "utf-8")
    ingest(settings.corpus_dir, settings=settings)
    keep_in_step(settings, book)
    rebuilt = {i.question: i for i in book.servable() if i.origin == DOCUMENT}
    assert "第190号建议答复中的产业资金支持" in rebuilt and "第190号建议答复中的产业资金保障" not in rebuilt
    assert rebuilt["第190号建议"].id == ids["第190号建议"]  # the same question keeps its id
    (settings.corpus_dir / SEED).unlink()
    ingest(settings.corpus_dir, settings=settings)
    keep_in_step(settings, book)
    assert [i for i in book.servable() if i.origin == DOCUMENT] == []


# ------------------------------------------------------------------ the chat's reports


def test_refusals_and_dislikes_reach_the_worklist_and_a_dislike_withdraws_a_served_answer(settings):
    book, log = open_book(settings), FeedbackLog(settings.feedback_db)
    served = add_answer(settings, book, QUESTION, "每家企业最高3万元。", [(DOC, QUOTE)], "王芳")
    log.record_answer(Answer("公积金贷款最高多少？", "抱歉……", refused=True))
    normal = log.record_answer(Answer("海鸥券怎么领？", "在线申领。"))
    verified = log.record_answer(Answer("蓝鲸补贴上限？", "每家企业最高3万元。", mode="verified",
                                        verified={"id": served.id, "by": "王芳", "at": "2026-11-30"}))
    log.rate(normal, False, "没说在哪领")
    rating = log.rate(verified, False)
    sync_chat(book, log)
    items = {i.question: i for i in book.items()}
    assert items["公积金贷款最高多少？"].status == "待处理"
    assert [r.reason for r in book.reports(items["公积金贷款最高多少？"].id)] == ["未找到答案"]
    assert [(r.reason, r.comment) for r in book.reports(items["海鸥券怎么领？"].id)] == [("用户标记没用", "没说在哪领")]
    back = book.get(served.id)
    assert back.status == REVIEW and back.review_reason == "用户点踩" and "蓝鲸补贴上限？" not in items
    log.add_comment(rating, "金额已经调整")
    sync_chat(book, log)
    assert book.get(served.id).review_reason == "用户点踩：金额已经调整"
    sync_chat(book, log)
    assert len(book.items()) == 3  # nothing taken in twice


# ------------------------------------------------------------------ sharing


def test_export_and_import_into_another_office(settings, tmp_path):
    book = open_book(settings)
    add_answer(settings, book, QUESTION, "每家企业最高3万元。", [(DOC, QUOTE)], "王芳", ("蓝鲸补贴上限？",))
    add_answer(settings, book, "蓝鲸补贴怎么申请？", "请联系测试单位。", [], "王芳", no_basis=True, contact="测试单位 0574-1")
    exported = export_jsonl(book)
    lines = [json.loads(line) for line in exported.splitlines()]
    assert [line["question"] for line in lines] == [QUESTION, "蓝鲸补贴怎么申请？"]
    assert lines[0]["citations"][0]["quote"] == QUOTE and lines[0]["verified_by"] == "王芳"
    path = tmp_path / "verified.jsonl"
    path.write_text(exported, "utf-8")

    # An office with the same document: both answers served there as they were here.
    same = office(tmp_path / "b")
    other = open_book(same)
    report = import_jsonl(same, other, path, "李明")
    assert (report.added, report.review, report.skipped, report.failures) == (2, 0, 0, [])
    imported = {i.question: i for i in other.servable() if i.origin != DOCUMENT}
    assert imported[QUESTION].citations == book.servable()[0].citations
    assert imported[QUESTION].verified_by == "王芳" and imported["蓝鲸补贴怎么申请？"].no_basis
    assert import_jsonl(same, other, path, "李明").skipped == 2  # loaded twice, held once

    # An office without it: the answer waits for review there, and the failing citation is named.
    without = office(tmp_path / "c", with_doc=False)
    third = open_book(without)
    report = import_jsonl(without, third, path, "李明")
    assert (report.added, report.review) == (1, 1)
    assert report.failures == [f"第 1 行 引文 1（{DOC}）：文件“{DOC}”不在文档库中（可能已被删除），不能引用。"]
    assert {i.question: i.status for i in third.items()}[QUESTION] == REVIEW
    assert "转为待复核" in report.summary()


def test_a_bad_or_oversized_import_file_saves_nothing(settings, tmp_path):
    book = open_book(settings)
    good = json.dumps({"question": QUESTION, "answer": "最高3万元。", "citations": [{"source": DOC, "quote": QUOTE}]},
                      ensure_ascii=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good + "\n" + '{"question": "空答复", "answer": "", "citations": []}\nnot json\n', "utf-8")
    with pytest.raises(ImportFileError) as err:
        import_jsonl(settings, book, bad, "李明")
    assert "未导入任何内容" in err.value.reason
    assert "第 2 行：答复内容为空" in err.value.reason and "第 3 行：不是有效的核实答复记录" in err.value.reason
    big = tmp_path / "big.jsonl"
    big.write_text((good + "\n") * 2000, "utf-8")
    small = settings.with_(max_file_bytes=100_000)
    with pytest.raises(ImportFileError) as err:
        import_jsonl(small, book, big, "李明")
    assert "导入文件过大" in err.value.reason and "上限为 0.1 MB" in err.value.reason
    assert book.items() == []
